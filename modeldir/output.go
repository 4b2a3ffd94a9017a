package modeldir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xent-dev/xent/internal/atomicfile"
)

// The files a training checkpoint adds to a model directory.
const (
	OptimizerFile = "optimizer.safetensors" // AdamW's moments
	StateFile     = "state.json"            // the step and the random generators' states
	MetricsFile   = "metrics.jsonl"         // every step's and evaluation's numbers
	PlotFile      = "loss.svg"              // the loss curve
)

// The files read and written beside a model by xent report: they describe
// the weights they were made from, so a later save of the model, which
// replaces the directory whole, drops them with the weights they describe.
const (
	EvalFile   = "eval.json"   // a held-out evaluation, as xent eval --json prints it
	ReportFile = "report.html" // xent report's page
)

// ownFiles are the files xent writes into a model directory: the only
// ones a save may replace.
var ownFiles = []string{ConfigFile, WeightsFile, TokenizerFile, GenerationFile, TokenizerConfigFile, CountsFile, OptimizerFile, StateFile, MetricsFile, PlotFile, EvalFile, ReportFile}

// OutputOptions says what ClaimOutput may do with a model directory that
// already exists. Its errors speak to users of xent's commands, which
// offer these as --force and --resume.
type OutputOptions struct {
	// Force replaces an existing model directory. It never replaces a
	// file, a directory of other files, or a model directory that also
	// holds files xent did not write.
	Force bool
	// Resume continues an existing model directory in place; it must
	// exist.
	Resume bool
}

// ClaimOutput makes dir ready to be written by this run, and nothing else
// to write it until release is called (or the process ends):
//
//   - it takes a lock on dir, a lock file ".NAME.lock" beside it holding
//     this process's id, start time and command line, so a second run
//     is refused with those of the first;
//   - it removes what saves of dir killed midway left beside it: the
//     temporary directories ".NAME.tmp-N" (see atomicfile.Leftovers);
//   - when dir is missing and NAME.prev holds its last complete save (a
//     save killed between its two renames), it moves it back to dir;
//   - it refuses a dir that is a file, a symbolic link, or a directory
//     holding anything xent does not write, naming what is there; an
//     existing model directory unless o.Force or o.Resume; and, with
//     o.Resume, a dir that holds no model.
//
// A missing dir and an empty directory are claimed as they are; the
// parent directories are created. Saves into dir then go through Save or
// Replace, which replace it whole.
func ClaimOutput(dir string, o OutputOptions) (release func(), err error) {
	dir = filepath.Clean(dir)
	if base := filepath.Base(dir); base == "." || base == ".." || base == string(filepath.Separator) {
		return nil, fmt.Errorf("modeldir: %q does not name a directory to write", dir)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("modeldir: %w", err)
	}
	l, err := lock(lockPath(dir))
	if err != nil {
		return nil, inUse(dir, err)
	}
	defer func() {
		if err != nil {
			l.release()
		}
	}()
	if err := removeLeftovers(dir); err != nil {
		return nil, err
	}
	content, err := inspect(dir)
	if err != nil {
		return nil, err
	}
	switch {
	case content.err != nil:
		return nil, content.err
	case !content.model && o.Resume:
		return nil, fmt.Errorf("modeldir: %s holds no model to resume", dir)
	case content.model && !o.Force && !o.Resume:
		return nil, fmt.Errorf("modeldir: %s exists (a model directory); --force to replace it, --resume to continue it", dir)
	}
	return l.release, nil
}

// Replace writes the model directory dir whole: fill writes its files
// into a fresh temporary directory, which then takes dir's place
// atomically (atomicfile.WriteDir); when fill or the disk fails, dir keeps
// its previous content. It refuses to replace anything ClaimOutput with
// Force would refuse, so no save deletes what the user put there.
func Replace(dir string, fill func(tmp string) error) error {
	content, err := inspect(dir)
	if err != nil {
		return err
	}
	if content.err != nil {
		return content.err
	}
	if err := atomicfile.WriteDir(dir, fill); err != nil {
		if content.model {
			return fmt.Errorf("modeldir: save %s: %w (its previous save is intact)", dir, err)
		}
		return fmt.Errorf("modeldir: save %s: %w", dir, err)
	}
	return nil
}

