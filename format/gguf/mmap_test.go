package gguf

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestOpenLargeFileUsesNoHeap opens a sparse file holding a 1 GiB tensor:
// neither Open nor, where the file is mapped, Data copies it to the heap.
func TestOpenLargeFileUsesNoHeap(t *testing.T) {
	const n = 1 << 28 // float32 values: 1 GiB
	path := filepath.Join(t.TempDir(), "big.gguf")
	head := file(3, 1, 0, func(e *encoder) { info(e, "big", F32, 0, 1<<14, n>>14); padTo(e, DefaultAlignment) })
	if err := os.WriteFile(path, head, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, int64(len(head))+4*n); err != nil {
		t.Skipf("no sparse file here: %v", err)
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tt, _ := f.Tensor("big")
	if tt.Size != 4*n || tt.RowBytes() != 4<<14 {
		t.Fatalf("size %d, rows of %d bytes", tt.Size, tt.RowBytes())
	}
	if f.mem == nil {
		t.Skip("Open does not map files on this system")
	}
	b, err := f.Data("big")
	if err != nil || len(b) != 4*n || b[len(b)-1] != 0 {
		t.Fatalf("Data: %d bytes, %v", len(b), err)
	}
	if grew := int64(heap()) - int64(before); grew > 16<<20 {
		t.Errorf("the heap grew by %d bytes for a mapped 1 GiB tensor", grew)
	}
}
