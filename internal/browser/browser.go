// Package browser loads pages in a real browser for tests: Debian's
// headless Chromium (the chromium package, which .ci/run installs), with
// JavaScript on. A test reads back the page's DOM after its scripts ran,
// the messages its scripts wrote to the console, and a screenshot.
package browser

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Names are the commands tried, in order, for Chromium.
var Names = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// Find returns the path of a Chromium binary. When there is none the test
// skips, saying how to get one, or fails under CI=true.
func Find(t testing.TB) string {
	t.Helper()
	for _, name := range Names {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	msg := "no Chromium on PATH (tried " + strings.Join(Names, ", ") + "): apt-get install chromium"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// timeout bounds one run of the browser.
const timeout = 2 * time.Minute

// run runs chromium headless on the file page with the extra flags, in a
// profile directory of its own, and returns its standard output and
// error.
func run(chromium, page string, flags ...string) (stdout, stderr []byte, err error) {
	abs, err := filepath.Abs(page)
	if err != nil {
		return nil, nil, err
	}
	profile, err := os.MkdirTemp("", "xent-chromium-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(profile)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
		"--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0"}, flags...)
	cmd := exec.CommandContext(ctx, chromium, append(args, "file://"+abs)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "HOME="+profile) // nothing written to the user's home
	if err := cmd.Run(); err != nil {
		return out.Bytes(), errb.Bytes(), fmt.Errorf("%s: %w (stderr: %s)", chromium, err, tail(errb.Bytes(), 2000))
	}
	return out.Bytes(), errb.Bytes(), nil
}

// consoleLine is a message the page wrote to the console (console.log,
// console.error, an uncaught exception), as Chromium logs it to stderr.
var consoleLine = regexp.MustCompile(`(?m)^.*:CONSOLE[^\]]*\] (.*)$`)

// Load opens page (an HTML file) with JavaScript on and returns the DOM
// after its scripts ran (--dump-dom) and every console message the page
// produced.
func Load(chromium, page string) (dom string, console []string, err error) {
	out, errb, err := run(chromium, page, "--dump-dom")
	if err != nil {
		return "", nil, err
	}
	for _, m := range consoleLine.FindAllSubmatch(errb, -1) {
		console = append(console, string(m[1]))
	}
	return string(out), console, nil
}

// Screenshot loads page in a window of w × h pixels and returns the
// screenshot.
func Screenshot(chromium, page string, w, h int) (image.Image, error) {
	dir, err := os.MkdirTemp("", "xent-screenshot-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "screenshot.png")
	if _, _, err := run(chromium, page, "--screenshot="+path, fmt.Sprintf("--window-size=%d,%d", w, h)); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s wrote no screenshot: %w", chromium, err)
	}
	defer f.Close()
	return png.Decode(f)
}

// Variance is the variance of the image's luminance, on a 0–255 scale: 0
// for a blank image, and in the hundreds or more for a page of text and
// figures.
func Variance(img image.Image) float64 {
	var n, sum, sumSq float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			l := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
			n++
			sum += l
			sumSq += l * l
		}
	}
	if n == 0 {
		return 0
	}
	m := sum / n
	return sumSq/n - m*m
}

// Distinct is the number of distinct colours in the image, up to limit.
func Distinct(img image.Image, limit int) int {
	seen := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r, g, bl}] = true
			if len(seen) >= limit {
				return limit
			}
		}
	}
	return len(seen)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
