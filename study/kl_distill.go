package study

import (
	"context"
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"

	"github.com/xent-dev/xent/data"
	"github.com/xent-dev/xent/eval"
	"github.com/xent-dev/xent/loss"
	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/tokenizer"
	"github.com/xent-dev/xent/train"
)

// DistillOptions configure RunDistill: the student's shape, the training
// both students share, and what is measured.
type DistillOptions struct {
	// Arch, Width, Layers and Heads shape the student (model.SmallConfig);
	// its context is Settings.Context.
	Arch   string `json:"arch"`
	Width  int    `json:"width"`
	Layers int    `json:"layers"`
	Heads  int    `json:"heads"`
	// Settings are both students' training (batch, context, steps,
	// optimizer, seed); label smoothing, z-loss and scheduled sampling must
	// be off.
	Settings train.Settings `json:"settings"`
	// Temperature T of the distillation loss (both directions); the
	// students are measured at temperature 1.
	Temperature float64 `json:"temperature"`
	// TopK is k of the coverage measures, MinProb the probability a
	// student must give a teacher's top-k token for it to count as covered.
	TopK    int     `json:"top_k"`
	MinProb float64 `json:"min_prob"`
	// EvalTokens caps the held-out tokens scored (0: all of them).
	EvalTokens int `json:"eval_tokens"`
}

// Validate reports the first option RunDistill cannot use.
func (o DistillOptions) Validate() error {
	if _, err := model.SmallConfig(o.Arch, 2, o.Width, o.Layers, o.Heads, 2); err != nil {
		return err
	}
	switch {
	case o.Width < 1 || o.Layers < 1 || o.Heads < 1:
		return fmt.Errorf("student width %d, layers %d, heads %d: each must be ≥ 1", o.Width, o.Layers, o.Heads)
	case !(o.Temperature > 0) || math.IsInf(o.Temperature, 0):
		return fmt.Errorf("temperature %g must be finite and > 0", o.Temperature)
	case o.TopK < 1:
		return fmt.Errorf("top-k %d must be ≥ 1", o.TopK)
	case !(o.MinProb > 0 && o.MinProb < 1):
		return fmt.Errorf("coverage threshold %g must be in (0, 1)", o.MinProb)
	case o.EvalTokens < 0:
		return fmt.Errorf("held-out tokens %d must be ≥ 0 (0: all)", o.EvalTokens)
	}
	return o.Settings.Validate()
}

// DistillData is what the students learn from and are measured on: the
// teacher, its tokenizer and BOS, and a corpus's training and held-out
// token ids under that tokenizer.
type DistillData struct {
	Teacher        *model.Model
	Tokenizer      *tokenizer.Tokenizer // for bits per byte; may be nil
	BOS            int32
	Train, HeldOut []int32
}

// ModelStats is what the coverage pass measures of one model over the
// held-out positions, each mean over positions.
type ModelStats struct {
	// Entropy is the mean entropy of the next-token distribution, nats;
	// TopProb the mean probability of its most probable token.
	Entropy float64 `json:"entropy"`
	TopProb float64 `json:"top_prob"`
	// RankProb[r] is the mean probability the model gives the teacher's
	// (r+1)-th most probable token (for the teacher: its own top-k
	// probabilities).
	RankProb []float64 `json:"rank_prob"`
	// Covered is the share of the teacher's top-k tokens to which the model
	// gives at least MinProb; TopKMass the share of the teacher's top-k
	// probability mass that falls on tokens in the model's own top k.
	Covered  float64 `json:"covered"`
	TopKMass float64 `json:"top_k_mass"`
}

// Student is one distilled student and its measurements.
type Student struct {
	Direction string  `json:"direction"`  // "forward": KL(teacher ‖ student); "reverse": KL(student ‖ teacher)
	FinalLoss float64 `json:"final_loss"` // the last step's distillation loss
	Seconds   float64 `json:"train_seconds"`
	// From eval (the held-out split, disjoint windows of the training
	// context, the teacher as base): held-out NLL and perplexity, the KL
	// in both directions (means over positions) and top-1 agreement.
	MeanNLL          float64 `json:"mean_nll"`
	PPL              float64 `json:"ppl"`
	KLTeacherStudent float64 `json:"kl_teacher_student"`
	KLStudentTeacher float64 `json:"kl_student_teacher"`
	SameTop          float64 `json:"same_top"`
	ModelStats
}

