package study

import (
	"fmt"
	"io"
	"slices"

	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/sample"
)

// Documents cuts a held-out token stream into up to count consecutive,
// non-overlapping documents of length tokens each.
func Documents(tokens []int32, length, count int) ([][]int32, error) {
	if length < 2 || count < 1 {
		return nil, fmt.Errorf("study: documents of %d tokens, %d of them: need length ≥ 2 and count ≥ 1", length, count)
	}
	var docs [][]int32
	for s := 0; s+length <= len(tokens) && len(docs) < count; s += length {
		docs = append(docs, tokens[s:s+length])
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("study: the held-out text has %d tokens, fewer than one document of %d", len(tokens), length)
	}
	return docs, nil
}

// ExposureOptions configure RunExposure.
type ExposureOptions struct {
	Prefixes     []int   `json:"prefixes"`     // prefix lengths p
	Own          int     `json:"own"`          // k: the model's own tokens inserted
	Continuation int     `json:"continuation"` // m: true tokens scored after them
	Horizon      int     `json:"horizon"`      // H: free-running tokens of the curve
	Temperature  float64 `json:"temperature"`  // of the sampled runs (> 0)
	Seed         uint64  `json:"seed"`
}

// DocLength is the document length the options need: max over p of
// p + max(k + m, H).
func (o ExposureOptions) DocLength() int {
	n := 0
	for _, p := range o.Prefixes {
		n = max(n, p+max(o.Own+o.Continuation, o.Horizon))
	}
	return n
}

func (o ExposureOptions) validate(contextLen int) error {
	switch {
	case len(o.Prefixes) == 0:
		return fmt.Errorf("study: no prefix lengths")
	case o.Own < 1 || o.Continuation < 1 || o.Horizon < 1:
		return fmt.Errorf("study: own tokens %d, continuation %d and horizon %d must each be ≥ 1", o.Own, o.Continuation, o.Horizon)
	case !(o.Temperature > 0):
		return fmt.Errorf("study: temperature %g of the sampled runs must be > 0", o.Temperature)
	case o.DocLength() > contextLen:
		return fmt.Errorf("study: the longest prefix plus max(own + continuation, horizon) is %d tokens, more than the model's context of %d", o.DocLength(), contextLen)
	}
	for _, p := range o.Prefixes {
		if p < 1 {
			return fmt.Errorf("study: prefix length %d must be ≥ 1", p)
		}
	}
	return nil
}

// ExposureRow compares, for one prefix length, the mean NLL (nats/token)
// of the same true tokens after a true bridge and after the model's own.
type ExposureRow struct {
	Prefix        int     `json:"prefix"`
	Docs          int     `json:"docs"`
	TeacherForced float64 `json:"nll_teacher_forced"`
	AfterGreedy   float64 `json:"nll_after_greedy"`
	AfterSampled  float64 `json:"nll_after_sampled"`
}

// CurvePoint is the error-compounding curve at distance j from the prefix.
type CurvePoint struct {
	Distance        int     `json:"distance"`
	TeacherForced   float64 `json:"nll_teacher_forced"` // of d[p+j−1] under the true context
	Greedy          float64 `json:"nll_greedy"`         // under the greedy free-running context
	Sampled         float64 `json:"nll_sampled"`        // under the sampled one
	GreedyDisagree  float64 `json:"disagree_greedy"`    // share whose top-1 differs from the teacher-forced top-1
	SampledDisagree float64 `json:"disagree_sampled"`
}

// Exposure is the result of RunExposure.
type Exposure struct {
	Options ExposureOptions `json:"options"`
	Rows    []ExposureRow   `json:"rows"`
	Curve   []CurvePoint    `json:"curve"`
}

// scorer scores true tokens under a context through the model's parallel
// pass, whose logits equal KV-cache decoding's bit for bit.
type scorer struct {
	m    *model.Model
	V    int
	rows *loss.RowScorer
}

