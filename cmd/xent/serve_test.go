package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startServe runs xent serve on a free loopback port until the test ends
// and returns its URL and its log.
func startServe(t *testing.T, args ...string) (url string, log *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := newRootCmd()
	log = &syncBuffer{}
	cmd.SetOut(log)
	cmd.SetErr(log)
	cmd.SetArgs(append([]string{"serve", "--port", "0"}, args...))
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("xent serve: %v", err)
		}
	})
	re := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+)`)
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(log.String()); m != nil {
			return m[1], log
		}
		select {
		case err := <-done:
			t.Fatalf("xent serve ended: %v\n%s", err, log)
		default:
		}
	}
	t.Fatalf("xent serve did not start:\n%s", log)
	return "", nil
}

// TestEvalEndpointEqualsLocal: xent eval --endpoint against xent serve
// prints the report xent eval prints on the same model and text, every
// number equal, under each scheme; only the source differs.
func TestEvalEndpointEqualsLocal(t *testing.T) {
	dir, corpus := tinyModelDir(t)
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url, log := startServe(t, "--model", dir, "--name", "tiny", "--api-key-file", keyFile)
	t.Setenv("XENT_API_KEY", "s3cret")
	cache := t.TempDir()
	for _, scheme := range [][]string{{"--window", "disjoint"}, {"--window", "strided", "--stride", "20"}, {"--window", "llamacpp"}} {
		common := append([]string{"eval", "--data", corpus, "--context", "48", "--json"}, scheme...)
		local, _, err := runXent(t, append(common, "--model", dir)...)
		if err != nil {
			t.Fatal(err)
		}
		remoteArgs := append(common, "--endpoint", url, "--model", "tiny", "--tokenizer", dir, "--cache", cache)
		if scheme[1] == "llamacpp" {
			remoteArgs = append(remoteArgs, "--add-bos", "no") // as this directory says (no xent settings, no template)
		}
		remote, stderr, err := runXent(t, remoteArgs...)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		var a, b map[string]any
		if json.Unmarshal([]byte(local), &a) != nil || json.Unmarshal([]byte(remote), &b) != nil {
			t.Fatalf("not JSON:\n%s\n%s", local, remote)
		}
		delete(a, "source")
		delete(b, "source")
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%v: endpoint and local reports differ:\n%s\n%s", scheme, remote, local)
		}
		if !strings.Contains(stderr, "windows answered by the server") || strings.Contains(stderr, "s3cret") || strings.Contains(remote, "s3cret") {
			t.Errorf("stderr %q", stderr)
		}
		// The cache answers a second run without a request.
		_, stderr, err = runXent(t, remoteArgs...)
		if err != nil || !regexp.MustCompile(`0 windows answered by the server, \d+ from the cache, 1 requests`).MatchString(stderr) {
			t.Errorf("second run: %v %s", err, stderr)
		}
	}
	// Without --tokenizer: the server's tokenizer.json, the same report.
	local, _, err := runXent(t, "eval", "--data", corpus, "--context", "48", "--json", "--model", dir)
	if err != nil {
		t.Fatal(err)
	}
	remote, stderr, err := runXent(t, "eval", "--data", corpus, "--context", "48", "--json", "--endpoint", url, "--model", "tiny")
	var a, b map[string]any
	if err != nil || json.Unmarshal([]byte(local), &a) != nil || json.Unmarshal([]byte(remote), &b) != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if b["source"].(map[string]any)["tokenizer"] != "the server's ("+url+"/tokenizer.json)" {
		t.Errorf("source %v", b["source"])
	}
	delete(a, "source")
	delete(b, "source")
	if !reflect.DeepEqual(a, b) {
		t.Errorf("with the server's tokenizer the report differs:\n%s\n%s", remote, local)
	}
	if !strings.Contains(log.String(), "POST /v1/completions 200") || !strings.Contains(log.String(), "GET /v1/models 200") {
		t.Errorf("server log:\n%s", log)
	}
	// Without the key: 401, not retried.
	t.Setenv("XENT_API_KEY", "wrong")
	t.Setenv("OPENAI_API_KEY", "")
	_, _, err = runXent(t, "eval", "--data", corpus, "--context", "48", "--endpoint", url, "--model", "tiny", "--tokenizer", dir)
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("wrong key: %v", err)
	}
}

func TestEvalEndpointFlags(t *testing.T) {
	dir, corpus := tinyModelDir(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", dir, "--concurrency", "4"}, "go with --endpoint"},
		{[]string{"--endpoint", "http://127.0.0.1:1", "--model", "tiny", "--tokenizer", dir, "--base", dir}, "whole distribution"},
		{[]string{"--endpoint", "http://127.0.0.1:1", "--model", "tiny", "--tokenizer", dir, "--window", "llamacpp"}, "--add-bos yes or no"},
		{[]string{"--endpoint", "ftp://x", "--model", "tiny", "--tokenizer", dir}, "not an http"},
	} {
		_, _, err := runXent(t, append([]string{"eval", "--data", corpus}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
}
