package gguf

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNamesMatchConverter checks both directions against gguf-py's
// TensorNameMap, which printed testdata/names.txt (see testdata/README.md)
// for every tensor of two-block models of each family.
func TestNamesMatchConverter(t *testing.T) {
	fh, err := os.Open(filepath.Join("testdata", "names.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	n := 0
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			t.Fatalf("names.txt line %q", sc.Text())
		}
		arch, hf, file := f[0], f[1], f[2]
		if got, err := FileName(arch, hf); got != file || err != nil {
			t.Errorf("FileName(%s, %s) = %q, %v, want %q", arch, hf, got, err, file)
		}
		if got, err := HFName(arch, file); got != hf || err != nil {
			t.Errorf("HFName(%s, %s) = %q, %v, want %q", arch, file, got, err, hf)
		}
		n++
	}
	if n < 100 {
		t.Fatalf("names.txt has %d lines", n)
	}
	if got, _ := HFName("llama", "blk.27.attn_k.weight"); got != "model.layers.27.self_attn.k_proj.weight" {
		t.Errorf("block 27: %q", got)
	}
}

func TestNamesRefusals(t *testing.T) {
	for _, tc := range []struct {
		arch, name, want string
	}{
		{"mamba", "token_embd.weight", `architecture "mamba": xent maps the tensor names of gemma, gemma2, gemma3, gpt2, llama, phi3, qwen2, qwen3`},
		{"llama", "blk.0.attn_q_norm.weight", `tensor "blk.0.attn_q_norm.weight" is not part of a llama model as xent knows it`},
		{"llama", "blk.01.attn_q.weight", "is not part of a llama model"},
		{"llama", "blk.x.attn_q.weight", "is not part of a llama model"},
		{"llama", "blk..attn_q.weight", "is not part of a llama model"},
		{"llama", "token_embd.scale", "is not part of a llama model"},
		{"gpt2", "rope_freqs.weight", "is not part of a gpt2 model"},
	} {
		if _, err := HFName(tc.arch, tc.name); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("HFName(%s, %s): %v, want %q", tc.arch, tc.name, err, tc.want)
		}
	}
}