// pass returns the logits [len(seq), V] of seq.
func (s scorer) pass(seq []int32) ([]float32, error) { return s.m.Logits(seq, 1, len(seq)) }

// nll is −log p(seq[i]) and the top-1 token at position i ≥ 1, from the
// logits of a pass over seq.
func (s scorer) nll(logits []float32, seq []int32, i int) (float64, int32, error) {
	r, err := s.rows.Score(logits[(i-1)*s.V:i*s.V], nil, seq[i])
	return r.NLL, r.Top, err
}

// RunExposure runs the exposure study over docs, each at least
// o.DocLength() tokens long (package doc: the definitions).
func RunExposure(m *model.Model, docs [][]int32, o ExposureOptions) (Exposure, error) {
	if err := o.validate(m.MaxSeqLen()); err != nil {
		return Exposure{}, err
	}
	gen := sample.NewGenerator(m)
	sc := scorer{m: m, V: m.VocabSize(), rows: new(loss.RowScorer)}
	res := Exposure{Options: o, Curve: make([]CurvePoint, o.Horizon)}
	free := max(o.Own, o.Horizon) // tokens each free-running generation needs
	runs := 0
	for pi, p := range o.Prefixes {
		row := ExposureRow{Prefix: p, Docs: len(docs)}
		for di, doc := range docs {
			if len(doc) < o.DocLength() {
				return Exposure{}, fmt.Errorf("study: document %d has %d tokens; the options need %d", di, len(doc), o.DocLength())
			}
			n := p + max(o.Own+o.Continuation, o.Horizon)
			truth := doc[:n]
			tf, err := sc.pass(truth)
			if err != nil {
				return Exposure{}, err
			}
			sum, err := sc.sumNLL(tf, truth[:p+o.Own+o.Continuation], p+o.Own)
			if err != nil {
				return Exposure{}, err
			}
			row.TeacherForced += sum
			for j := range o.Horizon {
				l, _, err := sc.nll(tf, truth, p+j)
				if err != nil {
					return Exposure{}, err
				}
				res.Curve[j].TeacherForced += l
			}
			for _, greedy := range []bool{true, false} {
				settings := sample.Settings{Seed: o.Seed}
				if !greedy {
					settings.Temperature = o.Temperature
				}
				sp, err := sample.NewSampler(settings, uint64(pi*len(docs)+di))
				if err != nil {
					return Exposure{}, err
				}
				toks, err := gen.Generate(doc[:p], free, sp, nil)
				if err != nil {
					return Exposure{}, err
				}
				own := make([]int32, len(toks))
				for i, t := range toks {
					own[i] = t.ID
				}
				after, err := sc.afterOwn(tf, truth, own, p, o)
				if err != nil {
					return Exposure{}, err
				}
				nll, disagree, err := sc.freeRunning(tf, truth, own, p, o.Horizon)
				if err != nil {
					return Exposure{}, err
				}
				for j := range o.Horizon {
					if greedy {
						res.Curve[j].Greedy += nll[j]
						res.Curve[j].GreedyDisagree += disagree[j]
					} else {
						res.Curve[j].Sampled += nll[j]
						res.Curve[j].SampledDisagree += disagree[j]
					}
				}
				if greedy {
					row.AfterGreedy += after
				} else {
					row.AfterSampled += after
				}
			}
			runs++
		}
		scale := 1 / float64(len(docs)*o.Continuation)
		row.TeacherForced *= scale
		row.AfterGreedy *= scale
		row.AfterSampled *= scale
		res.Rows = append(res.Rows, row)
	}
	for j := range res.Curve {
		c := &res.Curve[j]
		c.Distance = j + 1
		r := 1 / float64(runs)
		c.TeacherForced *= r
		c.Greedy *= r
		c.Sampled *= r
		c.GreedyDisagree *= r
		c.SampledDisagree *= r
	}
	return res, nil
}

