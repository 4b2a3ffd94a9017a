package model

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xent-dev/xent/format/safetensors"
	"github.com/xent-dev/xent/internal/gemm"
	"github.com/xent-dev/xent/internal/kernels"
	"github.com/xent-dev/xent/loss"
)

// denseMatrix is a Matrix over float32 W [out, in], as the tests' stand-in
// for a quantized one: its products are Sgemm's, so a model over it gives
// the bits of the float32 model.
type denseMatrix struct {
	w       []float32
	out, in int
}

func (d denseMatrix) Dims() (int, int) { return d.out, d.in }
func (d denseMatrix) MulT(x []float32, n, ldx int, y []float32, ldy int, beta float32, threads int) {
	if n == 1 {
		gemm.Sgemv(gemm.Trans, d.out, d.in, 1, x, d.w, d.in, beta, y, threads)
		return
	}
	gemm.Sgemm(gemm.NoTrans, gemm.Trans, n, d.out, d.in, 1, x, ldx, d.w, d.in, beta, y, ldy, threads)
}
func (d denseMatrix) Row(r int, dst []float32) { copy(dst, d.w[r*d.in:(r+1)*d.in]) }
func (d denseMatrix) Bytes() int64             { return 4 * int64(len(d.w)) }

// transposed returns w [rows, cols] transposed, [cols, rows].
func transposed(w []float32, rows, cols int) []float32 {
	t := make([]float32, len(w))
	for i := range rows {
		for j := range cols {
			t[j*rows+i] = w[i*cols+j]
		}
	}
	return t
}

// inferenceWeights returns m's parameters as NewInference takes them:
// matrices as float32, rounded to bfloat16 bits, or as denseMatrix.
func inferenceWeights(m *Model, form string) map[string]Weight {
	ws := map[string]Weight{}
	for _, p := range m.Params() {
		switch {
		case len(p.Shape) != 2 || form == "f32":
			ws[p.Name] = Weight{F32: p.Data}
		case form == "bf16":
			bits := make([]uint16, len(p.Data))
			kernels.F32ToBF16(bits, p.Data)
			ws[p.Name] = Weight{BF16: bits}
		default: // a Matrix, W [out, in]
			out, in, w := p.Shape[0], p.Shape[1], p.Data
			if !m.d.llama && conv1D(p.Name) {
				out, in, w = in, out, transposed(w, p.Shape[0], p.Shape[1])
			}
			ws[p.Name] = Weight{Matrix: denseMatrix{w: w, out: out, in: in}}
		}
	}
	return ws
}

// roundedModel returns a trainable copy of cfg's model from seed with its
// matrices rounded to bfloat16.
func roundedModel(t *testing.T, cfg Config, seed uint64) *Model {
	t.Helper()
	m, err := New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params() {
		if len(p.Shape) == 2 {
			bits := make([]uint16, len(p.Data))
			kernels.F32ToBF16(bits, p.Data)
			kernels.BF16ToF32(p.Data, bits)
		}
	}
	return m
}

