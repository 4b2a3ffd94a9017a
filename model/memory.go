package model

import (
	"errors"
	"fmt"
)

// physicalMemory is the machine's memory in bytes, if the platform tells;
// replaced in tests.
var physicalMemory = totalMemory

// errTooBig says that an allocation would not fit in the machine's memory.
var errTooBig = errors.New("more than this machine's memory")

// fits reports whether bytes fit in the machine's memory: an allocation
// that does not is refused with a clear error rather than left to crash
// the Go runtime. The error reads "X GiB, more than this machine's Y GiB
// of memory".
func fits(bytes float64) error {
	ram, ok := physicalMemory()
	if !ok || bytes <= float64(ram) {
		return nil
	}
	return fmt.Errorf("%.1f GiB, %w (%.1f GiB)", bytes/(1<<30), errTooBig, float64(ram)/(1<<30))
}

// CheckBatch reports whether the model can run a batch [B, T]: both at
// least 1, T within the context, and the activations that a forward and
// backward keep (activationBytes) within the machine's memory. Callers
// that allocate per batch check before they do; Forward and
// ForwardBackward check too.
func (m *Model) CheckBatch(B, T int) error {
	if err := m.checkShape(B, T); err != nil {
		return err
	}
	need := m.activationBytes(B, T)
	if m.inf != nil {
		need = m.d.leanBytes(B*T, m.threads())
	}
	if err := fits(need); err != nil {
		return fmt.Errorf("model: the activations of a batch [%d, %d] need %w; use a smaller batch or context", B, T, err)
	}
	return nil
}

// activationBytes is the size of the buffers acts(B, T) allocates, in
// float64 so that no shape overflows it. TestActivationBytes holds it to
// what acts allocates.
func (m *Model) activationBytes(B, T int) float64 {
	d := m.d
	N, C, F, Q, A := float64(B)*float64(T), float64(d.C), float64(d.F), float64(d.qkv()), float64(d.H*d.D)
	perLayer := N*(3*C+Q+A+2*F+2) + float64(B)*float64(d.H)*float64(T)*float64(T) // ln1, ln2, res2, qkv, atty, fc, act, rstds; att
	perBatch := N*(4*C+Q+A+2*F+3) + float64(d.L+1)*N*C + float64(m.threads())*float64(T)*float64(T)
	if d.llama {
		perLayer += N * F // up
		perBatch += N * F // dup
	} else {
		perLayer += 2 * N // the norms' means
		perBatch += N
	}
	if d.fam.sandwich {
		perLayer += 2*N*C + 2*N // aout, mout and their rstds
		perBatch += N * C       // dsand
	}
	if d.fam.attnCap != 0 {
		perBatch += float64(m.threads()) * float64(T) * float64(T) // rawScores
	}
	if d.fam.qkNorm {
		HK := float64(d.H + d.K)
		perLayer += N * HK * float64(d.D+1)   // qkPre, qkRstd
		perBatch += N * HK * float64(3*d.D+1) // qk, qkOnes
	}
	return 4 * (float64(d.L)*perLayer + perBatch)
}

// checkShape refuses a batch [B, T] that is empty or longer than the
// model's context or its family's longest scored sequence: the part of
// CheckBatch and checkLean that does not depend on which pass runs.
func (m *Model) checkShape(B, T int) error {
	if B < 1 || T < 1 {
		return fmt.Errorf("model: batch [%d, %d] is empty", B, T)
	}
	if T > m.d.maxT {
		return fmt.Errorf("model: sequence of %d tokens is longer than the context of %d", T, m.d.maxT)
	}
	if w := m.d.fam.maxSeq; w > 0 && T > w {
		return fmt.Errorf("model: sequence of %d tokens is longer than %s; score at most %d tokens at a time", T, m.d.fam.maxSeqWhy, w)
	}
	return nil
}
