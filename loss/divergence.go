package loss

import (
	"fmt"
	"math"
)

// Dist is N distributions over V classes, row-major [N, V]: either logits
// (the distribution is their softmax) or probabilities, used exactly as
// given (not renormalised; 0·log 0 = 0).
type Dist struct {
	Rows, Cols int
	Logits     []float32 // [N, V], or
	Probs      []float32 // [N, V]
}

// FromLogits describes the softmax of logits [n, v].
func FromLogits(x []float32, n, v int) Dist { return Dist{Rows: n, Cols: v, Logits: x} }

// FromProbs describes probability rows [n, v].
func FromProbs(p []float32, n, v int) Dist { return Dist{Rows: n, Cols: v, Probs: p} }

func (d Dist) check(name string) error {
	if d.Rows < 0 || d.Cols <= 0 {
		return fmt.Errorf("loss: %s has shape [%d, %d]", name, d.Rows, d.Cols)
	}
	data := d.Logits
	if (d.Logits == nil) == (d.Probs == nil) {
		if d.Rows == 0 {
			return nil
		}
		return fmt.Errorf("loss: %s needs exactly one of logits or probabilities", name)
	}
	if d.Probs != nil {
		data = d.Probs
	}
	if int64(len(data)) != int64(d.Rows)*int64(d.Cols) {
		return fmt.Errorf("loss: %s is [%d, %d] but holds %d values", name, d.Rows, d.Cols, len(data))
	}
	for k, x := range data {
		if x != x || math.IsInf(float64(x), 1) || (d.Probs != nil && (x < 0 || math.IsInf(float64(x), 0))) {
			return fmt.Errorf("loss: %s row %d, class %d is %g", name, k/d.Cols, k%d.Cols, x)
		}
	}
	return nil
}

// logProbs writes row i's probabilities into p and its log-probabilities
// into logp, both in float64. For logits, log p_c = x_c − lse exactly.
//
// These measures often are tiny (the KL of close models, the entropy of a
// peaked one) and are differences of log-sum-exps: a float32 sum of exps
// (error ~6e-8·Σ) would leave them only a few correct digits, so they are
// computed in float64 throughout.
func (d Dist) logProbs(i int, p, logp []float64) error {
	lo, hi := i*d.Cols, (i+1)*d.Cols
	if d.Probs != nil {
		for c, pc := range d.Probs[lo:hi] {
			p[c], logp[c] = float64(pc), math.Log(float64(pc))
		}
		return nil
	}
	lse := logSumExp64(d.Logits[lo:hi], 1)
	if math.IsInf(lse, -1) {
		return fmt.Errorf("loss: row %d: every logit is -Inf", i)
	}
	for c, x := range d.Logits[lo:hi] {
		logp[c] = float64(x) - lse
		p[c] = math.Exp(logp[c])
	}
	return nil
}

// logSumExp64 is log Σ exp(scale·x) in float64.
func logSumExp64(x []float32, scale float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, scale*float64(v))
	}
	if math.IsInf(m, -1) {
		return m
	}
	var s float64
	for _, v := range x {
		s += math.Exp(scale*float64(v) - m)
	}
	return m + math.Log(s)
}

// Divergences are per-row information measures between P and Q, in nats.
type Divergences struct {
	EntropyP     []float64 // H(P) = −Σ p log p
	EntropyQ     []float64 // H(Q)
	CrossEntropy []float64 // H(P, Q) = −Σ p log q
	KL           []float64 // KL(P‖Q) = Σ p (log p − log q), the forward KL
	ReverseKL    []float64 // KL(Q‖P)
	JS           []float64 // Jensen–Shannon: ½KL(P‖M) + ½KL(Q‖M), M = (P+Q)/2; in [0, ln 2]
}

