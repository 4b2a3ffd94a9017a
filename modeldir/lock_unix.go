//go:build unix

package modeldir

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// fileLock is a held lock: an flock on a file that names its holder.
type fileLock struct {
	f    *os.File
	path string
}

// busyError says that another process holds a lock; holder is what it
// wrote in the lock file.
type busyError struct{ holder string }

func (e *busyError) Error() string { return "the lock is held by " + e.holder }

// lock takes the lock file at path without waiting, and writes this
// process's id, start time and command line into it. The kernel releases
// the lock when the process ends, however it ends.
func lock(path string) (*fileLock, error) {
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			holder, _ := io.ReadAll(io.LimitReader(f, 1<<10))
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				return nil, &busyError{strings.TrimSpace(string(holder))}
			}
			return nil, err
		}
		// A holder that released the lock between our open and our flock
		// removed the file: our lock is then on a name nobody else sees.
		fi, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(fi, now) {
			l := &fileLock{f, path}
			info := fmt.Sprintf("pid %d, since %s: %s\n", os.Getpid(), time.Now().UTC().Format("2006-01-02 15:04:05 UTC"), strings.Join(os.Args, " "))
			if err := f.Truncate(0); err == nil {
				f.WriteAt([]byte(info), 0)
			}
			return l, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("%s keeps changing under us", path)
}

// release removes the lock file and drops the lock. It may be called more
// than once.
func (l *fileLock) release() {
	if l.f == nil {
		return
	}
	if fi, err := l.f.Stat(); err == nil {
		if now, err := os.Stat(l.path); err == nil && os.SameFile(fi, now) {
			os.Remove(l.path)
		}
	}
	l.f.Close()
	l.f = nil
}
