package modeldir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// CheckSpace reports whether the file system that dir is (or will be) on
// has room for bytes more: a command checks before a long run that it can
// save its result. A save of a directory that exists holds both the old
// and the new copy until it ends, so a run that saves periodically needs
// room for two checkpoints. Where the platform cannot tell, it reports
// nothing.
func CheckSpace(dir string, bytes int64) error {
	path := filepath.Clean(dir)
	for {
		if _, err := os.Stat(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
			break
		}
		parent := filepath.Dir(path)
		if parent == path {
			break
		}
		path = parent
	}
	free, ok := freeBytes(path)
	if !ok || free >= uint64(max(bytes, 0)) {
		return nil
	}
	return fmt.Errorf("modeldir: %s has %s free, and saving there needs %s; free some space or choose another path", path, formatBytes(int64(free)), formatBytes(bytes))
}

// formatBytes writes a size in bytes in binary units: 512 B, 3.2 MiB.
func formatBytes(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, units[i])
}
