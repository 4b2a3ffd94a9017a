package gguf

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestPermuteRowsMatchesConverter compares with the row order llama.cpp's
// converter gives: LlamaModel.permute (conversion/llama.py at llama.cpp
// d32676d7, copied verbatim) run with NumPy 1.24 on rows numbered 0…n−1,
//
//	permute(np.arange(24*3).reshape(24, 3), 4, 4)  # Q: 4 heads of 6 rows
//	permute(np.arange(12*3).reshape(12, 3), 4, 2)  # K: 2 key/value heads
//
// printed as the source row of each output row.
func TestPermuteRowsMatchesConverter(t *testing.T) {
	for _, tc := range []struct {
		nHead int
		want  []int
	}{
		{4, []int{0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11, 12, 15, 13, 16, 14, 17, 18, 21, 19, 22, 20, 23}},
		{2, []int{0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11}},
	} {
		const rowBytes = 3
		rows := len(tc.want)
		hf := make([]byte, rows*rowBytes)
		for r := range rows {
			for c := range rowBytes {
				hf[r*rowBytes+c] = byte(r)
			}
		}
		file, err := PermuteRows(hf, rowBytes, tc.nHead)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]int, rows)
		for r := range rows {
			got[r] = int(file[r*rowBytes])
			if !bytes.Equal(file[r*rowBytes:(r+1)*rowBytes], bytes.Repeat(file[r*rowBytes:r*rowBytes+1], rowBytes)) {
				t.Fatalf("row %d was not moved whole: %v", r, file[r*rowBytes:(r+1)*rowBytes])
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%d heads: rows %v, converter %v", tc.nHead, got, tc.want)
		}
		back, err := UnpermuteRows(file, rowBytes, tc.nHead)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back, hf) {
			t.Errorf("%d heads: UnpermuteRows does not undo PermuteRows", tc.nHead)
		}
	}
}

func TestPermuteRowsRefusals(t *testing.T) {
	for _, tc := range []struct {
		n, rowBytes, nHead int
		want               string
	}{
		{10, 3, 1, "10 bytes are not whole rows of 3"},
		{18, 3, 2, "6 rows do not split into 2 heads of an even size"},
		{18, 3, 0, "permute rows of 3 bytes in 0 heads"},
	} {
		if _, err := UnpermuteRows(make([]byte, tc.n), tc.rowBytes, tc.nHead); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%d bytes, rows of %d, %d heads: %v, want %q", tc.n, tc.rowBytes, tc.nHead, err, tc.want)
		}
	}
}
