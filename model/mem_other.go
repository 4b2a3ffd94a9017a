//go:build !linux

package model

// totalMemory cannot tell here.
func totalMemory() (int64, bool) { return 0, false }
