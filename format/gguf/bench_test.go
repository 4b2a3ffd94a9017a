package gguf

import "testing"

// BenchmarkDequantize: values per second of each type's dequantizer, on
// ggml's golden blocks repeated to a 1 Mi-value tensor.
func BenchmarkDequantize(b *testing.B) {
	for _, typ := range dequantOrder {
		b.Run(typ.String(), func(b *testing.B) {
			const n = 1 << 20
			src := make([]byte, n/typ.BlockSize()*typ.TypeSize())
			if typ != F32 {
				g := readGolden(b, typ)
				for i := 0; i < len(src); i += len(g.blocks) {
					copy(src[i:], g.blocks)
				}
			}
			dst := make([]float32, n)
			b.SetBytes(int64(len(src)))
			b.ResetTimer()
			for b.Loop() {
				if err := Dequantize(typ, src, dst); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mvalues/s")
		})
	}
}
