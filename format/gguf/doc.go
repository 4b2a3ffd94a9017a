// Package gguf reads and writes GGUF files, the model format of llama.cpp,
// Ollama and LM Studio, following ggml's reference reader and writer
// (ggml/src/gguf.cpp at llama.cpp commit
// d32676d77426540327835040d5d3279728f0b4c8).
//
// A file is the magic "GGUF", a uint32 version (2 or 3; version 1 used
// 32-bit counts and is refused, as ggml refuses it), the tensor and
// metadata counts (int64), the metadata as key/value pairs, the tensor
// info, and the data section, all little-endian:
//
//	key:    string (uint64 length, bytes)  value type (uint32)  value
//	array:  element type (uint32)  count (uint64)  elements
//	tensor: name  dims count (uint32)  dims (int64, fastest first)  type (int32)  offset (uint64)
//
// The data section begins at the end of the tensor info padded to the
// alignment (the uint32 general.alignment, else 32); each tensor's data
// begins where the previous one's ended, padded to the alignment.
//
// Reading is as strict as ggml's reader, and checks what llama.cpp's
// loader checks after it: known types, no duplicate key or tensor name,
// at most 4 dims, rows of whole blocks, offsets that tile the data
// section, data inside the file. No declared count or length allocates
// more than the rest of the file could hold. Every error names the file
// and the key or tensor at fault (or its index, when its name is what
// could not be read); no input makes the reader panic (FuzzParse).
//
// Open memory-maps the file where the system allows, so that a tensor's
// bytes are a view of the page cache rather than a copy on the heap and a
// 4 GB file costs no 4 GB of heap; elsewhere, and through NewReader, a
// tensor is read when asked for. A mapped file must not be truncated
// while open (the process would fault on the lost pages), as with any
// memory-mapped reader, llama.cpp's included.
//
// Dequantize converts f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, q2_K,
// q3_K, q4_K, q5_K and q6_K to float32, bit for bit as ggml's reference
// dequantize_row_* do; other types (the iq* types, tq*, mxfp4 and the
// rest) are named in a refusal. Encode makes f32, f16, bf16 and q8_0 data
// as ggml's reference encoders do, and Write lays a file out byte for byte
// as gguf_write_to_file does.
//
// HFName and FileName translate between llama.cpp's tensor names and
// Hugging Face's for the llama, qwen2, qwen3, gemma, gemma2, gemma3, phi3
// and gpt2 architectures (Archs), and PermuteRows and UnpermuteRows make
// and undo the converter's reordering of Llama's Q and K rows; names.go
// says which other tensors the converter changes (Gemma's norms, GPT-2's
// Conv1D weights). Hyper reads the model's shape from the "<arch>.*" keys
// with llama.cpp's defaults, RoPE scaling (rope.scaling.*, YaRN's keys),
// sliding windows and Gemma's soft-caps included, and FileType names
// general.file_type (Q4_K_M, …). testdata/README.md says how the goldens
// that show this were made. Package modeldir builds models from these
// (loadGGUF) and writes them (ExportGGUF).
package gguf
