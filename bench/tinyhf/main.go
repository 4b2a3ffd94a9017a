// Command tinyhf writes a tiny random-weight Hugging Face model directory
// of one family, laid out as the real checkpoint is (package
// internal/tinyhf): config.json, bf16 weights in shards with their index
// where the real one is sharded, generation_config.json, tokenizer.json.
// With -full it writes the real model's shapes instead (random weights in
// the published dtype and shards), for the families -list marks.
//
//	go run ./bench/tinyhf -list
//	go run ./bench/tinyhf -family qwen3-0.6b -out /tmp/qwen3
//	xent eval --model /tmp/qwen3 --corpus opticks
//	go run ./bench/tinyhf -family smollm2-135m -full -out /tmp/smollm2
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/xent-dev/xent/internal/tinyhf"
	"github.com/xent-dev/xent/model"
)

func main() {
	family := flag.String("family", "", "the directory to write (-list names them)")
	out := flag.String("out", "", "a new directory to write it to")
	seed := flag.Uint64("seed", 1, "the weights' random seed")
	list := flag.Bool("list", false, "list the families and exit")
	full := flag.Bool("full", false, "the real checkpoint's shapes (config.json sizes as published), not the tiny ones")
	flag.Parse()
	if *list {
		for _, s := range tinyhf.Specs {
			size := ""
			if f, err := s.FullSize(); err == nil {
				size = "  -full: " + params(f)
			}
			fmt.Printf("%-16s %-8s %d shard(s)  model_type %v%s\n", s.Name, s.DType, s.Shards, s.Config["model_type"], size)
		}
		return
	}
	if *family == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "tinyhf: -family and -out are needed (-list names the families)")
		os.Exit(2)
	}
	spec, err := tinyhf.Find(*family)
	if err == nil && *full {
		spec, err = spec.FullSize()
	}
	if err == nil {
		err = tinyhf.Write(*out, spec, *seed)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s (%s, %s parameters) to %s\n", spec.Name, spec.DType, params(spec), *out)
}

// params is the spec's parameter count, e.g. "134.5M".
func params(s tinyhf.Spec) string {
	raw, err := json.Marshal(s.Config)
	if err != nil {
		return "?"
	}
	var cfg model.Config
	if json.Unmarshal(raw, &cfg) != nil {
		return "?"
	}
	n, err := cfg.NumParams()
	if err != nil {
		return "?"
	}
	if n >= 1e6 {
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	}
	return fmt.Sprint(n)
}
