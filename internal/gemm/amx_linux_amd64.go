//go:build !purego

package gemm

import (
	"errors"
	"fmt"
	"sync"
	"syscall"

	"golang.org/x/sys/cpu"
)

// amxGranted reports whether this process may use the AMX tiles, nil if
// so: the CPU must have AMX-BF16, and Linux hands out the tile state
// (XTILEDATA, 8 KiB per thread) only to a process that asks for it with
// arch_prctl(ARCH_REQ_XCOMP_PERM); a kernel or virtual machine without it
// refuses, and an AMX instruction would then fault. It asks once.
var amxGranted = sync.OnceValue(func() error {
	if !cpu.X86.HasAMXTile || !cpu.X86.HasAMXBF16 {
		return errors.New("the CPU has no AMX-BF16")
	}
	const archReqXcompPerm, xfeatureXTileData = 0x1023, 18
	if _, _, errno := syscall.RawSyscall(syscall.SYS_ARCH_PRCTL, archReqXcompPerm, xfeatureXTileData, 0); errno != 0 {
		return fmt.Errorf("Linux refused the AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM: %v)", errno)
	}
	return nil
})