// Distillation is RunDistill's result.
type Distillation struct {
	Options       DistillOptions `json:"options"`
	TeacherParams int            `json:"teacher_params"`
	StudentParams int            `json:"student_params"`
	Tokens        int64          `json:"tokens"`    // held-out tokens eval scored
	Positions     int            `json:"positions"` // held-out positions of the coverage pass
	TeacherNLL    float64        `json:"teacher_mean_nll"`
	TeacherPPL    float64        `json:"teacher_ppl"`
	Teacher       ModelStats     `json:"teacher"`
	Students      []Student      `json:"students"`
}

// RunDistill distils d.Teacher into two students of the same shape, the
// same initial weights and the same batches, one with the forward KL
// KL(teacher ‖ student) and one with the reverse KL(student ‖ teacher)
// (train.Distiller), and measures both on the held-out tokens: eval's
// perplexity and KL in both directions against the teacher as base model,
// then a coverage pass (RowScorer over the first held-out windows of the
// training context) for the mean predictive entropy and how the student
// treats the teacher's top-k tokens. log, if not nil, gets a progress line
// now and then.
func RunDistill(ctx context.Context, d DistillData, o DistillOptions, log func(format string, args ...any)) (Distillation, error) {
	if err := o.Validate(); err != nil {
		return Distillation{}, err
	}
	if log == nil {
		log = func(string, ...any) {}
	}
	s := o.Settings
	cfg, err := model.SmallConfig(o.Arch, d.Teacher.VocabSize(), o.Width, o.Layers, o.Heads, s.Context)
	if err != nil {
		return Distillation{}, err
	}
	r := Distillation{Options: o, TeacherParams: len(d.Teacher.ParamBuffer())}
	windows, err := coverageWindows(d.HeldOut, s.Context, o.EvalTokens)
	if err != nil {
		return Distillation{}, err
	}
	for _, dir := range []string{"forward", "reverse"} {
		student, err := model.New(cfg, s.Seed)
		if err != nil {
			return Distillation{}, err
		}
		r.StudentParams = len(student.ParamBuffer())
		dist, err := train.NewDistiller(student, d.Teacher, d.Train, s, loss.DistillOptions{Temperature: float32(o.Temperature), Reverse: dir == "reverse"})
		if err != nil {
			return Distillation{}, err
		}
		st := Student{Direction: dir}
		start, last := time.Now(), time.Now()
		for dist.Step < s.Steps {
			if err := ctx.Err(); err != nil {
				return Distillation{}, err
			}
			step, err := dist.Next()
			if err != nil {
				return Distillation{}, fmt.Errorf("the %s student: %w", dir, err)
			}
			st.FinalLoss = step.Loss
			if time.Since(last) > 10*time.Second || dist.Step == s.Steps {
				log("%s KL: step %d/%d, distillation loss %.4f", dir, dist.Step, s.Steps, step.Loss)
				last = time.Now()
			}
		}
		st.Seconds = time.Since(start).Seconds()
		ev, err := eval.New(student, d.Tokenizer, d.BOS, eval.Options{Scheme: eval.Disjoint, Ctx: s.Context, MaxTokens: o.EvalTokens, Threads: s.Threads})
		if err != nil {
			return Distillation{}, err
		}
		if err := ev.SetBase(d.Teacher, nil); err != nil {
			return Distillation{}, err
		}
		if err := ev.EvaluateTokens(ctx, d.HeldOut); err != nil {
			return Distillation{}, err
		}
		rep := ev.Report()
		st.MeanNLL, st.PPL = rep.MeanNLL, rep.PPL
		st.KLTeacherStudent, st.KLStudentTeacher = rep.Base.KLBaseModel.Mean, rep.Base.KLModelBase
		st.SameTop = rep.Base.SameTop
		r.Tokens, r.TeacherNLL, r.TeacherPPL = rep.Tokens, math.Log(rep.Base.BasePPL), rep.Base.BasePPL
		teacher, stats, n, err := coverage(d.Teacher, student, windows, o.TopK, o.MinProb)
		if err != nil {
			return Distillation{}, err
		}
		st.ModelStats, r.Teacher, r.Positions = stats, teacher, n
		r.Students = append(r.Students, st)
		log("%s KL: held-out perplexity %.3f (teacher %.3f), entropy %.4f nats (teacher %.4f)", dir, st.PPL, r.TeacherPPL, st.Entropy, teacher.Entropy)
	}
	return r, nil
}

