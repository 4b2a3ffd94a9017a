package data

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

//go:embed corpus/opticks.txt
var opticks []byte

// Corpus names the built-in corpora.
var Corpora = []string{"opticks", "gosrc"}

// Builtin returns a built-in corpus: "opticks" (Newton's Opticks, 567 KB,
// embedded) or "gosrc" (every .go file under $GOROOT/src, in path order,
// each followed by a blank line).
func Builtin(name string) ([]byte, error) {
	switch name {
	case "opticks":
		return opticks, nil
	case "gosrc":
		return goSource(filepath.Join(runtime.GOROOT(), "src"))
	}
	return nil, fmt.Errorf("data: unknown corpus %q (want one of %s)", name, strings.Join(Corpora, ", "))
}

func goSource(root string) ([]byte, error) {
	var buf bytes.Buffer
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteString("\n\n")
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("data: reading the Go source under %s: %w", root, err)
	}
	if buf.Len() == 0 {
		return nil, fmt.Errorf("data: no .go files under %s", root)
	}
	return buf.Bytes(), nil
}

// Stdin is the spec that names standard input: one plain-text document
// read from the reader the caller passes.
const Stdin = "-"

// Files reads the text of a file, a directory (every regular file below
// it, in path order), a glob, or stdin when spec is Stdin. Files ending in
// .jsonl are JSON lines whose "text" field is the document; others are
// plain text. Documents are joined with a blank line between them.
func Files(spec string, stdin io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	err := EachDocument(spec, stdin, func(d Document) error {
		if _, err := buf.ReadFrom(d.Text); err != nil {
			return fmt.Errorf("data: %s: %w", d.Name, err)
		}
		buf.WriteString("\n\n")
		return nil
	})
	if err != nil {
		return nil, err
	}
	if buf.Len() == 0 {
		return nil, fmt.Errorf("data: %s holds no text", spec)
	}
	return buf.Bytes(), nil
}

// Document is one document of a file, directory or glob: a plain-text file,
// or one line of a .jsonl file.
type Document struct {
	Name string    // the path, and ":line" for a JSON line
	Text io.Reader // the document's bytes; read before the next document
}

// Paths returns the files that a file, directory or glob spec names, in
// the order EachDocument reads them; for Stdin, Stdin itself.
func Paths(spec string) ([]string, error) {
	if spec == Stdin {
		return []string{Stdin}, nil
	}
	return expand(spec)
}

// EachDocument calls f with every document of a file, a directory (every
// regular file below it, in path order) or a glob. Plain files stream
// from disk, so a document may be larger than memory; a .jsonl file's
// documents are the "text" fields of its non-blank lines. Empty documents
// are skipped. The spec Stdin is one plain-text document read from stdin
// (an error if stdin is nil).
func EachDocument(spec string, stdin io.Reader, f func(Document) error) error {
	if spec == Stdin {
		if stdin == nil {
			return errors.New("data: - names standard input, and there is none")
		}
		return f(Document{Name: "(standard input)", Text: bufio.NewReaderSize(stdin, 1<<20)})
	}
	paths, err := expand(spec)
	if err != nil {
		return err
	}
	for _, p := range paths {
		if err := eachInFile(p, f); err != nil {
			return err
		}
	}
	return nil
}

func eachInFile(path string, f func(Document) error) error {
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	defer file.Close()
	if !strings.HasSuffix(path, ".jsonl") {
		st, err := file.Stat()
		if err != nil {
			return fmt.Errorf("data: %w", err)
		}
		if st.Size() == 0 {
			return nil
		}
		return f(Document{Name: path, Text: bufio.NewReaderSize(file, 1<<20)})
	}
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var doc struct {
			Text *string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			return fmt.Errorf("data: %s:%d: %w", path, line, err)
		}
		if doc.Text == nil {
			return fmt.Errorf("data: %s:%d: no \"text\" field", path, line)
		}
		if *doc.Text == "" {
			continue
		}
		if err := f(Document{Name: fmt.Sprintf("%s:%d", path, line), Text: strings.NewReader(*doc.Text)}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("data: %s: %w", path, err)
	}
	return nil
}

// expand turns a file, directory or glob into a sorted list of files.
func expand(spec string) ([]string, error) {
	if st, err := os.Stat(spec); err == nil {
		if !st.IsDir() {
			return []string{spec}, nil
		}
		var paths []string
		err := filepath.WalkDir(spec, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				paths = append(paths, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		if len(paths) == 0 {
			return nil, fmt.Errorf("data: directory %s has no files", spec)
		}
		return paths, nil
	}
	paths, err := filepath.Glob(spec)
	if err != nil {
		return nil, fmt.Errorf("data: bad pattern %q: %w", spec, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("data: %s: no such file, directory or match", spec)
	}
	slices.Sort(paths)
	return paths, nil
}

// Split cuts text into the training part and the held-out part, the last
// 10% of the bytes, moved forward to the next UTF-8 character boundary.
func Split(text []byte) (trainPart, heldOut []byte) {
	cut := len(text) - len(text)/10
	for cut < len(text) && text[cut]&0xc0 == 0x80 {
		cut++
	}
	return text[:cut], text[cut:]
}
