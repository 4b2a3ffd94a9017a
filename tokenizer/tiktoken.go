package tokenizer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
)

// LoadTiktoken reads a tiktoken rank file: one token per line, "base64
// rank", the rank doubling as the token id. A pair of adjacent tokens merges
// when their concatenation is a token, lowest rank first; so the merge table
// holds every split of every token into two tokens. special maps the special
// tokens' texts to their ids.
func LoadTiktoken(r io.Reader, pattern Pattern, special map[string]int32) (*Tokenizer, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: reading rank file: %w", err)
	}
	n := bytes.Count(data, []byte("\n")) + 1
	ids := make(map[string]int32, n)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		b64, rankText, ok := bytes.Cut(sc.Bytes(), []byte(" "))
		tok, err := base64.StdEncoding.DecodeString(string(b64))
		if !ok || err != nil || len(tok) == 0 {
			return nil, fmt.Errorf("tokenizer: rank file line %d: want \"base64 rank\", got %.40q", line, sc.Bytes())
		}
		rank, err := strconv.ParseInt(string(rankText), 10, 32)
		if err != nil || rank < 0 {
			return nil, fmt.Errorf("tokenizer: rank file line %d: bad rank %.20q", line, rankText)
		}
		if prev, dup := ids[string(tok)]; dup {
			return nil, fmt.Errorf("tokenizer: rank file line %d: token %q already has rank %d", line, tok, prev)
		}
		ids[string(tok)] = int32(rank)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tokenizer: reading rank file: %w", err)
	}
	table := make(map[uint64]uint64, 2*n)
	for tok, rank := range ids {
		for k := 1; k < len(tok); k++ {
			left, okL := ids[tok[:k]]
			right, okR := ids[tok[k:]]
			if okL && okR {
				table[pairKey(left, right)] = uint64(rank)<<32 | uint64(rank)
			}
		}
	}
	return build(pattern, ids, table, special, true)
}

//go:embed ranks/*.tiktoken.gz ranks/*.json
var ranksFS embed.FS

// BuiltinNames are the names Builtin knows.
var BuiltinNames = []string{"gpt2", "cl100k_base", "o200k_base"}

var builtins sync.Map // name → func() (*Tokenizer, error), each loading once

// Builtin returns one of tiktoken's encodings by name: "gpt2" (GPT-2),
// "cl100k_base" (GPT-3.5, GPT-4) or "o200k_base" (GPT-4o). The rank files
// are embedded (extracted from the npm package tiktoken by
// ranks/extract.mjs), so this works offline; each loads once, on first use.
func Builtin(name string) (*Tokenizer, error) {
	known := false
	for _, n := range BuiltinNames {
		known = known || n == name
	}
	if !known {
		return nil, fmt.Errorf("tokenizer: no built-in tokenizer %q (built in: %q)", name, BuiltinNames)
	}
	load, _ := builtins.LoadOrStore(name, sync.OnceValues(func() (*Tokenizer, error) { return loadBuiltin(name) }))
	return load.(func() (*Tokenizer, error))()
}

func loadBuiltin(name string) (*Tokenizer, error) {
	meta, err := ranksFS.ReadFile("ranks/" + name + ".json")
	if err != nil {
		return nil, err
	}
	var m struct {
		PatStr        string           `json:"pat_str"`
		SpecialTokens map[string]int32 `json:"special_tokens"`
	}
	if err := json.Unmarshal(meta, &m); err != nil {
		return nil, fmt.Errorf("tokenizer: built-in %s: %w", name, err)
	}
	pattern, err := PatternOf(m.PatStr)
	if err != nil {
		return nil, err
	}
	f, err := ranksFS.Open("ranks/" + name + ".tiktoken.gz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: built-in %s: %w", name, err)
	}
	return LoadTiktoken(z, pattern, m.SpecialTokens)
}
