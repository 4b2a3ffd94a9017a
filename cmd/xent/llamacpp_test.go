package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xent-dev/xent/eval"
	"github.com/xent-dev/xent/internal/tinyhf"
	"github.com/xent-dev/xent/modeldir"
)

// llamaCppDir holds llama.cpp's own numbers on xent's GGUF exports of the
// tinyhf families, and gen.py, which wrote them (it names the llama.cpp
// commit and the commands; CI needs no llama.cpp).
const llamaCppDir = "../../eval/testdata/llamacpp"

// llamaCppGoldens is goldens.json.
type llamaCppGoldens struct {
	Commit   string  `json:"llama_cpp_commit"`
	Text     string  `json:"text"`
	Ctx      int     `json:"ctx"`
	Seed     uint64  `json:"seed"`
	TokenIDs []int32 `json:"token_ids"`
	Models   []struct {
		Family, Source, Type, File, SHA256, Error string
		PPL                                       float64   `json:"ppl"`
		Chunks                                    []float64 `json:"chunks"`
		Tokens                                    int       `json:"tokens"`
		TokenIDsSHA256                            string    `json:"token_ids_sha256"`
		PPLFloatAttention                         float64   `json:"ppl_float_attention"`
	} `json:"models"`
	KL []struct {
		Family, Source, Base, Type, Error string
		KLDMean                           float64 `json:"kld_mean"`
		KLDMeanErr                        float64 `json:"kld_mean_err"`
		KLDMax                            float64 `json:"kld_max"`
		KLDP99                            float64 `json:"kld_p99"`
		KLDMedian                         float64 `json:"kld_median"`
		PPLQ                              float64 `json:"ppl_q"`
		PPLBase                           float64 `json:"ppl_base"`
		RMSDp                             float64 `json:"rms_dp_percent"`
		SameTop                           float64 `json:"same_top_p_percent"`
	} `json:"kl"`
}

func readLlamaCppGoldens(t *testing.T) *llamaCppGoldens {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(llamaCppDir, "goldens.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g llamaCppGoldens
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatalf("goldens.json: %v", err)
	}
	return &g
}

// llamaCppTol is how close xent's final estimate must be to
// llama-perplexity's, relative, per GGUF type. Float weights: the issue's
// 1e-4 (seen: at most 1.3e-5). Quantized weights: 5e-4. Both round the
// activations to Q8 as ggml does (internal/quant), yet on the trained
// model's q8_0 file xent gives 30.3005 and llama.cpp 30.3055 (1.7e-4).
// That residue is llama.cpp's flash attention (on by default for the CPU)
// and f16 K and V: run without them (-fa off -ctk f32 -ctv f32, gen.py's
// ppl_float_attention) llama.cpp gives 30.3008, and the Q8 rounding of
// the attention's output turns their float32-sized differences into whole
// quantization steps of the next input. Those estimates must agree to
// llamaCppFloatAttentionTol (seen: at most 1.1e-5).
var llamaCppTol = map[string]float64{"f32": 1e-4, "f16": 1e-4, "bf16": 1e-4, "q8_0": 5e-4, "q4_k_m": 5e-4}

const llamaCppFloatAttentionTol = 5e-5

// llamaCppAll runs every golden: every type of every tinyhf family, with
// the tokenizer checks (XENT_LLAMACPP_ALL=1: about 30 CPU-seconds, two
// minutes on a loaded machine). By default the trained models run in
// full, and the f32 file and directory of four families that between
// them hold BOS, Llama 3's RoPE, biases, soft-caps, Gemma's norms and
// Phi-3's fused projections.
var llamaCppAll = os.Getenv("XENT_LLAMACPP_ALL") != ""

var llamaCppDefault = map[string]bool{"llama-3.2-1b+bos": true, "qwen2.5-0.5b": true, "gemma-2-2b": true, "phi-three-mini-4k": true}

