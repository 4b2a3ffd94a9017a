package model

import (
	"fmt"
	"runtime"
	"strconv"

	"github.com/xent-dev/xent/internal/gemm"
)

// Model is a transformer's parameters, gradients and activation buffers.
// A Model is not safe for concurrent use; Decoders of one model may run
// concurrently with each other while its parameters do not change.
type Model struct {
	// Config is as given to New or Load, except that tie_word_embeddings
	// says what the model does (a GPT-2 head is always the embedding, so
	// that a saved config.json loads in transformers with that head);
	// changing it changes nothing.
	Config Config
	// Threads bounds the goroutines of each step; 0 means GOMAXPROCS.
	// Results are bit-identical across runs and thread counts.
	Threads int

	d             dims
	specs         []spec
	byName        map[string]spec
	params, grads []float32

	wte, dwte []float32 // [V, C] token embedding; nil in an inference model
	wpe, dwpe []float32 // [maxT, C] GPT-2's position embedding; likewise
	// emb [V, C] and pos [maxT, C] (GPT-2; else empty) are the embeddings
	// as tables of rows (linear.row), in whatever dtype they are held.
	emb, pos linear
	// inf holds an inference model's weights by name (NewInference); nil
	// for a trainable model.
	inf       map[string]Weight
	compute   Compute
	mixed     []uint16 // the blocks' weights in bfloat16 for mixed-precision training (SetMixedBF16)
	blocks    []block
	lnf       norm
	head      linear    // [V, C]: the embedding itself when tied
	rope      rope      // Llama
	ropeLocal rope      // Gemma 3's sliding-window layers' (rope_local_base_freq); else empty
	a         *acts     // for the last batch shape
	lean      *leanActs // the lean forward's scratch for its last row count
	// rowTargets [N] are the targets of the last TokenLogProbs pass, and
	// rowIgnore its ignore index; empty after any other pass, whose
	// activations replaced its.
	rowTargets []int32
	rowIgnore  int
	rowGrad    []float32 // [N] BackwardTokenLogProbs' upstream gradient, reused
}

// block is one transformer layer's parameter views.
type block struct {
	ln1, ln2 norm
	qkv      []linear // their outputs, side by side, fill a row of queries, keys and values
	proj     linear   // attention output projection
	up       []linear // GPT-2: c_fc; Llama: gate_proj, up_proj
	down     linear   // MLP output projection
	// qNorm and kNorm (Qwen3) are RMSNorms over each head's queries and
	// keys before RoPE; their w is nil in other families.
	qNorm, kNorm norm
	// attnOut and mlpOut (Gemma 2) are RMSNorms of the attention's and
	// the MLP's outputs before the residual adds them; w nil elsewhere.
	attnOut, mlpOut norm
	window          int     // the keys a position attends to, itself included; 0: all
	scale           float32 // attention scores are q·k times this
	rope            *rope   // the layer's rotary embedding (Llama-like families)
	// qkvStack and upStack are the packed matrices of qkv and of up
	// stacked (lean.go), so that the lean forward packs their input once;
	// nil unless every one of them is packed.
	qkvStack, upStack *gemm.Packed
}

// New returns a model of the given config with GPT-2-style random weights
// (normal(0, 0.02), residual projections scaled by 1/√(2·layers), biases 0,
// norm weights 1) drawn from seed, and zero gradients.
func New(cfg Config, seed uint64) (*Model, error) {
	m, err := alloc(cfg)
	if err != nil {
		return nil, err
	}
	initParams(m.specs, m.params, seed)
	return m, nil
}

// bounded is the config's dimensions and parameter layout, refused when
// it holds more parameters than a model may: the first check of every
// constructor (New, NewInference, LoadInference).
func (c Config) bounded() (dims, []spec, int, error) {
	d, err := c.dims()
	if err != nil {
		return dims{}, nil, 0, err
	}
	specs, total := layout(d)
	if total > maxParams {
		return dims{}, nil, 0, fmt.Errorf("model: %d parameters are more than the %d supported", total, maxParams)
	}
	return d, specs, total, nil
}

