package modeldir_test

import (
	"fmt"
	"os"
	"path/filepath"

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
