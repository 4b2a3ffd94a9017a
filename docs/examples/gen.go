//go:build ignore

// gen.go writes the README's example inputs for "xent loss": logits.npy,
// float32 [6, 10] drawn from a seeded normal distribution, and
// targets.npy, int64 [6] with one ignored row (-100).
//
//	go run docs/examples/gen.go
package main

import (
	"encoding/binary"
	"log"
	"math/rand/v2"

	"github.com/xent-dev/xent/format/npy"
)

func main() {
	const n, v = 6, 10
	r := rand.New(rand.NewPCG(1, 2))
	logits := make([]float32, n*v)
	for i := range logits {
		logits[i] = float32(2 * r.NormFloat64())
	}
	if err := npy.WriteFloat32File("docs/examples/logits.npy", []int{n, v}, logits); err != nil {
		log.Fatal(err)
	}
	targets := []int64{3, 0, 9, -100, 5, 1}
	raw := make([]byte, 8*len(targets))
	for i, t := range targets {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(t))
	}
	if err := npy.WriteFile("docs/examples/targets.npy", npy.Int64, []int{n}, raw); err != nil {
		log.Fatal(err)
	}
}
