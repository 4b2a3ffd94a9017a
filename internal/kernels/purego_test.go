//go:build purego

package kernels

import (
	"slices"
	"testing"
)

// With the purego tag no assembly is built: the generic Go path is the
// only implementation, on every architecture.
func TestPuregoBuildsOnlyGeneric(t *testing.T) {
	if got := Implementations(); !slices.Equal(got, []string{"generic"}) || Active() != "generic" {
		t.Fatalf("implementations %q, active %q; want only generic", got, Active())
	}
}