// coverageWindows are the held-out windows of the coverage pass: as many
// consecutive windows of context+1 tokens (inputs and their next tokens)
// as cover evalTokens positions (0: the whole split).
func coverageWindows(heldOut []int32, context, evalTokens int) ([][]int32, error) {
	count := len(heldOut)
	if evalTokens > 0 {
		count = (evalTokens + context - 1) / context
	}
	return Documents(heldOut, context+1, max(1, count))
}

// coverage runs teacher and student over the windows and measures both
// at every position (package loss's RowScorer for the entropies and
// log-sum-exps); the teacher's ranks define the top-k.
func coverage(teacher, student *model.Model, windows [][]int32, k int, minProb float64) (ModelStats, ModelStats, int, error) {
	V := teacher.VocabSize()
	k = min(k, V)
	tStats := ModelStats{RankProb: make([]float64, k)}
	sStats := ModelStats{RankProb: make([]float64, k)}
	var ts, ss loss.RowScorer
	ts.Entropy, ss.Entropy = true, true
	tTop, sTop := make([]int, k), make([]int, k)
	n := 0
	const batch = 8
	for b := 0; b < len(windows); b += batch {
		ws := windows[b:min(b+batch, len(windows))]
		B, T := len(ws), len(ws[0])-1
		in, targets := make([]int32, 0, B*T), make([]int32, 0, B*T)
		for _, w := range ws {
			in, targets = append(in, w[:T]...), append(targets, w[1:]...)
		}
		tl, err := teacher.Logits(in, B, T)
		if err != nil {
			return ModelStats{}, ModelStats{}, 0, err
		}
		sl, err := student.Logits(in, B, T)
		if err != nil {
			return ModelStats{}, ModelStats{}, 0, err
		}
		for i, y := range targets {
			tRow, sRow := tl[i*V:(i+1)*V], sl[i*V:(i+1)*V]
			tr, err := ts.Score(tRow, nil, y)
			if err != nil {
				return ModelStats{}, ModelStats{}, 0, fmt.Errorf("the teacher: %w", err)
			}
			sr, err := ss.Score(sRow, nil, y)
			if err != nil {
				return ModelStats{}, ModelStats{}, 0, fmt.Errorf("the student: %w", err)
			}
			// log p(c) = x_c − lse, and the scorer's NLL is lse − x_target.
			tLSE, sLSE := tr.NLL+float64(tRow[y]), sr.NLL+float64(sRow[y])
			topK(tRow, tTop)
			topK(sRow, sTop)
			var tMass, inStudent float64
			for r, c := range tTop {
				pt, ps := math.Exp(float64(tRow[c])-tLSE), math.Exp(float64(sRow[c])-sLSE)
				tStats.RankProb[r] += pt
				sStats.RankProb[r] += ps
				tMass += pt
				if ps >= minProb {
					sStats.Covered++
				}
				if pt >= minProb {
					tStats.Covered++
				}
				for _, s := range sTop {
					if s == c {
						inStudent += pt
						break
					}
				}
			}
			tStats.TopKMass++
			sStats.TopKMass += inStudent / tMass
			tStats.Entropy += tr.Entropy
			sStats.Entropy += sr.Entropy
			tStats.TopProb += tr.TopProb
			sStats.TopProb += sr.TopProb
			n++
		}
	}
	for _, m := range []*ModelStats{&tStats, &sStats} {
		m.Entropy /= float64(n)
		m.TopProb /= float64(n)
		m.Covered /= float64(n * k)
		m.TopKMass /= float64(n)
		for r := range m.RankProb {
			m.RankProb[r] /= float64(n)
		}
	}
	return tStats, sStats, n, nil
}

// topK sets top to the indices of the len(top) largest values of row,
// largest first, the lowest index first among ties.
func topK(row []float32, top []int) {
	for r := range top {
		best := -1
		for c, x := range row {
			if best >= 0 && !(x > row[best]) {
				continue
			}
			taken := false
			for _, t := range top[:r] {
				if t == c {
					taken = true
					break
				}
			}
			if !taken {
				best = c
			}
		}
		top[r] = best
	}
}

