// Package dispatch holds the implementations of one kernel family (AVX-512,
// AVX2, generic Go...), best first, and the one in use: the best the CPU
// supports, chosen at start-up; tests and benchmarks switch among them.
package dispatch

import "sync/atomic"

// Set is a kernel family's implementations and the one in use.
type Set[T any] struct {
	impls   []*T
	name    func(*T) string
	current atomic.Pointer[T]
}

// NewSet takes the implementations best first (at least one) and how to
// name one; the first is in use.
func NewSet[T any](impls []*T, name func(*T) string) *Set[T] {
	s := &Set[T]{impls: impls, name: name}
	s.current.Store(impls[0])
	return s
}

// Current is the implementation in use.
func (s *Set[T]) Current() *T { return s.current.Load() }

// All lists the implementations, best first.
func (s *Set[T]) All() []*T { return s.impls }

// Names lists their names, best first.
func (s *Set[T]) Names() []string {
	names := make([]string, len(s.impls))
	for i, im := range s.impls {
		names[i] = s.name(im)
	}
	return names
}

// Active names the implementation in use.
func (s *Set[T]) Active() string { return s.name(s.Current()) }

// Use switches to the named implementation and reports whether there is
// one. Do not call it while kernels run.
func (s *Set[T]) Use(name string) bool {
	for _, im := range s.impls {
		if s.name(im) == name {
			s.current.Store(im)
			return true
		}
	}
	return false
}

// Set puts an implementation in use, also one not in the list (a test's
// variant with other parameters).
func (s *Set[T]) Set(im *T) { s.current.Store(im) }
