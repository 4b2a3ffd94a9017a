// Package data is where training text comes from and how it becomes
// batches: the embedded default corpus (Newton's Opticks, public domain,
// the copy in Go's own source tree), the Go standard library's source as a
// code corpus, the user's files (plain text or JSONL with a "text" field,
// by file, directory or glob), the held-out split (the last 10% of the
// bytes), and [B, T+1] windows of tokens for teacher forcing.
//
// Prepare is the one path from a corpus to token ids that every command
// takes: read the Source, split it, load or train the tokenizer on the
// training split, and encode both splits (Encode, which caches the ids).
// GzipBitsPerByte is the classical compressor's rate on a text, the bar a
// language model's bits per byte should clear.
package data
