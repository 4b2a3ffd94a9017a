package scaling

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Run is one training run.
type Run struct {
	N    float64 `json:"params"`         // parameters (Kaplan's convention: non-embedding)
	D    float64 `json:"tokens"`         // training tokens
	C    float64 `json:"flops"`          // training FLOPs, ≈ 6·N·D
	Loss float64 `json:"loss"`           // final held-out cross-entropy, nats/token
	Line int     `json:"line,omitempty"` // the run's line in its CSV file (0 when made in code)
}

// where names a run in error messages: its CSV line, or its index.
func (r Run) where(i int) string {
	if r.Line > 0 {
		return fmt.Sprintf("line %d", r.Line)
	}
	return fmt.Sprintf("run %d", i)
}

// Columns names the CSV columns to read; an empty name is detected from the
// header (see [ReadCSV]).
type Columns struct {
	N, D, C, Loss string
}

// headerNames are the header names each quantity is detected by,
// compared case-insensitively after trimming spaces.
var headerNames = struct{ N, D, C, Loss []string }{
	N:    []string{"params", "n", "parameters", "n_params", "non_embedding_params"},
	D:    []string{"tokens", "d", "data", "n_tokens"},
	C:    []string{"flops", "c", "compute"},
	Loss: []string{"loss", "l", "val_loss"},
}

// ReadCSV reads runs from a CSV file with a header row. name is used in
// error messages (usually the file's path). The columns are those named in
// cols, or else the first header matching params, n, parameters (N);
// tokens, d, data (D); flops, c, compute (C); loss, l, val_loss (loss).
// N and the loss are required, and D or C: D = C/(6N) when only C is
// given, C = 6·N·D when only D is. Other columns are ignored. Every value
// must be a finite positive number; an error names the line and column of
// the first that is not.
func ReadCSV(r io.Reader, name string, cols Columns) ([]Run, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file, want a header row and one row per run", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	find := func(what, given string, names []string, required bool) (int, error) {
		for i, h := range header {
			h = strings.ToLower(strings.TrimSpace(h))
			if given != "" && h == strings.ToLower(given) || given == "" && slices.Contains(names, h) {
				return i, nil
			}
		}
		switch {
		case given != "":
			return -1, fmt.Errorf("%s: no column %q (for %s) in the header %q", name, given, what, strings.Join(header, ","))
		case required:
			return -1, fmt.Errorf("%s: no column for %s: want a header named %s", name, what, strings.Join(names, ", "))
		}
		return -1, nil
	}
	nCol, err := find("N (parameters)", cols.N, headerNames.N, true)
	if err != nil {
		return nil, err
	}
	lCol, err := find("the loss", cols.Loss, headerNames.Loss, true)
	if err != nil {
		return nil, err
	}
	dCol, err := find("D (tokens)", cols.D, headerNames.D, false)
	if err != nil {
		return nil, err
	}
	cCol, err := find("C (FLOPs)", cols.C, headerNames.C, false)
	if err != nil {
		return nil, err
	}
	if dCol < 0 && cCol < 0 {
		return nil, fmt.Errorf("%s: no column for D (tokens) or C (FLOPs): want a header named %s or %s",
			name, strings.Join(headerNames.D, ", "), strings.Join(headerNames.C, ", "))
	}

	var runs []Run
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		value := func(col int) (float64, error) {
			if col >= len(rec) {
				return 0, fmt.Errorf("%s: line %d has %d fields, no column %d (%q)", name, line, len(rec), col+1, header[col])
			}
			s := strings.TrimSpace(rec[col])
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: line %d, column %q: %q is not a number", name, line, header[col], s)
			}
			if math.IsNaN(x) || math.IsInf(x, 0) || x <= 0 {
				return 0, fmt.Errorf("%s: line %d, column %q: %s, want a finite positive number", name, line, header[col], s)
			}
			return x, nil
		}
		run := Run{Line: line}
		if run.N, err = value(nCol); err != nil {
			return nil, err
		}
		if run.Loss, err = value(lCol); err != nil {
			return nil, err
		}
		if dCol >= 0 {
			if run.D, err = value(dCol); err != nil {
				return nil, err
			}
		}
		if cCol >= 0 {
			if run.C, err = value(cCol); err != nil {
				return nil, err
			}
		}
		switch {
		case dCol < 0:
			run.D = run.C / (6 * run.N)
		case cCol < 0:
			run.C = 6 * run.N * run.D
		}
		runs = append(runs, run)
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("%s: a header but no runs", name)
	}
	return runs, nil
}

// checkRuns rejects runs a fit cannot use: fewer than min, or a
// non-positive or non-finite N, D, C or loss (named by line or index).
func checkRuns(runs []Run, min int, form string) error {
	if len(runs) < min {
		return fmt.Errorf("%d runs are too few for the %s form: it needs at least %d", len(runs), form, min)
	}
	for i, r := range runs {
		for _, f := range []struct {
			name string
			x    float64
		}{{"N", r.N}, {"D", r.D}, {"C", r.C}, {"loss", r.Loss}} {
			if math.IsNaN(f.x) || math.IsInf(f.x, 0) || f.x <= 0 {
				return fmt.Errorf("%s: %s = %v, want a finite positive number", r.where(i), f.name, f.x)
			}
		}
	}
	return nil
}