// TestInferenceModel checks that an inference model over a trainable
// model's weights, held as float32, bfloat16 or a Matrix, gives the
// trainable model's logits (bfloat16: those of the model with its
// matrices rounded): bit for bit through a Decoder, within leanTol through
// the lean forward; and that it refuses to train.
func TestInferenceModel(t *testing.T) {
	for _, tc := range tinyConfigs {
		for _, form := range []string{"f32", "bf16", "matrix"} {
			t.Run(tc.name+"/"+form, func(t *testing.T) {
				ref := roundedModel(t, tc.cfg, 3)
				if form != "bf16" {
					var err error
					if ref, err = New(tc.cfg, 3); err != nil {
						t.Fatal(err)
					}
				}
				src, _ := New(tc.cfg, 3)
				ws := inferenceWeights(src, form)
				if form == "matrix" && src.d.fam.fused {
					if _, err := NewInference(tc.cfg, ws); err == nil {
						t.Fatal("a fused Phi-3 Matrix was accepted")
					}
					return
				}
				m, err := NewInference(tc.cfg, ws)
				if err != nil {
					t.Fatal(err)
				}
				const B = 2
				T := min(m.MaxSeqLen(), 12)
				tokens := randomTokens(B*T, tc.cfg.VocabSize, 7)
				want, err := ref.Logits(tokens, B, T)
				if err != nil {
					t.Fatal(err)
				}
				got, err := m.Logits(tokens, B, T)
				if err != nil {
					t.Fatal(err)
				}
				if d := maxAbsDiff(got, want); d > leanTol { // the lean forward against the training one
					t.Fatalf("logits differ from the trainable model's by %.3g", d)
				}
				dec := decodeAll(t, NewDecoder(m), tokens[:T])
				if !sameBits(dec, want[:T*tc.cfg.VocabSize]) {
					t.Fatalf("decoder differs from the parallel pass by %.3g", maxAbsDiff(dec, want[:T*tc.cfg.VocabSize]))
				}
				targets := nextTokens(tokens, B, T)
				targets[3] = -100
				for _, opt := range []loss.Options{{}, {Reduction: loss.Sum, LabelSmoothing: 0.1, ZLoss: 1e-3}} {
					lw, err := ref.Forward(tokens, B, T, targets, opt)
					if err != nil {
						t.Fatal(err)
					}
					lg, err := m.Forward(tokens, B, T, targets, opt)
					if err != nil || math.Abs(lg-lw) > 1e-6*math.Abs(lw) {
						t.Fatalf("Forward(%+v) = %v, %v; the trainable model's %v", opt, lg, err, lw)
					}
				}
				lw, lg := make([]float32, B*T), make([]float32, B*T)
				if err := ref.TokenLogProbs(tokens, B, T, targets, -100, lw); err != nil {
					t.Fatal(err)
				}
				if err := m.TokenLogProbs(tokens, B, T, targets, -100, lg); err != nil {
					t.Fatal(err)
				}
				if d := maxAbsDiff(lg, lw); d > leanTol {
					t.Fatalf("TokenLogProbs differ from the trainable model's by %.3g", d)
				}
				if _, err := m.ForwardBackward(tokens, B, T, targets, loss.Options{}); !errors.Is(err, errInference) {
					t.Fatalf("ForwardBackward: %v", err)
				}
				if err := m.BackwardLogits(nil); !errors.Is(err, errInference) {
					t.Fatalf("BackwardLogits: %v", err)
				}
				if err := m.BackwardTokenLogProbs(nil); !errors.Is(err, errInference) {
					t.Fatalf("BackwardTokenLogProbs: %v", err)
				}
				if m.Params() != nil || m.Grads() != nil || m.ParamBuffer() != nil || m.GradBuffer() != nil {
					t.Fatal("an inference model hands out parameters")
				}
				if err := m.Save(filepath.Join(t.TempDir(), "m.safetensors")); err == nil {
					t.Fatal("Save of an inference model succeeded")
				}
			})
		}
	}
}

