//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the signal goroutine's writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The first Ctrl-C cancels the context (the work then saves and stops)
// and says that a second one aborts.
func TestInterruptibleCancelsOnTheFirstSignal(t *testing.T) {
	var log syncBuffer
	ctx, stop := interruptible(context.Background(), &log, "xent train", "saving")
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGINT did not cancel the context")
	}
	if got := log.String(); !strings.Contains(got, "xent train: interrupted; saving") || !strings.Contains(got, "again to abort") {
		t.Errorf("the message is %q", got)
	}
}

// A second Ctrl-C exits at once with status 130, whatever the work is
// doing (here: nothing, forever).
func TestInterruptibleAbortsOnTheSecondSignal(t *testing.T) {
	if os.Getenv("XENT_SECOND_SIGNAL") != "" {
		_, stop := interruptible(context.Background(), os.Stderr, "xent train", "saving")
		defer stop()
		for range 2 {
			syscall.Kill(syscall.Getpid(), syscall.SIGINT)
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(10 * time.Second) // a save that never ends
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptibleAbortsOnTheSecondSignal$")
	cmd.Env = append(os.Environ(), "XENT_SECOND_SIGNAL=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 { // the endless save would end in status 0
		t.Errorf("after two signals: %v, want exit status 130\n%s", err, out)
	}
	if !strings.Contains(string(out), "xent train: aborted") {
		t.Errorf("output %q", out)
	}
}
