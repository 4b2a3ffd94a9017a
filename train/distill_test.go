package train

import (
	"testing"

	"github.com/xent-dev/xent/loss"
)

// TestDistillerLearns distils a briefly trained teacher into a fresh
// student in both directions: the distillation loss falls, the student's
// KL from the teacher falls, and the same settings give the same losses
// bit for bit.
func TestDistillerLearns(t *testing.T) {
	_, ids, s := tinySetup(t)
	s.LabelSmoothing, s.Steps = 0, 12
	teacher := tinyModel(t, 300, 1)
	tr, err := NewTrainer(teacher, ids, s)
	if err != nil {
		t.Fatal(err)
	}
	for range s.Steps {
		if _, err := tr.Next(); err != nil {
			t.Fatal(err)
		}
	}
	B, T := s.Batch, s.Context
	probe := ids[:B*T]
	kl := func(student *Distiller, reverse bool) float64 {
		tl, err := teacher.Logits(probe, B, T)
		if err != nil {
			t.Fatal(err)
		}
		sl, err := student.Student.Logits(probe, B, T)
		if err != nil {
			t.Fatal(err)
		}
		l, err := loss.Distill(tl, sl, B*T, 300, loss.DistillOptions{Reverse: reverse}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	for _, reverse := range []bool{false, true} {
		var runs [2][]float64
		for r := range runs {
			d, err := NewDistiller(tinyModel(t, 300, 2), teacher, ids, s, loss.DistillOptions{Temperature: 2, Reverse: reverse})
			if err != nil {
				t.Fatal(err)
			}
			before := kl(d, reverse)
			for range s.Steps {
				st, err := d.Next()
				if err != nil {
					t.Fatal(err)
				}
				runs[r] = append(runs[r], st.Loss)
			}
			if after := kl(d, reverse); !(after < 0.8*before) {
				t.Errorf("reverse %v: the student's KL from the teacher went from %.4f to %.4f", reverse, before, after)
			}
		}
		first, last := runs[0][0], runs[0][len(runs[0])-1]
		if !(last < first) {
			t.Errorf("reverse %v: distillation loss %.4f at the first step, %.4f at the last", reverse, first, last)
		}
		for i := range runs[0] {
			if runs[0][i] != runs[1][i] {
				t.Fatalf("reverse %v: step %d's loss %v, then %v with the same settings", reverse, i+1, runs[0][i], runs[1][i])
			}
		}
	}
}

func TestDistillerRefuses(t *testing.T) {
	_, ids, s := tinySetup(t)
	if _, err := NewDistiller(tinyModel(t, 300, 2), tinyModel(t, 300, 1), ids, s, loss.DistillOptions{}); err == nil {
		t.Error("label smoothing accepted")
	}
	s.LabelSmoothing = 0
	if _, err := NewDistiller(tinyModel(t, 300, 2), tinyModel(t, 299, 1), ids, s, loss.DistillOptions{}); err == nil {
		t.Error("vocabularies of 300 and 299 tokens accepted")
	}
	if _, err := NewDistiller(tinyModel(t, 300, 2), tinyModel(t, 300, 1), ids, s, loss.DistillOptions{Temperature: -1}); err == nil {
		t.Error("temperature -1 accepted")
	}
	s.LossFormat = "bf16"
	if _, err := NewDistiller(tinyModel(t, 300, 2), tinyModel(t, 300, 1), ids, s, loss.DistillOptions{}); err == nil {
		t.Error("loss format bf16 accepted (it would be ignored)")
	}
}