// afterOwn is the summed NLL of the m true tokens truth[p+k : p+k+m] when
// the k before them are the model's own: context truth[:p] + own[:k].
func (s scorer) afterOwn(tf []float32, truth, own []int32, p int, o ExposureOptions) (float64, error) {
	seq := slices.Concat(truth[:p], own[:o.Own], truth[p+o.Own:p+o.Own+o.Continuation])
	logits, err := s.pass(seq)
	if err != nil {
		return 0, err
	}
	return s.sumNLL(logits, seq, p+o.Own)
}

// sumNLL is the NLL of seq[from:], summed in order, from the logits of a
// pass over seq.
func (s scorer) sumNLL(logits []float32, seq []int32, from int) (float64, error) {
	var sum float64
	for i := from; i < len(seq); i++ {
		l, _, err := s.nll(logits, seq, i)
		if err != nil {
			return 0, err
		}
		sum += l
	}
	return sum, nil
}

// freeRunning gives, at each distance j = 1 … H (index j−1), the NLL of
// the true token truth[p+j−1] under the free-running context truth[:p] +
// own[:j−1], and 1 where the top-1 token there differs from the
// teacher-forced top-1 (from tf, the logits of the pass over truth).
func (s scorer) freeRunning(tf []float32, truth, own []int32, p, horizon int) (nll, disagree []float64, err error) {
	ctx := slices.Concat(truth[:p], own[:horizon-1])
	logits, err := s.pass(ctx)
	if err != nil {
		return nil, nil, err
	}
	nll, disagree = make([]float64, horizon), make([]float64, horizon)
	for j := range horizon {
		i := p + j // the position predicted
		l, top, err := s.nll(logits, truth, i)
		if err != nil {
			return nil, nil, err
		}
		_, tfTop, _ := s.nll(tf, truth, i)
		nll[j] = l
		if top != tfTop {
			disagree[j] = 1
		}
	}
	return nll, disagree, nil
}

// WriteTable prints the exposure table and a summary of the curve.
func (e Exposure) WriteTable(w io.Writer) {
	o := e.Options
	fmt.Fprintf(w, "NLL (nats/token) of %d true tokens after a %d-token bridge: true text vs the model's own (greedy; sampled at T=%g)\n",
		o.Continuation, o.Own, o.Temperature)
	fmt.Fprintf(w, "%8s %6s %14s %14s %14s %10s %10s\n", "prefix", "docs", "teacher-forced", "after greedy", "after sampled", "Δ greedy", "Δ sampled")
	for _, r := range e.Rows {
		fmt.Fprintf(w, "%8d %6d %14.4f %14.4f %14.4f %+10.4f %+10.4f\n", r.Prefix, r.Docs, r.TeacherForced, r.AfterGreedy, r.AfterSampled,
			r.AfterGreedy-r.TeacherForced, r.AfterSampled-r.TeacherForced)
	}
	fmt.Fprintf(w, "\nerror compounding: NLL of the true token and top-1 disagreement with teacher forcing, by distance from the prefix\n")
	fmt.Fprintf(w, "%8s %14s %12s %12s %12s %12s\n", "distance", "teacher-forced", "greedy", "sampled", "disagree g", "disagree s")
	for _, c := range e.Curve {
		if shownDistance(c.Distance) || c.Distance == len(e.Curve) {
			fmt.Fprintf(w, "%8d %14.4f %12.4f %12.4f %12.3f %12.3f\n", c.Distance, c.TeacherForced, c.Greedy, c.Sampled, c.GreedyDisagree, c.SampledDisagree)
		}
	}
}

// shownDistance picks the table's distances: 1 to 4, then 2^a and 3·2^a.
func shownDistance(j int) bool {
	pow2 := func(x int) bool { return x > 0 && x&(x-1) == 0 }
	return j <= 4 || pow2(j) || j%3 == 0 && pow2(j/3)
}
