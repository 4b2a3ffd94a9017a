// Package safetensors reads and writes .safetensors files, the tensor
// format of Hugging Face checkpoints.
//
// A file is an 8-byte little-endian header length n, n bytes of JSON, and a
// byte buffer. The JSON maps each tensor's name to its dtype, shape and
// data_offsets [begin, end) into the buffer; the optional "__metadata__"
// entry maps strings to strings:
//
//	{"__metadata__": {"format": "pt"},
//	 "wte.weight": {"dtype": "F32", "shape": [50257, 768], "data_offsets": [0, 154389504]}}
//
// Reading is strict, as the reference implementation is: the header must be
// one JSON object without duplicate names, every dtype known, every
// tensor's byte size equal to its shape times its dtype's size, and the
// tensors must tile the buffer exactly (no overlap, no gap, nothing past
// the end). Errors name the file and the tensor; no input makes the reader
// panic. Files are read with plain reads (no mmap), so a reader sees one
// consistent copy of the file. ReadFile reads a whole file; Open reads its
// header only and then each tensor, when asked, straight into the
// caller's buffer (float32, widening F16 and BF16, or BF16's bits as
// they are), so that a checkpoint loads without a second copy of its
// bytes.
//
// Writing is atomic: WriteFile writes a temporary file beside the target,
// syncs it and renames it over the target, so a crash or a full disk
// leaves the previous file intact.
package safetensors
