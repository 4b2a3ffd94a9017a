package npy_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/xent-dev/xent/format/npy"
)

func ExampleWriteFloat32() {
	var buf bytes.Buffer
	err := npy.WriteFloat32(&buf, []int{2, 3}, []float32{0, 0.5, 1, 1.5, 2, 2.5})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d bytes, header %q\n", buf.Len(), bytes.TrimRight(buf.Bytes()[10:128], " \n"))

	a, err := npy.Read(&buf)
	if err != nil {
		log.Fatal(err)
	}
	vals, err := a.Float32s()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.DType, a.Shape, vals)
	// Output:
	// 152 bytes, header "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
	// float32 (<f4) [2 3] [0 0.5 1 1.5 2 2.5]
}
