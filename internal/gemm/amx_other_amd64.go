//go:build !linux && !purego

package gemm

import "errors"

// amxGranted: AMX is used on Linux only, which hands the tile state out on
// request (amx_linux_amd64.go).
func amxGranted() error { return errors.New("AMX is used on Linux only") }