// Compare computes every measure of Divergences for each row pair of p and
// q [N, V]. Terms with zero probability count 0 (0·log 0 = 0); a class with
// p > 0 where q = 0 makes KL(P‖Q) and H(P, Q) +Inf, as it should.
func Compare(p, q Dist, threads int) (Divergences, error) {
	if err := p.check("P"); err != nil {
		return Divergences{}, err
	}
	if err := q.check("Q"); err != nil {
		return Divergences{}, err
	}
	if p.Rows != q.Rows || p.Cols != q.Cols {
		return Divergences{}, fmt.Errorf("loss: P is [%d, %d], Q is [%d, %d]", p.Rows, p.Cols, q.Rows, q.Cols)
	}
	n, v := p.Rows, p.Cols
	d := Divergences{
		EntropyP: make([]float64, n), EntropyQ: make([]float64, n), CrossEntropy: make([]float64, n),
		KL: make([]float64, n), ReverseKL: make([]float64, n), JS: make([]float64, n),
	}
	if threads <= 0 {
		threads = Options{}.threads()
	}
	err := forRows(n, v, threads, func(i int, ws *workspace) error {
		ws.f64 = grow(ws.f64, 4*v)
		pp, lp, qq, lq := ws.f64[:v], ws.f64[v:2*v], ws.f64[2*v:3*v], ws.f64[3*v:]
		if err := p.logProbs(i, pp, lp); err != nil {
			return fmt.Errorf("%w (in P)", err)
		}
		if err := q.logProbs(i, qq, lq); err != nil {
			return fmt.Errorf("%w (in Q)", err)
		}
		// KL is summed directly, not as H(P,Q) − H(P), which would cancel
		// when P ≈ Q.
		var hp, hq, hpq, kl, rkl, js float64
		for c := range v {
			pc, qc, lp, lq := pp[c], qq[c], lp[c], lq[c]
			if pc > 0 {
				hp -= pc * lp
				hpq -= pc * lq
				kl += pc * (lp - lq)
			}
			if qc > 0 {
				hq -= qc * lq
				rkl += qc * (lq - lp)
			}
			// log p − log m = ln 2 − softplus(log q − log p), in log space so
			// that JS keeps its digits when P ≈ Q.
			if pc > 0 {
				js += 0.5 * pc * (math.Ln2 - softplus(lq-lp))
			}
			if qc > 0 {
				js += 0.5 * qc * (math.Ln2 - softplus(lp-lq))
			}
		}
		d.EntropyP[i], d.EntropyQ[i], d.CrossEntropy[i] = hp, hq, hpq
		d.KL[i], d.ReverseKL[i], d.JS[i] = kl, rkl, js
		return nil
	})
	return d, err
}

// DistillOptions configure knowledge distillation.
type DistillOptions struct {
	// Temperature T > 0 softens both distributions; 0 means 1.
	Temperature float32
	// Reverse distils with KL(student ‖ teacher) instead of Hinton et al.'s
	// KL(teacher ‖ student). The forward direction charges the student for
	// every class the teacher gives mass to that it does not (it spreads to
	// cover them all); the reverse charges it for mass where the teacher has
	// little (it settles on what the teacher rates highest).
	Reverse bool
	// Threads as in Options.
	Threads int
}

