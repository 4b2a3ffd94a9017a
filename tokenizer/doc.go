// Package tokenizer is byte-level byte-pair encoding (BPE), the tokenizer of
// GPT-2, GPT-4 (cl100k_base) and GPT-4o (o200k_base), exact to the
// reference implementations, with a trainer for new vocabularies.
//
// Encoding runs in two stages:
//
//  1. A pre-tokenizer cuts the text into pieces (words, numbers, runs of
//     punctuation or white space). Each reference defines its pieces with a
//     regular expression; Pattern is a hand-written scanner for each of the
//     three in use (GPT2, CL100K, O200K) that produces exactly the pieces a
//     backtracking regexp engine would, in one forward pass with no
//     backtracking, on bytes that need not be valid UTF-8.
//  2. Each piece, as bytes, starts as one token per byte and is merged pair
//     by pair: always the adjacent pair of lowest merge rank, leftmost first,
//     until no adjacent pair has a rank. tiktoken's rank files and Hugging
//     Face's merge lists are two spellings of the same rule.
//
// Special tokens such as <|endoftext|> are recognised in the text only when
// the caller allows them by name, as tiktoken's allowed_special; otherwise
// they are ordinary text. Decoding concatenates the bytes of the tokens, so
// any id sequence, even one that splits a UTF-8 character, decodes to its
// exact bytes; an id that is not in the vocabulary is an error.
//
// Tokenizers come from Builtin ("gpt2", "cl100k_base", "o200k_base": the
// tiktoken rank files embedded in the binary), LoadTiktoken, LoadGPT2
// (encoder.json + vocab.bpe), LoadHF (Hugging Face tokenizer.json) and
// Train; SaveHF writes the tokenizer.json format. A Tokenizer is immutable
// and safe for concurrent use.
//
// Hugging Face's tokenizer.json, whatever its stages, is read by
// LoadPipeline as a Pipeline: added tokens, normalizers (NFC, NFD, NFKC,
// NFKD, Lowercase, Strip, StripAccents, Replace, Prepend, BertNormalizer,
// Sequence),
// pre-tokenizers (ByteLevel, Split by a string or a regex with every
// behaviour and invert, Digits, Metaspace, Whitespace, WhitespaceSplit,
// Punctuation, Sequence), BPE over byte-level or SentencePiece (▁)
// vocabularies with byte_fallback, unk_token, fuse_unk, ignore_merges and
// continuing_subword_prefix, the post-processor's template
// (TemplateProcessing, Bert and Roberta processing, alone or in a
// Sequence) and decoders (ByteLevel, Metaspace, Replace, ByteFallback,
// Fuse, Strip, Sequence), each as Hugging Face's tokenizers runs it.
// WordPiece and Unigram models are refused by name (model.type); none of
// the six real files the tests read (Llama 2 and 3, Qwen3, Gemma 3,
// DeepSeek V3, gpt-oss) uses them. A Split regex that is one of
// the Pattern scanners' runs as that scanner; any other runs on
// dlclark/regexp2, a backtracking engine with look-around. LoadHF (and so
// Load) keeps the byte-level fast path for the files it covers and reads
// every other file as a Pipeline behind the same Tokenizer methods.
//
// Template is what encoding with the model's own special tokens adds
// around a text (Hugging Face's add_special_tokens=True). Load and LoadDir
// also read the tokenizer_config.json beside tokenizer.json, as
// transformers does and tokenizers alone does not: its add_bos_token and
// add_eos_token rebuild the template for the Llama and Gemma classes
// (DeepSeek V3's file adds BOS only this way), and for other classes over
// a template post-processor (Config). xent tokenize --add-special, eval's
// BOS and generate's all read Template.
//
// Streams: Tokenizer.Blocks cuts a text of any length into blocks whose ids,
// each block encoded by EncodeBlock, join into the whole text's: for
// byte-level BPE where LastSafeCut allows, for a Pipeline where BlockCut
// does (after a newline between a non-space and a letter, when no stage
// joins across it; a block after the first gets no Prepend or prefix space).
// ByteSpans tells which bytes of the text each token stands for.
//
// Unicode: the patterns' \p{L}, \p{N}, \p{M} and \s are taken from Go's
// unicode tables (Unicode 15.0); \s is the White_Space property, as in Rust's
// regex crate (tiktoken) and Python's regex module (GPT-2), which is what
// unicode.IsSpace tests. JavaScript's \s differs (it counts U+FEFF and not
// U+0085), so gpt-3-encoder, the JS port of GPT-2, cuts text with those two
// characters differently; this package follows tiktoken there. Characters
// first assigned after Unicode 15.0 are "other" here but may be letters or
// numbers to an engine with newer tables; the parity corpus keeps to
// Unicode 15.0. A byte that does not start a valid UTF-8 sequence is a piece
// character of its own, in the class of U+FFFD (a symbol: not a letter,
// number, mark or space).
package tokenizer
