// Command tinyhf writes a tiny random-weight Hugging Face model directory
// of one family, laid out as the real checkpoint is (package
// internal/tinyhf): config.json, bf16 weights in shards with their index
// where the real one is sharded, generation_config.json, tokenizer.json.
//
//	go run ./bench/tinyhf -list
//	go run ./bench/tinyhf -family qwen3-0.6b -out /tmp/qwen3
//	xent eval --model /tmp/qwen3 --corpus opticks
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/xent-dev/xent/internal/tinyhf"
)

func main() {
	family := flag.String("family", "", "the directory to write (-list names them)")
	out := flag.String("out", "", "a new directory to write it to")
	seed := flag.Uint64("seed", 1, "the weights' random seed")
	list := flag.Bool("list", false, "list the families and exit")
	flag.Parse()
	if *list {
		for _, s := range tinyhf.Specs {
			fmt.Printf("%-16s %-8s %d shard(s)  model_type %v\n", s.Name, s.DType, s.Shards, s.Config["model_type"])
		}
		return
	}
	if *family == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "tinyhf: -family and -out are needed (-list names the families)")
		os.Exit(2)
	}
	spec, err := tinyhf.Find(*family)
	if err == nil {
		err = tinyhf.Write(*out, spec, *seed)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s (%s) to %s\n", spec.Name, spec.DType, *out)
}
