package tokenizer_test

import (
	"bytes"
	"fmt"
	"log"
	"slices"

	"github.com/xent-dev/xent/tokenizer"
)

func ExampleBuiltin() {
	tok, err := tokenizer.Builtin("cl100k_base")
	if err != nil {
		log.Fatal(err)
	}
	ids := tok.Encode([]byte("Hello, world!"))
	text, err := tok.Decode(ids)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ids, string(text))
	// Output: [9906 11 1917 0] Hello, world!
}

func ExampleTokenizer_EncodeSpecial() {
	tok, err := tokenizer.Builtin("gpt2")
	if err != nil {
		log.Fatal(err)
	}
	text := []byte("end<|endoftext|>")
	fmt.Println(tok.Encode(text)) // the special token as ordinary text
	ids, err := tok.EncodeSpecial(text, []string{"<|endoftext|>"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ids)
	// Output:
	// [437 27 91 437 1659 5239 91 29]
	// [437 50256]
}

func ExampleTokenizer_Decode() {
	tok, err := tokenizer.Builtin("o200k_base")
	if err != nil {
		log.Fatal(err)
	}
	_, err = tok.Decode([]int32{24912, 199998})
	fmt.Println(err)
	// Output: tokenizer: token id 199998 is not in the vocabulary (ids 0..200018), at position 1
}

func ExamplePattern_Pieces() {
	var pieces []string
	for piece := range tokenizer.O200K.Pieces([]byte("HelloWorld, it's 12345!\n\n")) {
		pieces = append(pieces, string(piece))
	}
	fmt.Printf("%q\n", pieces)
	// Output: ["Hello" "World" "," " it's" " " "123" "45" "!\n\n"]
}

func ExampleTrain() {
	corpus := []byte("low lower lowest newer newest wider widest ")
	tok, err := tokenizer.Train([][]byte{bytes.Repeat(corpus, 10)}, tokenizer.TrainOptions{VocabSize: 256 + 16})
	if err != nil {
		log.Fatal(err)
	}
	var pieces []string
	for _, id := range tok.Encode([]byte(" lowest")) {
		b, _ := tok.Token(id)
		pieces = append(pieces, string(b))
	}
	fmt.Printf("%q\n", pieces)
	var buf bytes.Buffer
	if err := tok.SaveHF(&buf); err != nil { // Hugging Face tokenizer.json
		log.Fatal(err)
	}
	back, err := tokenizer.LoadHF(&buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.VocabSize())
	// Output:
	// [" lowe" "st"]
	// 272
}

// A tokenizer.json whose post-processor is a Sequence of ByteLevel and a
// template (as Llama 3.x's): Template gives what encoding with the
// model's own special tokens adds around a text. A tokenizer_config.json
// beside the file (add_bos_token, add_eos_token) would change it as
// transformers does.
func ExampleTokenizer_Template() {
	tok, err := tokenizer.Load("testdata/synthetic/sequence_template.json")
	if err != nil {
		log.Fatal(err)
	}
	before, after := tok.Template()
	ids := slices.Concat(before, tok.Encode([]byte("Light")), after)
	text, err := tok.Decode(ids)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(before, after, string(text))
	// Output: [999] [999] <|endoftext|>Light<|endoftext|>
}