// TestInferenceComputeBF16 checks that bfloat16 compute on bfloat16
// weights stays within bfloat16 rounding of the activations of float32
// compute over the same weights.
func TestInferenceComputeBF16(t *testing.T) {
	for _, tc := range tinyConfigs {
		t.Run(tc.name, func(t *testing.T) {
			src, _ := New(tc.cfg, 3)
			m, err := NewInference(tc.cfg, inferenceWeights(src, "bf16"))
			if err != nil {
				t.Fatal(err)
			}
			const B = 2
			T := min(m.MaxSeqLen(), 12)
			tokens := randomTokens(B*T, tc.cfg.VocabSize, 7)
			want, _ := m.Logits(tokens, B, T)
			if err := m.SetCompute(ComputeBF16); err != nil {
				t.Fatal(err)
			}
			got, _ := m.Logits(tokens, B, T)
			var scale float64
			for _, v := range want {
				scale = max(scale, float64(abs32(v)))
			}
			// Each product's activation is rounded to 8 bits of mantissa
			// (relative error ≤ 2⁻⁹): a few such errors through the layers
			// stay within 2⁻⁵ of the largest logit at these sizes.
			if d := maxAbsDiff(got, want); d > scale/32 {
				t.Fatalf("bf16 compute differs from f32 by %.3g (largest logit %.3g)", d, scale)
			}
			f32, _ := NewInference(tc.cfg, inferenceWeights(src, "f32"))
			if err := f32.SetCompute(ComputeBF16); err == nil || !strings.Contains(err.Error(), "bfloat16") {
				t.Fatalf("bf16 compute on float32 weights: %v", err)
			}
		})
	}
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// TestNewInferenceBadInput checks the errors of NewInference.
func TestNewInferenceBadInput(t *testing.T) {
	cfg := tinyConfigs[1].cfg // llama
	src, _ := New(cfg, 1)
	for _, tc := range []struct {
		name, want string
		edit       func(ws map[string]Weight)
	}{
		{"missing", `no tensor "model.norm.weight"`, func(ws map[string]Weight) { delete(ws, "model.norm.weight") }},
		{"extra", `"model.layers.9.x" has no place`, func(ws map[string]Weight) { ws["model.layers.9.x"] = Weight{F32: []float32{1}} }},
		{"short", `"model.norm.weight" holds 3 float32`, func(ws map[string]Weight) { ws["model.norm.weight"] = Weight{F32: make([]float32, 3)} }},
		{"two", `exactly one`, func(ws map[string]Weight) {
			ws["lm_head.weight"] = Weight{F32: ws["lm_head.weight"].F32, BF16: make([]uint16, 1)}
		}},
		{"none", `exactly one`, func(ws map[string]Weight) { ws["lm_head.weight"] = Weight{} }},
		{"dims", `is a [3, 16] Matrix`, func(ws map[string]Weight) {
			ws["lm_head.weight"] = Weight{Matrix: denseMatrix{w: make([]float32, 48), out: 3, in: 16}}
		}},
		{"vector", `cannot be a Matrix`, func(ws map[string]Weight) {
			ws["model.norm.weight"] = Weight{Matrix: denseMatrix{w: make([]float32, 16), out: 1, in: 16}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := inferenceWeights(src, "f32")
			tc.edit(ws)
			_, err := NewInference(cfg, ws)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestLoadInference checks LoadInference on a bfloat16 checkpoint in two
// shards: matrices held as bfloat16 (or float32 with F32), the logits of
// the trainable model loaded from the same files, and the weight bytes.
func TestLoadInference(t *testing.T) {
	for _, tc := range tinyConfigs {
		t.Run(tc.name, func(t *testing.T) {
			src, _ := New(tc.cfg, 2)
			dir := t.TempDir()
			var shards [2][]safetensors.Tensor
			for i, p := range src.Params() {
				shards[i%2] = append(shards[i%2], safetensors.FromFloat32As(p.Name, p.Shape, p.Data, safetensors.BF16))
			}
			paths := []string{filepath.Join(dir, "a.safetensors"), filepath.Join(dir, "b.safetensors")}
			for i, path := range paths {
				if err := safetensors.WriteFile(path, shards[i], nil); err != nil {
					t.Fatal(err)
				}
			}
			ref, err := LoadShards(tc.cfg, paths)
			if err != nil {
				t.Fatal(err)
			}
			const B = 1
			T := min(ref.MaxSeqLen(), 12)
			tokens := randomTokens(B*T, tc.cfg.VocabSize, 5)
			want, _ := ref.Logits(tokens, B, T)
			for _, f32 := range []bool{false, true} {
				m, err := LoadInference(tc.cfg, paths, LoadOptions{F32: f32})
				if err != nil {
					t.Fatal(err)
				}
				if m.HasBF16() == f32 {
					t.Fatalf("F32 %v: HasBF16 %v", f32, m.HasBF16())
				}
				var bytes int64
				for _, p := range src.Params() {
					size := int64(len(p.Data)) * 4
					if len(p.Shape) == 2 && !f32 {
						size /= 2
					}
					bytes += size
				}
				if m.WeightBytes() != bytes {
					t.Fatalf("F32 %v: %d weight bytes, want %d", f32, m.WeightBytes(), bytes)
				}
				got, _ := m.Logits(tokens, B, T)
				if d := maxAbsDiff(got, want); d > leanTol {
					t.Fatalf("F32 %v: logits differ from the trainable model's by %.3g", f32, d)
				}
			}
			if _, err := LoadInference(tc.cfg, paths[:1], LoadOptions{}); err == nil || !strings.Contains(err.Error(), "no tensor") {
				t.Fatalf("one shard of two: %v", err)
			}
		})
	}
}