// lockPath is the lock file of dir: beside it, since saves replace dir.
func lockPath(dir string) string {
	return filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".lock")
}

// inUse explains that lock found dir's lock taken.
func inUse(dir string, err error) error {
	var busy *busyError
	if !errors.As(err, &busy) {
		return fmt.Errorf("modeldir: lock %s: %w", lockPath(dir), err)
	}
	holder := "another run"
	if busy.holder != "" {
		holder = "another run (" + busy.holder + ")"
	}
	return fmt.Errorf("modeldir: %s is in use by %s; wait for it to end or choose another path", dir, holder)
}

// removeLeftovers removes what saves of dir killed midway left, and puts
// back its last complete save if a kill fell between a save's two renames.
// A NAME.prev beside a present dir is left alone: it may be the user's.
// The caller holds dir's lock.
func removeLeftovers(dir string) error {
	tmps, err := atomicfile.Leftovers(dir)
	if err != nil {
		return fmt.Errorf("modeldir: %w", err)
	}
	for _, tmp := range tmps {
		if err := os.RemoveAll(tmp); err != nil {
			return fmt.Errorf("modeldir: removing a killed save's %s: %w", tmp, err)
		}
	}
	prev := atomicfile.PrevDir(dir)
	if c, err := inspect(prev); err != nil || !c.model || c.err != nil {
		return nil // not a save of ours: leave it
	}
	if _, err := atomicfile.RecoverDir(dir); err != nil {
		return fmt.Errorf("modeldir: %s is missing and %s holds its last complete save, which does not move back: %w", dir, prev, err)
	}
	return nil
}

// recoverInterrupted puts back dir's last complete save when a save was
// killed between its two renames (see atomicfile.WriteDir), for Load:
// dir is missing and dir.prev is a model directory. It reports whether it
// did.
func recoverInterrupted(dir string) (bool, error) {
	dir = filepath.Clean(dir)
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	prev := atomicfile.PrevDir(dir)
	if c, err := inspect(prev); err != nil || !c.model || c.err != nil {
		return false, nil
	}
	l, err := lock(lockPath(dir))
	if err != nil {
		return false, fmt.Errorf("modeldir: %s is missing and %s holds its last complete save, but %w", dir, prev, inUse(dir, err))
	}
	defer l.release()
	ok, err := atomicfile.RecoverDir(dir)
	if err != nil {
		return false, fmt.Errorf("modeldir: %s is missing and %s holds its last complete save (a save was interrupted); moving it back failed: %w", dir, prev, err)
	}
	return ok, nil
}

// content is what a path holds, for deciding whether a save may replace it.
type content struct {
	model bool  // a directory with a config.json
	err   error // why no save may replace it; nil if one may
}

// inspect looks at path without following a symbolic link.
func inspect(path string) (content, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return content{}, nil
	}
	if err != nil {
		return content{}, fmt.Errorf("modeldir: %w", err)
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return content{err: fmt.Errorf("modeldir: %s is a symbolic link; give the directory it points to, or another path", path)}, nil
	case !fi.IsDir():
		return content{err: fmt.Errorf("modeldir: %s is a file, not a model directory; choose another path", path)}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return content{}, fmt.Errorf("modeldir: %w", err)
	}
	var c content
	var foreign []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == ConfigFile && e.Type().IsRegular():
			c.model = true
		case slices.Contains(ownFiles, name) && e.Type().IsRegular():
		case ownTemp(name):
		case e.IsDir():
			foreign = append(foreign, name+"/")
		default:
			foreign = append(foreign, name)
		}
	}
	switch {
	case len(foreign) > 0 && c.model:
		c.err = fmt.Errorf("modeldir: %s holds %s besides a model (files xent did not write, which a save would delete); move them out or choose another path", path, listNames(foreign, 5))
	case len(foreign) > 0:
		c.err = fmt.Errorf("modeldir: %s holds %s (not a model directory); choose another path", path, listNames(foreign, 5))
	}
	return c, nil
}

// ownTemp reports whether name is a temporary file of an atomic write of
// one of ownFiles, left by a kill.
func ownTemp(name string) bool {
	return slices.ContainsFunc(ownFiles, func(f string) bool { return atomicfile.IsTemp(name, f) })
}

// listNames lists up to n names, then how many more there are.
func listNames(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}
