package bench

import (
	"strings"
	"testing"

	"github.com/xent-dev/xent/model"
)

var tiny = model.Config{ModelType: model.GPT2, VocabSize: 97, NEmbd: 16, NLayer: 2, NHead: 2, NPositions: 32}

func TestTrainStep(t *testing.T) {
	var first float64
	m, err := TrainStep(Config{Iters: 2}, tiny, 2, 8, &first)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "train-step/B=2,T=8" || m.Unit != "tokens/s" || !(m.Min > 0 && m.Min <= m.Value && m.Value <= m.Max) {
		t.Fatalf("got %+v", m)
	}
	// Random weights score random tokens near log(97) = 4.57.
	if first < 4 || first > 5.2 {
		t.Errorf("first loss %v", first)
	}
	for _, c := range []struct {
		cfg  Config
		b, t int
		want string
	}{
		{Config{Iters: 0}, 2, 8, "0 iterations"},
		{Config{Iters: 1}, 0, 8, "empty"},
		{Config{Iters: 1}, 1, 33, "longer than the context"},
	} {
		if _, err := TrainStep(c.cfg, tiny, c.b, c.t, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("B=%d T=%d iters %d: error %v, want %q", c.b, c.t, c.cfg.Iters, err, c.want)
		}
	}
}

func TestTeacherForcing(t *testing.T) {
	var progress []string
	ms, err := TeacherForcing(Config{Iters: 1, Progress: func(s string) { progress = append(progress, s) }}, tiny, []int{4, 32}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range ms {
		names = append(names, m.Name)
		if m.Unit != "tokens/s" || !(m.Min > 0 && m.Min <= m.Value && m.Value <= m.Max) {
			t.Errorf("%+v", m)
		}
	}
	want := "teacher-forcing/T=4/parallel teacher-forcing/T=4/kv-cache teacher-forcing/T=4/no-cache " +
		"teacher-forcing/T=32/parallel teacher-forcing/T=32/kv-cache teacher-forcing/T=32/no-cache"
	if got := strings.Join(names, " "); got != want || strings.Join(progress, " ") != want {
		t.Fatalf("measured %q (progress %q), want %q", got, progress, want)
	}
	ms, err = TeacherForcing(Config{Iters: 2, Only: "T=8/"}, tiny, []int{4, 8}, []string{ModeKVCache})
	if err != nil || len(ms) != 1 || ms[0].Name != "teacher-forcing/T=8/kv-cache" {
		t.Fatalf("%+v, %v", ms, err)
	}
	for _, c := range []struct {
		iters   int
		lengths []int
		modes   []string
		want    string
	}{
		{0, []int{4}, nil, "0 iterations"},
		{1, nil, nil, "no sequence lengths"},
		{1, []int{0}, nil, "T=0"},
		{1, []int{33}, nil, "longer than the model's context"},
		{1, []int{4}, []string{"beam"}, `mode "beam"`},
	} {
		if _, err := TeacherForcing(Config{Iters: c.iters}, tiny, c.lengths, c.modes); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c, err, c.want)
		}
	}
}

func TestAgree(t *testing.T) {
	if err := agree(3, map[string]float64{ModeParallel: 4.5, ModeKVCache: 4.50001, ModeNoCache: 4.49999}); err != nil {
		t.Error(err)
	}
	err := agree(3, map[string]float64{ModeParallel: 4.5, ModeNoCache: 4.6})
	if err == nil || !strings.Contains(err.Error(), "parallel 4.5, no-cache 4.6") {
		t.Errorf("error %v", err)
	}
}

func TestModels(t *testing.T) {
	if got := strings.Join(ModelNames(), " "); got != "gpt2-124M gpt2-8M" {
		t.Fatalf("models %q", got)
	}
	for name, c := range Models {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