// WriteTable prints the teacher and the two students.
func (d Distillation) WriteTable(w io.Writer) {
	o := d.Options
	fmt.Fprintf(w, "Teacher: %d parameters; students: %s width %d, %d layers, %d heads, %d parameters; %d steps of %d × %d tokens, temperature %g\n",
		d.TeacherParams, o.Arch, o.Width, o.Layers, o.Heads, d.StudentParams, o.Settings.Steps, o.Settings.Batch, o.Settings.Context, o.Temperature)
	fmt.Fprintf(w, "Held-out: %d tokens scored by eval (PPL, KL, same top-1); %d positions, windows of %d tokens, scored for the entropy and coverage columns\n\n",
		d.Tokens, d.Positions, o.Settings.Context)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "model\tPPL\tH (nats)\ttop-1 p\tcovers top-%d (p ≥ %g)\ttop-%d mass in own top-%d\tKL(teacher‖·)\tKL(·‖teacher)\tsame top-1\tloss\t\n", o.TopK, o.MinProb, o.TopK, o.TopK)
	t := d.Teacher
	fmt.Fprintf(tw, "teacher\t%.3f\t%.4f\t%.4f\t%.4f\t%.4f\t0\t0\t1\t\t\n", d.TeacherPPL, t.Entropy, t.TopProb, t.Covered, t.TopKMass)
	for _, s := range d.Students {
		name := "student, forward KL(teacher‖student)"
		if s.Direction == "reverse" {
			name = "student, reverse KL(student‖teacher)"
		}
		fmt.Fprintf(tw, "%s\t%.3f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t\n", name, s.PPL, s.Entropy, s.TopProb, s.Covered, s.TopKMass,
			s.KLTeacherStudent, s.KLStudentTeacher, s.SameTop, s.FinalLoss)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nMean probability of the teacher's rank-r token:\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "model\t")
	for r := range t.RankProb {
		fmt.Fprintf(tw, "r=%d\t", r+1)
	}
	fmt.Fprintln(tw)
	row := func(name string, p []float64) {
		fmt.Fprintf(tw, "%s\t", name)
		for _, x := range p {
			fmt.Fprintf(tw, "%.4f\t", x)
		}
		fmt.Fprintln(tw)
	}
	row("teacher", t.RankProb)
	for _, s := range d.Students {
		row(s.Direction+" student", s.RankProb)
	}
	tw.Flush()
}

// TeacherOptions shape and train the teacher RunDistill needs when none
// is given: a new model of the shape on src's training split, with the
// tokenizer VocabSize asks for trained on it first.
type TeacherOptions struct {
	Arch      string         `json:"arch"`
	Width     int            `json:"width"`
	Layers    int            `json:"layers"`
	Heads     int            `json:"heads"`
	VocabSize int            `json:"vocab_size"`
	Settings  train.Settings `json:"settings"`
}

// TrainTeacher trains the teacher TeacherOptions describe on src and
// returns it with its data: the corpus's splits under its tokenizer.
func TrainTeacher(ctx context.Context, src data.Source, o TeacherOptions, log func(format string, args ...any)) (DistillData, error) {
	c, err := train.Begin(train.Start{Corpus: data.PrepareOptions{Source: src, VocabSize: o.VocabSize, Logf: log},
		Arch: o.Arch, Width: o.Width, Layers: o.Layers, Heads: o.Heads, Settings: o.Settings})
	if err != nil {
		return DistillData{}, fmt.Errorf("the teacher: %w", err)
	}
	bos, err := modeldir.TokenizerBOS(c.Tokenizer)
	if err != nil {
		return DistillData{}, err
	}
	last := time.Now()
	_, err = train.Run(ctx, train.RunOptions{Trainer: c.Trainer, Tokenizer: c.Tokenizer,
		HeldOut: train.HeldOut{Tokens: c.Corpus.HeldOutTokens, BOS: bos, Tokenizer: c.Tokenizer, MaxTokens: 1},
		OnStep: func(st train.StepStats, p train.Progress) {
			if log != nil && (time.Since(last) > 10*time.Second || p.Step == p.Steps) {
				log("teacher: step %d/%d, loss %.4f", p.Step, p.Steps, st.Loss)
				last = time.Now()
			}
		}})
	if err != nil {
		return DistillData{}, fmt.Errorf("the teacher: %w", err)
	}
	return DistillData{Teacher: c.Trainer.Model, Tokenizer: c.Tokenizer, BOS: bos, Train: c.Corpus.TrainTokens, HeldOut: c.Corpus.HeldOutTokens}, nil
}
