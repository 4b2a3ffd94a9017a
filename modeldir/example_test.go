package modeldir_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/xent-dev/xent/model"
	"github.com/xent-dev/xent/modeldir"
	"github.com/xent-dev/xent/tokenizer"
)

// A model and its tokenizer saved as a directory load back as one value.
func Example() {
	tok, _ := tokenizer.Builtin("gpt2")
	m, _ := model.New(model.Config{ModelType: model.GPT2, VocabSize: tok.VocabSize(), NEmbd: 8, NLayer: 1, NHead: 1, NPositions: 16}, 1)
	dir, _ := os.MkdirTemp("", "modeldir")
	defer os.RemoveAll(dir)
	if err := modeldir.Save(filepath.Join(dir, "tiny"), m, tok, nil); err != nil {
		fmt.Println(err)
		return
	}
	p, err := modeldir.Load(filepath.Join(dir, "tiny"))
	if err != nil {
		fmt.Println(err)
		return
	}
	bos, _ := p.BOS()
	fmt.Println(p.Kind, p.Model.VocabSize(), bos, p.TrainCounts == nil)
	// Output: huggingface 50257 50256 true
}

// A command claims its output directory before its work, and saves into it
// after; a second claim of a model directory needs Force or Resume.
func ExampleClaimOutput() {
	tok, _ := tokenizer.Builtin("gpt2")
	m, _ := model.New(model.Config{ModelType: model.GPT2, VocabSize: tok.VocabSize(), NEmbd: 8, NLayer: 1, NHead: 1, NPositions: 16}, 1)
	tmp, _ := os.MkdirTemp("", "modeldir")
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "run")
	release, err := modeldir.ClaimOutput(out, modeldir.OutputOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := modeldir.Save(out, m, tok, nil); err != nil {
		fmt.Println(err)
	}
	release()
	_, err = modeldir.ClaimOutput(out, modeldir.OutputOptions{})
	fmt.Println(strings.ReplaceAll(err.Error(), tmp+string(filepath.Separator), ""))
	// Output: modeldir: run exists (a model directory); --force to replace it, --resume to continue it
}
