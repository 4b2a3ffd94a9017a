package dispatch

import (
	"slices"
	"testing"
)

type impl struct{ name string }

func TestSet(t *testing.T) {
	a, b := &impl{"fast"}, &impl{"slow"}
	s := NewSet([]*impl{a, b}, func(i *impl) string { return i.name })
	if s.Current() != a || s.Active() != "fast" || !slices.Equal(s.Names(), []string{"fast", "slow"}) {
		t.Fatalf("fresh set: %v %v", s.Active(), s.Names())
	}
	if !s.Use("slow") || s.Current() != b {
		t.Fatal("Use(slow) did not switch")
	}
	if s.Use("missing") || s.Current() != b {
		t.Fatal("Use of an unknown name changed the set")
	}
	variant := &impl{"fast-variant"}
	s.Set(variant)
	if s.Active() != "fast-variant" || len(s.All()) != 2 {
		t.Fatalf("Set: %v, %d listed", s.Active(), len(s.All()))
	}
}