// alloc returns a model with zero parameters.
func alloc(cfg Config) (*Model, error) {
	d, specs, total, err := cfg.bounded()
	if err != nil {
		return nil, err
	}
	need := 8 * float64(total) // weights and gradients, float32
	if d.llama {
		need += 4 * float64(d.maxT) * float64(d.D) // the RoPE table
		if d.fam.localRope.inv != nil {
			need += 4 * float64(d.maxT) * float64(d.D) // Gemma 3's second
		}
	}
	if err := fits(need); err != nil {
		return nil, fmt.Errorf("model: %s config: the weights and gradients of %d parameters need %w", cfg.ModelType, total, err)
	}
	cfg.TieWordEmbeddings = d.tied
	m := &Model{Config: cfg, d: d, specs: specs, byName: map[string]spec{},
		params: make([]float32, total), grads: make([]float32, total)}
	for _, s := range specs {
		m.byName[s.name] = s
	}
	m.bind()
	return m, nil
}

// bind points the layer structs at their views of the two buffers, or
// of an inference model's weights.
func (m *Model) bind() {
	d := m.d
	p := func(name string) []float32 {
		if m.inf != nil {
			return m.inf[name].F32
		}
		return m.view(m.params, name)
	}
	g := func(name string) []float32 {
		if m.inf != nil {
			return nil
		}
		return m.view(m.grads, name)
	}
	// mat is the matrix name [out, in] (Conv1D: [in, out]) as a linear.
	mat := func(name string, in, out int, conv bool) linear {
		l := linear{w: p(name), dw: g(name), in: in, out: out, conv: conv}
		if m.inf != nil {
			w := m.inf[name]
			l.wb, l.q, l.pk = w.BF16, w.Matrix, w.packed
			if l.q != nil {
				l.conv = false // a Matrix is W [out, in] whatever the checkpoint stores
			}
		}
		return l
	}
	lin := func(name string, in, out int, bias, conv bool) linear {
		l := mat(name+".weight", in, out, conv)
		if bias {
			l.b, l.db = p(name+".bias"), g(name+".bias")
		}
		return l
	}
	nrm := func(name string, bias bool) norm {
		n := norm{w: p(name + ".weight"), dw: g(name + ".weight"), eps: d.eps, offset: d.fam.normOffset}
		if bias {
			n.b, n.db = p(name+".bias"), g(name+".bias")
		}
		return n
	}
	C, A, KV := d.C, d.H*d.D, d.K*d.D
	m.blocks = make([]block, d.L)
	if !d.llama {
		m.wte, m.dwte = p("wte.weight"), g("wte.weight")
		m.wpe, m.dwpe = p("wpe.weight"), g("wpe.weight")
		m.emb, m.pos = mat("wte.weight", C, d.V, false), mat("wpe.weight", C, d.maxT, false)
		for i := range m.blocks {
			pre := "h." + strconv.Itoa(i) + "."
			m.blocks[i] = block{
				ln1:  nrm(pre+"ln_1", true),
				qkv:  []linear{lin(pre+"attn.c_attn", C, 3*C, true, true)},
				proj: lin(pre+"attn.c_proj", C, C, true, true),
				ln2:  nrm(pre+"ln_2", true),
				up:   []linear{lin(pre+"mlp.c_fc", C, d.F, true, true)},
				down: lin(pre+"mlp.c_proj", d.F, C, true, true),
			}
		}
		m.lnf = nrm("ln_f", true)
	} else {
		m.wte, m.dwte = p("model.embed_tokens.weight"), g("model.embed_tokens.weight")
		m.emb = mat("model.embed_tokens.weight", C, d.V, false)
		for i := range m.blocks {
			pre := "model.layers." + strconv.Itoa(i) + "."
			f := d.fam
			m.blocks[i] = block{
				ln1:  nrm(pre+"input_layernorm", false),
				proj: lin(pre+"self_attn.o_proj", A, C, f.oBias, false),
				ln2:  nrm(pre+"post_attention_layernorm", false),
				down: lin(pre+"mlp.down_proj", d.F, C, f.mlpBias, false),
			}
			if f.fused { // phi3: row ranges of qkv_proj and gate_up_proj
				m.blocks[i].qkv = rowRanges(mat(pre+"self_attn.qkv_proj.weight", C, A+2*KV, false), A, KV, KV)
				m.blocks[i].up = rowRanges(mat(pre+"mlp.gate_up_proj.weight", C, 2*d.F, false), d.F, d.F)
			} else {
				m.blocks[i].qkv = []linear{
					lin(pre+"self_attn.q_proj", C, A, f.qkvBias, false),
					lin(pre+"self_attn.k_proj", C, KV, f.qkvBias, false),
					lin(pre+"self_attn.v_proj", C, KV, f.qkvBias, false),
				}
				m.blocks[i].up = []linear{
					lin(pre+"mlp.gate_proj", C, d.F, f.mlpBias, false),
					lin(pre+"mlp.up_proj", C, d.F, f.mlpBias, false),
				}
			}
			if f.qkNorm {
				m.blocks[i].qNorm, m.blocks[i].kNorm = nrm(pre+"self_attn.q_norm", false), nrm(pre+"self_attn.k_norm", false)
			}
			if f.sandwich { // gemma2's post_attention_layernorm is of the attention's output
				m.blocks[i].attnOut = m.blocks[i].ln2
				m.blocks[i].ln2 = nrm(pre+"pre_feedforward_layernorm", false)
				m.blocks[i].mlpOut = nrm(pre+"post_feedforward_layernorm", false)
			}
			if f.sliding(i) {
				m.blocks[i].window = f.window
			}
		}
		m.lnf = nrm("model.norm", false)
		m.rope = newRope(d, d.rope)
		if d.fam.localRope.inv != nil {
			m.ropeLocal = newRope(d, d.fam.localRope)
		}
		for i := range m.blocks {
			m.blocks[i].rope = &m.rope
			if d.fam.sliding(i) && d.fam.localRope.inv != nil {
				m.blocks[i].rope = &m.ropeLocal
			}
		}
	}
	for i := range m.blocks {
		m.blocks[i].scale = d.fam.attnScale
		if d.fam.inverseLayer { // GPT-2's scale_attn_by_inverse_layer_idx
			m.blocks[i].scale /= float32(i + 1)
		}
	}
	m.stackPacked()
	m.head = m.emb
	m.head.dw = m.dwte
	if !d.tied {
		m.head = lin("lm_head", C, d.V, false, false)
	}
}

