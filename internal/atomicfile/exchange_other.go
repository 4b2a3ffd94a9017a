//go:build !linux

package atomicfile

// exchange is not available: WriteDir renames twice.
func exchange(a, b string) error { return errNoExchange }