// llamaCppSource returns the model a golden's source names, as gen.py
// writes it: "file:NAME", a GGUF file committed beside the goldens, or a
// tinyhf family written here, "+bos" adding a tokenizer_config.json that
// adds BOS.
func llamaCppSource(t *testing.T, tmp, family, source string, seed uint64) string {
	t.Helper()
	if name, ok := strings.CutPrefix(source, "file:"); ok {
		return filepath.Join(llamaCppDir, name)
	}
	dir := filepath.Join(tmp, family)
	if _, err := os.Stat(dir); err == nil {
		return dir // an earlier subtest wrote it
	}
	spec, err := tinyhf.Find(source)
	if err != nil {
		t.Fatal(err)
	}
	if err := tinyhf.Write(dir, spec, seed); err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(family, "+bos") {
		cfg := `{"add_bos_token": true, "tokenizer_class": "LlamaTokenizerFast", "bos_token": "<|endoftext|>"}` + "\n"
		if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// llamaCppFile returns the GGUF file of type typ that llama.cpp scored:
// the committed one, or xent export gguf of src under gen.py's file name
// (general.name comes from it), said when it differs from the file
// llama.cpp scored (its sha256).
func llamaCppFile(t *testing.T, src, family, typ, committed, sum string) string {
	t.Helper()
	file := filepath.Join(llamaCppDir, committed)
	if committed == "" {
		file = filepath.Join(t.TempDir(), family+"-"+typ+".gguf")
		if _, stderr, err := runXent(t, "export", "gguf", "--model", src, "--out", file, "--type", typ); err != nil {
			t.Fatalf("export: %v\n%s", err, stderr)
		}
	}
	if got := fileSHA256(t, file); got != sum {
		// The numbers below still say whether it scores as llama.cpp did.
		t.Logf("%s is not byte for byte the file llama.cpp scored (sha256 %s, golden %s): xent export gguf or tinyhf changed; rerun gen.py", file, got, sum)
	}
	return file
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// llamaCppEval runs xent eval --window llamacpp on the goldens' text and
// returns its JSON report.
func llamaCppEval(t *testing.T, g *llamaCppGoldens, model string, extra ...string) map[string]any {
	t.Helper()
	args := append([]string{"eval", "--model", model, "--data", filepath.Join(llamaCppDir, g.Text), "--window", "llamacpp",
		"--context", strconv.Itoa(g.Ctx), "--json"}, extra...)
	out, stderr, err := runXent(t, args...)
	if err != nil {
		t.Fatalf("xent %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("xent %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// relErr is |got − want| / |want|.
func relErr(got, want float64) float64 { return math.Abs(got-want) / math.Abs(want) }

// TestLlamaCppPerplexity checks xent eval --window llamacpp against
// llama-perplexity on the same GGUF files (every family and type gen.py
// recorded), xent's tokenizer against llama-tokenize on them, and the
// float32 estimate on the Hugging Face directory the files came from. The
// files are rebuilt here by xent export gguf, byte for byte the ones
// llama.cpp scored (their sha256 is compared); Q4_K_M files, which only
// llama-quantize writes, are committed, as are the trained models.
func TestLlamaCppPerplexity(t *testing.T) {
	g := readLlamaCppGoldens(t)
	text, err := os.ReadFile(filepath.Join(llamaCppDir, g.Text))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir() // the sources, written once for all of a family's subtests
	for _, m := range g.Models {
		if m.Error != "" {
			t.Logf("%s %s: not compared: %s", m.Family, m.Type, m.Error)
			continue
		}
		trained := strings.HasPrefix(m.Source, "file:")
		if !llamaCppAll && !trained && (m.Type != "f32" || !llamaCppDefault[m.Family]) {
			continue
		}
		t.Run(m.Family+"/"+m.Type, func(t *testing.T) {
			src := llamaCppSource(t, tmp, m.Family, m.Source, g.Seed)
			file := llamaCppFile(t, src, m.Family, m.Type, m.File, m.SHA256)
			r := llamaCppEval(t, g, file)
			if got := r["ppl"].(float64); relErr(got, m.PPL) > llamaCppTol[m.Type] {
				t.Errorf("PPL %.6f, llama-perplexity %.4f (relative %.2g > %g)", got, m.PPL, relErr(got, m.PPL), llamaCppTol[m.Type])
			} else {
				t.Logf("PPL %.6f, llama-perplexity %.4f (relative %.2g)", got, m.PPL, relErr(got, m.PPL))
			}
			if want := m.PPLFloatAttention; want != 0 {
				if got := r["ppl"].(float64); relErr(got, want) > llamaCppFloatAttentionTol {
					t.Errorf("PPL %.6f, llama-perplexity -fa off -ctk f32 -ctv f32 %.4f (relative %.2g > %g)", got, want, relErr(got, want), llamaCppFloatAttentionTol)
				} else {
					t.Logf("PPL %.6f, llama-perplexity -fa off -ctk f32 -ctv f32 %.4f (relative %.2g)", got, want, relErr(got, want))
				}
			}
			if m.TokenIDsSHA256 != "" && (trained || llamaCppAll) {
				out, stderr, err := runXentIn(t, text, "tokenize", "--tokenizer", file)
				if err != nil {
					t.Fatalf("tokenize: %v\n%s", err, stderr)
				}
				var ids []int32
				if err := json.Unmarshal([]byte(out), &ids); err != nil {
					t.Fatal(err)
				}
				if len(ids) != m.Tokens || idsSHA256(ids) != m.TokenIDsSHA256 {
					t.Errorf("xent's tokenizer from the file gives %d ids, llama-tokenize %d; first difference %s", len(ids), m.Tokens, firstDiff(ids, g.TokenIDs))
				}
			}
			if m.Type == "f32" && !trained {
				// The directory itself: the f32 file holds its weights exactly.
				r := llamaCppEval(t, g, src)
				if got := r["ppl"].(float64); relErr(got, m.PPL) > llamaCppTol["f32"] {
					t.Errorf("the directory: PPL %.6f, llama-perplexity on its f32 GGUF %.4f (relative %.2g)", got, m.PPL, relErr(got, m.PPL))
				}
			}
			if m.Type == "f32" && (trained || llamaCppAll) {
				checkLlamaCppChunk(t, file, text, g.Ctx, m.Chunks)
			}
		})
	}
}

// checkLlamaCppChunk checks llama-perplexity's running estimate after its
// first chunk: the targets of that chunk alone, BOS rule included.
func checkLlamaCppChunk(t *testing.T, file string, text []byte, ctx int, chunks []float64) {
	t.Helper()
	if len(chunks) == 0 {
		t.Fatal("the golden has no per-chunk estimates")
	}
	p, err := modeldir.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	bos, err := p.BOS()
	if err != nil {
		t.Fatal(err)
	}
	e, err := eval.New(p.Model, p.Tokenizer, bos, eval.Options{Scheme: eval.LlamaCpp, Ctx: ctx, AddBOS: p.AddBOS, MaxTokens: ctx - 1 - ctx/2})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Document(context.Background(), "text", bytes.NewReader(text), nil); err != nil {
		t.Fatal(err)
	}
	// llama-perplexity prints the running estimate to 4 decimals.
	if got := math.Exp(e.Report().MeanNLL); math.Abs(got-chunks[0]) > 5e-5+1e-4*chunks[0] {
		t.Errorf("first chunk: PPL %.6f, llama-perplexity [1]%.4f", got, chunks[0])
	}
}

func idsSHA256(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	h := sha256.Sum256([]byte(strings.Join(s, ",")))
	return hex.EncodeToString(h[:])
}

func firstDiff(got, want []int32) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("at %d: %d, llama.cpp %d", i, got[i], want[i])
		}
	}
	return fmt.Sprintf("at %d (one ends)", min(len(got), len(want)))
}

// llamaCppKLTol bounds |xent − llama.cpp| per statistic of
// TestLlamaCppKL. llama.cpp keeps the base's log-probabilities in 16 bits
// over its top 16 nats (steps of 2.4e-4 nats) and rounds K and V to f16;
// xent holds both rows in float32. Seen on the trained model's q8_0 and
// Q4_K_M files against f16: mean KLD within 1e-6, the median within 6e-6,
// the tails (99%, max: a few positions) within 3.5e-3, PPL(Q) within
// 1.7e-4 relative (llamaCppTol), RMS Δp within 0.004 points and same top
// p within 0.17 points (a token or three of the 1,764).
var llamaCppKLTol = map[string]float64{"mean KLD": 2e-5, "median KLD": 2e-5, "99% KLD": 5e-4, "max KLD": 5e-3,
	"PPL(Q)": 0.02, "PPL(base)": 0.01, "RMS Δp %": 0.02, "same top p %": 0.5}

// TestLlamaCppKL checks xent eval --base's statistics against
// llama-perplexity --kl-divergence's on the same files: a quantized file
// against its f16 original.
func TestLlamaCppKL(t *testing.T) {
	g := readLlamaCppGoldens(t)
	for _, k := range g.KL {
		if k.Error != "" {
			t.Logf("%s %s: not compared: %s", k.Family, k.Type, k.Error)
			continue
		}
		t.Run(k.Family+"/"+k.Type, func(t *testing.T) {
			src := llamaCppSource(t, t.TempDir(), k.Family, k.Source, g.Seed)
			file := func(typ string) string {
				for _, m := range g.Models {
					if m.Family == k.Family && m.Type == typ {
						return llamaCppFile(t, src, m.Family, typ, m.File, m.SHA256)
					}
				}
				t.Fatalf("no golden for %s %s", k.Family, typ)
				return ""
			}
			r := llamaCppEval(t, g, file(k.Type), "--base", file(k.Base))
			b := r["base"].(map[string]any)
			kl := b["kl_base_model"].(map[string]any)
			got := map[string]float64{"mean KLD": kl["mean"].(float64), "median KLD": kl["median"].(float64),
				"99% KLD": kl["p99"].(float64), "max KLD": kl["max"].(float64),
				"PPL(Q)": b["ppl"].(float64), "PPL(base)": b["base_ppl"].(float64),
				"RMS Δp %": 100 * b["rms_delta_p"].(float64), "same top p %": 100 * b["same_top_p"].(float64)}
			want := map[string]float64{"mean KLD": k.KLDMean, "median KLD": k.KLDMedian, "99% KLD": k.KLDP99, "max KLD": k.KLDMax,
				"PPL(Q)": k.PPLQ, "PPL(base)": k.PPLBase, "RMS Δp %": k.RMSDp, "same top p %": k.SameTop}
			for name, w := range want {
				if d := math.Abs(got[name] - w); d > llamaCppKLTol[name] {
					t.Errorf("%s: xent %.6f, llama.cpp %.6f (difference %.2g > %g)", name, got[name], w, d, llamaCppKLTol[name])
				} else {
					t.Logf("%-13s xent %.6f  llama.cpp %.6f", name, got[name], w)
				}
			}
		})
	}
}
