//go:build !linux && !darwin

package atomicfile

// exchange is not available: WriteDir renames twice.
func exchange(a, b string) error { return errNoExchange }
