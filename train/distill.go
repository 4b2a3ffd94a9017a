package train

import (
	"fmt"
	"math"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
)

// Distiller trains a student model to match a teacher's next-token
// distributions on a token stream (knowledge distillation, Hinton et al.
// 2015): every position of a [B, T] batch, the loss is loss.Distill's
// T²-scaled KL between softmax(teacher/T) and softmax(student/T), forward
// KL(teacher ‖ student) or, with Loss.Reverse, KL(student ‖ teacher). The
// true next tokens are not used. Batches, the learning-rate schedule,
// clipping and AdamW are a Trainer's with the same Settings, so a
// distillation and a pre-training run of the same settings see the same
// batches in the same order.
type Distiller struct {
	Student, Teacher *model.Model
	Opt              *AdamW
	Settings         Settings
	Loss             loss.DistillOptions
	Step             int // completed optimizer steps

	sched           Schedule
	batches         *data.Batches
	inputs, targets []int32   // [B, T]; the targets are drawn and unused
	dlogits         []float32 // [B·T, V]
}

// NewDistiller prepares the distillation of teacher into student on the
// token stream under s (its batches seeded by s.Seed). The two models
// must share a vocabulary; label smoothing, z-loss, scheduled sampling and
// an emulated loss format, which belong to the cross-entropy with the true
// tokens, are refused rather than ignored, and so is bf16 compute.
func NewDistiller(student, teacher *model.Model, tokens []int32, s Settings, o loss.DistillOptions) (*Distiller, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.LabelSmoothing != 0 || s.ZLoss != 0 || s.ScheduledSampling != "" {
		return nil, fmt.Errorf("train: distillation has no label smoothing, z-loss or scheduled sampling")
	}
	if s.LossFormat != "" || s.LossSum != "" {
		return nil, fmt.Errorf("train: distillation computes its KL in float32 and float64; loss format %q, sum %q is for the cross-entropy", s.LossFormat, s.LossSum)
	}
	if mixed, _ := s.mixedBF16(); mixed {
		return nil, fmt.Errorf("train: distillation trains in float32 only; compute %q is for Trainer", s.Compute)
	}
	if !(o.Temperature >= 0) || math.IsInf(float64(o.Temperature), 0) {
		return nil, fmt.Errorf("train: distillation temperature %g must be finite and > 0", o.Temperature)
	}
	if student.VocabSize() != teacher.VocabSize() {
		return nil, fmt.Errorf("train: the student has %d tokens, the teacher %d: they must share the tokenizer", student.VocabSize(), teacher.VocabSize())
	}
	for _, m := range []struct {
		name string
		m    *model.Model
	}{{"student", student}, {"teacher", teacher}} {
		if s.Context > m.m.MaxSeqLen() {
			return nil, fmt.Errorf("train: context %d is longer than the %s's %d positions", s.Context, m.name, m.m.MaxSeqLen())
		}
		if err := m.m.CheckBatch(s.Batch, s.Context); err != nil {
			return nil, fmt.Errorf("train: the %s: %w", m.name, err)
		}
	}
	batches, err := data.NewBatches(tokens, s.Batch, s.Context, s.Seed)
	if err != nil {
		return nil, err
	}
	opt, sched, err := s.Optim.New(student, s.Steps)
	if err != nil {
		return nil, err
	}
	opt.Threads, student.Threads, teacher.Threads = s.Threads, s.Threads, s.Threads
	o.Threads = s.Threads
	n := s.Batch * s.Context
	return &Distiller{Student: student, Teacher: teacher, Opt: opt, Settings: s, Loss: o, sched: sched, batches: batches,
		inputs: make([]int32, n), targets: make([]int32, n), dlogits: make([]float32, n*student.VocabSize())}, nil
}

// Next runs one optimizer step: GradAccum micro-batches of the teacher's
// forward pass and the student's forward and backward, then clipping and
// AdamW. StepStats.Loss is the distillation loss (nats, T²-scaled). A
// non-finite loss or gradient stops it with an error before the weights
// change.
func (d *Distiller) Next() (StepStats, error) {
	s, m := d.Settings, d.Student
	B, T, V := s.Batch, s.Context, m.VocabSize()
	m.ZeroGrads()
	var total float64
	for range s.GradAccum {
		d.batches.Next(d.inputs, d.targets)
		teacher, err := d.Teacher.Logits(d.inputs, B, T)
		if err != nil {
			return StepStats{}, fmt.Errorf("train: step %d: the teacher: %w", d.Step+1, err)
		}
		student, err := m.Logits(d.inputs, B, T)
		if err != nil {
			return StepStats{}, fmt.Errorf("train: step %d: %w", d.Step+1, err)
		}
		l, err := loss.Distill(teacher, student, B*T, V, d.Loss, d.dlogits)
		if err != nil {
			return StepStats{}, fmt.Errorf("train: step %d: %w", d.Step+1, err)
		}
		if err := m.BackwardLogits(d.dlogits); err != nil {
			return StepStats{}, fmt.Errorf("train: step %d: %w", d.Step+1, err)
		}
		total += l
	}
	st, err := update(m, d.Opt, d.sched, s, d.Step, total, "distillation loss")
	if err != nil {
		return StepStats{}, err
	}
	d.Step++
	return st, nil
}
