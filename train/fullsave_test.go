//go:build unix

package train

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/xent-dev/xent/modeldir"
)

// TestFullDiskKeepsTheLastCheckpoint saves over a checkpoint in a process
// whose files may not grow past 16 KiB, as on a disk that fills during the
// save: the save fails with the write's error, and the previous checkpoint
// is still there, whole, with nothing left beside it.
func TestFullDiskKeepsTheLastCheckpoint(t *testing.T) {
	if dir := os.Getenv("XENT_FULL_DISK_SAVE"); dir != "" {
		saveOnAFullDisk(dir)
		return
	}
	_, _, s := tinySetup(t)
	dir, text := savedCheckpoint(t, s)
	files := map[string][]byte{}
	for _, f := range []string{modeldir.ConfigFile, modeldir.WeightsFile, optimizerFile, stateFile} {
		files[f], _ = os.ReadFile(filepath.Join(dir, f))
	}
	if fi, _ := os.Stat(filepath.Join(dir, optimizerFile)); fi.Size() <= 16<<10 {
		t.Fatalf("the optimizer file has %d bytes, too few for the limit to bite", fi.Size())
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFullDiskKeepsTheLastCheckpoint$")
	cmd.Env = append(os.Environ(), "XENT_FULL_DISK_SAVE="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the saving process: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	if !strings.Contains(string(out), "file too large") || !strings.Contains(string(out), "its previous save is intact") {
		t.Errorf("the save over a full disk said %q, want the write's error and that the last save is intact", out)
	}
	for f, want := range files {
		if got, _ := os.ReadFile(filepath.Join(dir, f)); !bytes.Equal(got, want) {
			t.Errorf("%s changed", f)
		}
	}
	if _, err := LoadCheckpoint(dir, text, 0); err != nil {
		t.Errorf("the previous checkpoint does not load: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 1 {
		t.Errorf("%d entries beside the checkpoint, want none", len(entries)-1)
	}
}

// saveOnAFullDisk runs in the child process: it trains one step further
// from the checkpoint at dir and saves it back with files capped at 16 KiB.
func saveOnAFullDisk(dir string) {
	tmp, err := os.MkdirTemp("", "xent-corpus-")
	if err != nil {
		fmt.Println("setup:", err)
		os.Exit(1)
	}
	src, err := writeTinySource(tmp)
	var c Checkpoint
	if err == nil {
		c, err = LoadCheckpoint(dir, src, 0)
	}
	os.RemoveAll(tmp) // the corpus is read
	if err == nil {
		_, err = c.Trainer.Next()
	}
	if err != nil {
		fmt.Println("setup:", err)
		os.Exit(1)
	}
	limit := syscall.Rlimit{Cur: 16 << 10, Max: 16 << 10}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		fmt.Println("setrlimit:", err)
		os.Exit(1)
	}
	fmt.Println(SaveCheckpoint(dir, c))
}