// Distill is the distillation loss of Hinton et al. (2015), with
// p = softmax(teacher/T) and q = softmax(student/T) per row:
//
//	L = T² · (1/N) Σ_rows KL(p ‖ q)      (forward, the default)
//	L = T² · (1/N) Σ_rows KL(q ‖ p)      (opt.Reverse)
//
// (PyTorch, forward: kl_div(log_softmax(s/T), log_softmax(t/T),
// "batchmean", log_target=True)·T²; reverse: the same with the arguments
// swapped.) The T² keeps gradient magnitudes comparable across
// temperatures. If dStudent [N, V] is non-nil it receives dL/dstudent:
//
//	forward: (T/N)·(q − p)
//	reverse: (T/N)·q·(log q − log p − KL(q ‖ p))
//
// A teacher logit of −Inf (p = 0) where the student gives mass makes the
// reverse KL infinite: that is an error, not an infinite loss.
func Distill(teacher, student []float32, n, v int, opt DistillOptions, dStudent []float32) (float64, error) {
	t := opt.Temperature
	if t == 0 {
		t = 1
	}
	if !(t > 0) || math.IsInf(float64(t), 0) {
		return 0, fmt.Errorf("loss: distillation temperature %g must be finite and > 0", t)
	}
	if err := FromLogits(teacher, n, v).check("teacher logits"); err != nil {
		return 0, err
	}
	if err := FromLogits(student, n, v).check("student logits"); err != nil {
		return 0, err
	}
	if dStudent != nil && len(dStudent) != len(student) {
		return 0, fmt.Errorf("loss: student gradient holds %d values, want N·V = %d", len(dStudent), n*v)
	}
	if n == 0 {
		return 0, nil
	}
	rows := make([]float64, n)
	invT := 1 / float64(t)
	gScale := float64(t) / float64(n)
	threads := opt.Threads
	if threads <= 0 {
		threads = Options{}.threads()
	}
	err := forRows(n, v, threads, func(i int, ws *workspace) error {
		tRow, sRow := teacher[i*v:(i+1)*v], student[i*v:(i+1)*v]
		lseT, lseS := logSumExp64(tRow, invT), logSumExp64(sRow, invT)
		if math.IsInf(lseT, -1) || math.IsInf(lseS, -1) {
			return fmt.Errorf("loss: row %d: every teacher or student logit is -Inf", i)
		}
		if opt.Reverse {
			return reverseRow(tRow, sRow, invT, lseT, lseS, gScale, &rows[i], ws, dStudent, i)
		}
		var kl float64
		for c := range v {
			lpt := float64(tRow[c])*invT - lseT
			lqs := float64(sRow[c])*invT - lseS
			pt := math.Exp(lpt)
			if pt > 0 {
				kl += pt * (lpt - lqs)
			}
			if dStudent != nil {
				dStudent[i*v+c] = float32(gScale * (math.Exp(lqs) - pt))
			}
		}
		rows[i] = kl
		return nil
	})
	if err != nil {
		return 0, err
	}
	var sum float64
	for _, r := range rows {
		sum += r
	}
	return float64(t) * float64(t) * sum / float64(n), nil
}

// reverseRow sets *kl to row i's KL(q ‖ p) and, with dStudent, its
// gradient (T/N)·q·(log q − log p − KL) into row i of dStudent.
func reverseRow(tRow, sRow []float32, invT, lseT, lseS, gScale float64, kl *float64, ws *workspace, dStudent []float32, i int) error {
	v := len(tRow)
	ws.f64 = grow(ws.f64, 2*v)
	q, d := ws.f64[:v], ws.f64[v:2*v] // q, and log q − log p
	var sum float64
	for c := range v {
		lqs := float64(sRow[c])*invT - lseS
		q[c], d[c] = math.Exp(lqs), 0
		if q[c] > 0 {
			if math.IsInf(float64(tRow[c]), -1) {
				return fmt.Errorf("loss: row %d, class %d: the teacher rules the class out (logit -Inf) where the student gives it mass; KL(student ‖ teacher) is infinite", i, c)
			}
			d[c] = lqs - (float64(tRow[c])*invT - lseT)
			sum += q[c] * d[c]
		}
	}
	*kl = sum
	if dStudent != nil {
		for c := range v {
			dStudent[i*v+c] = float32(gScale * q[c] * (d[c] - sum))
		}
	}
	return nil
}

// softplus is log(1 + e^d), accurate for every d including ±Inf.
func softplus(d float64) float64 {
	if d > 0 {
		return d + math.Log1p(math.Exp(-d))
	}
	return math.Log1p(math.Exp(d))
}
