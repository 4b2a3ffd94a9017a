package modeldir

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xent-dev/xent/internal/atomicfile"
)

// userFolder makes a directory of the user's files: notes.txt and sub/.
func userFolder(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func checkPrecious(t *testing.T, dir string) {
	t.Helper()
	if b, err := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "precious" {
		t.Fatalf("notes.txt is now %q, %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "sub")); err != nil || !fi.IsDir() {
		t.Fatalf("sub/ is gone: %v", err)
	}
}

// TestSaveNeverReplacesUserFiles is the defect `mkdir -p d/sub; echo
// precious > d/notes.txt; xent train --out d`, which deleted both: neither
// a save nor a claim, forced or not, replaces what xent did not write.
func TestSaveNeverReplacesUserFiles(t *testing.T) {
	m, tok := tiny(t)
	parent := t.TempDir()
	folder := filepath.Join(parent, "d")
	userFolder(t, folder)
	if err := Save(folder, m, tok, nil); err == nil || !strings.Contains(err.Error(), "notes.txt, sub/") {
		t.Errorf("Save over a folder of files: error %v, want one naming notes.txt, sub/", err)
	}
	checkPrecious(t, folder)
	for _, o := range []OutputOptions{{}, {Force: true}, {Resume: true}} {
		if _, err := ClaimOutput(folder, o); err == nil || !strings.Contains(err.Error(), "d holds notes.txt, sub/ (not a model directory)") {
			t.Errorf("ClaimOutput %+v: error %v", o, err)
		}
	}
	checkPrecious(t, folder)

	// A model directory with the user's notes in it.
	model := filepath.Join(parent, "m")
	if err := Save(model, m, tok, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(model, "notes.txt"), []byte("precious"), 0o644)
	if _, err := ClaimOutput(model, OutputOptions{Force: true}); err == nil || !strings.Contains(err.Error(), "notes.txt besides a model (files xent did not write") {
		t.Errorf("ClaimOutput of a model directory with notes.txt: error %v", err)
	}
	if err := Save(model, m, tok, nil); err == nil {
		t.Error("Save over a model directory with notes.txt succeeded")
	}
	if b, _ := os.ReadFile(filepath.Join(model, "notes.txt")); string(b) != "precious" {
		t.Errorf("notes.txt is now %q", b)
	}

	file := filepath.Join(parent, "f")
	os.WriteFile(file, []byte("precious"), 0o644)
	if err := Save(file, m, tok, nil); err == nil || !strings.Contains(err.Error(), "is a file") {
		t.Errorf("Save over a file: error %v", err)
	}
	if _, err := ClaimOutput(file, OutputOptions{Force: true}); err == nil || !strings.Contains(err.Error(), "is a file") {
		t.Errorf("ClaimOutput of a file: error %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "precious" {
		t.Errorf("the file is now %q", b)
	}

	link := filepath.Join(parent, "link")
	if err := os.Symlink(folder, link); err != nil {
		t.Fatal(err)
	}
	if err := Save(link, m, tok, nil); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("Save over a symbolic link: error %v", err)
	}
	checkPrecious(t, folder)
}

// TestClaimOutputModelDirectories checks what each option allows.
func TestClaimOutputModelDirectories(t *testing.T) {
	m, tok := tiny(t)
	parent := t.TempDir()
	dir := filepath.Join(parent, "runs", "m")
	if _, err := ClaimOutput(dir, OutputOptions{Resume: true}); err == nil || !strings.Contains(err.Error(), "no model to resume") {
		t.Errorf("resuming a missing directory: error %v", err)
	}
	release, err := ClaimOutput(dir, OutputOptions{})
	if err != nil {
		t.Fatalf("a new directory: %v", err)
	}
	if err := Save(dir, m, tok, nil); err != nil {
		t.Fatal(err)
	}
	release()
	release() // a second call does nothing
	if _, err := ClaimOutput(dir, OutputOptions{}); err == nil || !strings.Contains(err.Error(), "exists (a model directory); --force to replace it, --resume to continue it") {
		t.Errorf("an existing model directory: error %v", err)
	}
	for _, o := range []OutputOptions{{Force: true}, {Resume: true}} {
		release, err := ClaimOutput(dir, o)
		if err != nil {
			t.Errorf("%+v: %v", o, err)
			continue
		}
		release()
	}
	empty := filepath.Join(parent, "empty")
	os.Mkdir(empty, 0o755)
	if release, err := ClaimOutput(empty, OutputOptions{}); err != nil {
		t.Errorf("an empty directory: %v", err)
	} else {
		release()
	}
	if _, err := ClaimOutput(".", OutputOptions{}); err == nil {
		t.Error("claimed \".\"")
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("%d entries beside the directory after release, want none", len(entries)-1)
	}
}

// TestClaimOutputLock checks that a second claim is refused naming the
// holder, in this process and in another that is then killed.
func TestClaimOutputLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	release, err := ClaimOutput(dir, OutputOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("d is in use by another run (pid %d, since ", os.Getpid())
	if _, err := ClaimOutput(dir, OutputOptions{}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a second claim: error %v, want it to contain %q", err, want)
	}
	release()

	cmd := exec.Command(os.Args[0], "-test.run=^TestClaimOutputHelper$")
	cmd.Env = append(os.Environ(), "XENT_CLAIM_HELPER="+dir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "claimed\n" {
		cmd.Process.Kill()
		t.Fatalf("the helper said %q", line)
	}
	want = fmt.Sprintf("pid %d, since ", cmd.Process.Pid)
	if _, err := ClaimOutput(dir, OutputOptions{}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a claim held by another process: error %v, want it to contain %q", err, want)
	}
	cmd.Process.Kill()
	cmd.Wait()
	release, err = ClaimOutput(dir, OutputOptions{})
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	release()
}

// TestClaimOutputHelper holds a claim until killed, for TestClaimOutputLock.
func TestClaimOutputHelper(t *testing.T) {
	dir := os.Getenv("XENT_CLAIM_HELPER")
	if dir == "" {
		t.Skip("a helper process of TestClaimOutputLock")
	}
	if _, err := ClaimOutput(dir, OutputOptions{}); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("claimed")
	select {}
}

// TestKilledSaveRecovers plays the two states a kill during a save can
// leave: temporary directories beside the model directory, and (between a
// save's two renames, where names cannot be exchanged) only D.prev.
func TestKilledSaveRecovers(t *testing.T) {
	m, tok := tiny(t)
	parent := t.TempDir()
	dir := filepath.Join(parent, "d")
	if err := Save(dir, m, tok, nil); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(parent, atomicfile.TempPrefix(dir)+"123")
	if err := os.Mkdir(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(stale, WeightsFile), make([]byte, 1000), 0o644)
	notOurs := filepath.Join(parent, atomicfile.TempPrefix(dir)+"mine")
	os.Mkdir(notOurs, 0o755)
	if err := os.Rename(dir, atomicfile.PrevDir(dir)); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err != nil {
		t.Errorf("Load with only D.prev: %v", err)
	}
	if _, err := os.Stat(atomicfile.PrevDir(dir)); err == nil {
		t.Error("D.prev is still there after Load")
	}
	os.Rename(dir, atomicfile.PrevDir(dir))
	release, err := ClaimOutput(dir, OutputOptions{Resume: true})
	if err != nil {
		t.Fatalf("resuming with only D.prev: %v", err)
	}
	release()
	if _, err := Load(dir); err != nil {
		t.Errorf("after the claim: %v", err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the killed save's %s is still there: %v", stale, err)
	}
	if _, err := os.Stat(notOurs); err != nil {
		t.Errorf("%s, not named as ours, was removed: %v", notOurs, err)
	}
}

// TestFailedSaveKeepsThePrevious checks that a save failing midway (here
// after the weights are written) leaves the previous save as it was.
func TestFailedSaveKeepsThePrevious(t *testing.T) {
	m, tok := tiny(t)
	dir := filepath.Join(t.TempDir(), "d")
	if err := Save(dir, m, tok, map[string]any{"bos_token_id": 1}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, ConfigFile))
	full := errors.New("no space left on device")
	err := Replace(dir, func(tmp string) error {
		if err := WriteFiles(tmp, m, tok, map[string]any{"bos_token_id": 2}); err != nil {
			return err
		}
		return full
	})
	if !errors.Is(err, full) || !strings.Contains(err.Error(), "its previous save is intact") {
		t.Fatalf("error %v, want the fill's, saying that the previous save is intact", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, ConfigFile)); string(after) != string(before) {
		t.Errorf("config.json changed from %s to %s", before, after)
	}
	if _, err := Load(dir); err != nil {
		t.Error(err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 1 {
		t.Errorf("%d entries left beside the directory, want none", len(entries)-1)
	}
}

func TestCheckSpace(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "not", "yet")
	if err := CheckSpace(dir, 1); err != nil {
		t.Errorf("one byte: %v", err)
	}
	if _, ok := freeBytes(parent); !ok {
		t.Skip("the platform does not tell free space")
	}
	if err := CheckSpace(dir, 1<<62); err == nil || !strings.Contains(err.Error(), "needs 4.0 EiB") {
		t.Errorf("4 EiB: error %v", err)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 3 << 29: "1.5 GiB", 1 << 62: "4.0 EiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