// rowRanges splits a fused nn.Linear f [Σ outs, in] (float32 or
// bfloat16, with its gradient) into layers reading consecutive row ranges
// of outs rows.
func rowRanges(f linear, outs ...int) []linear {
	var ls []linear
	lo, in := 0, f.in
	for _, n := range outs {
		a, b := lo*in, (lo+n)*in
		l := linear{in: in, out: n}
		if f.w != nil {
			l.w = f.w[a:b:b]
		}
		if f.dw != nil {
			l.dw = f.dw[a:b:b]
		}
		if f.wb != nil {
			l.wb = f.wb[a:b:b]
		}
		ls = append(ls, l)
		lo += n
	}
	return ls
}

// Params returns the named parameter views, in Hugging Face naming, in the
// order of the flat buffer; none for an inference model (Inference).
func (m *Model) Params() []Tensor {
	if m.inf != nil {
		return nil
	}
	return views(m.specs, m.params)
}

// Grads returns the gradient views, named and ordered as Params; none for
// an inference model.
func (m *Model) Grads() []Tensor {
	if m.inf != nil {
		return nil
	}
	return views(m.specs, m.grads)
}

// ParamBuffer is the flat parameter buffer that Params views; empty for
// an inference model.
func (m *Model) ParamBuffer() []float32 { return m.params }

// GradBuffer is the flat gradient buffer that Grads views; empty for an
// inference model.
func (m *Model) GradBuffer() []float32 { return m.grads }

// ZeroGrads sets every gradient to zero; ForwardBackward accumulates.
func (m *Model) ZeroGrads() { clear(m.grads) }

// VocabSize is the number of token ids.
func (m *Model) VocabSize() int { return m.d.V }

// MaxSeqLen is the longest sequence the model scores: the context length,
// or a shorter bound where transformers' arithmetic changes past it (a
// phi3 sliding_window, longrope's original context; families.go).
func (m *Model) MaxSeqLen() int {
	if w := m.d.fam.maxSeq; w > 0 && w < m.d.maxT {
		return w
	}
	return m.d.maxT
}

func (m *Model) threads() int {
	if m.Threads > 0 {
		return m.Threads
	}
	return runtime.GOMAXPROCS(0)
}
