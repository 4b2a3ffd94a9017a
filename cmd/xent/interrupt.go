package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// interruptible returns a context that the first Ctrl-C (SIGINT, or a
// SIGTERM) cancels, so that the work can stop cleanly and keep what it
// has (doing says what: "saving", "reporting what was scored so far"); a
// second one exits at once. stop restores the default handling.
func interruptible(parent context.Context, logw io.Writer, name, doing string) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
			fmt.Fprintf(logw, "\n%s: interrupted; %s (Ctrl-C again to abort at once)\n", name, doing)
			cancel()
		case <-done:
			return
		}
		select {
		case <-sig:
			fmt.Fprintf(logw, "\n%s: aborted\n", name)
			os.Exit(130)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sig)
		close(done)
		cancel()
	}
}
