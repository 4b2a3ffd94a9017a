package gguf

import "fmt"

// llama.cpp's converter (convert_hf_to_gguf.py, LlamaModel.permute in
// conversion/llama.py at the commit named in doc.go) reorders the rows of
// the Q and K projections of Llama-style models: within each head of hd
// rows, Hugging Face holds the rotary pairs as two halves (row i pairs
// with row i+hd/2), and the GGUF file holds them interleaved (rows 2i and
// 2i+1), which is what ggml's rope expects:
//
//	weights.reshape(n_head, 2, hd/2, ...).swapaxes(1, 2).reshape(shape)
//
// with n_head the number of key/value heads for K. PermuteRows applies
// that reordering and UnpermuteRows undoes it. Both move whole rows, so
// they serve every tensor type: a row of a quantized tensor is a whole
// number of blocks.

// PermuteRows reorders the rows of a Q or K weight from Hugging Face's
// order to the GGUF file's, as llama.cpp's converter does. data holds
// rows of rowBytes bytes each, nHead heads of them (the K projection's
// nHead is its key/value heads).
func PermuteRows(data []byte, rowBytes, nHead int) ([]byte, error) {
	return permuteRows(data, rowBytes, nHead, false)
}

// UnpermuteRows undoes PermuteRows: from a GGUF file's order of the rows
// of a Q or K weight back to Hugging Face's.
func UnpermuteRows(data []byte, rowBytes, nHead int) ([]byte, error) {
	return permuteRows(data, rowBytes, nHead, true)
}

func permuteRows(data []byte, rowBytes, nHead int, inverse bool) ([]byte, error) {
	if rowBytes <= 0 || nHead <= 0 {
		return nil, fmt.Errorf("gguf: permute rows of %d bytes in %d heads", rowBytes, nHead)
	}
	if len(data)%rowBytes != 0 {
		return nil, fmt.Errorf("gguf: permute: %d bytes are not whole rows of %d", len(data), rowBytes)
	}
	rows := len(data) / rowBytes
	if rows%(2*nHead) != 0 {
		return nil, fmt.Errorf("gguf: permute: %d rows do not split into %d heads of an even size", rows, nHead)
	}
	half := rows / nHead / 2
	out := make([]byte, len(data))
	for h := range nHead {
		for j := range 2 {
			for i := range half {
				hf := h*2*half + j*half + i // Hugging Face: halves
				file := h*2*half + 2*i + j  // GGUF: interleaved
				src, dst := hf, file
				if inverse {
					src, dst = file, hf
				}
				copy(out[dst*rowBytes:(dst+1)*rowBytes], data[src*rowBytes:(src+1)*rowBytes])
			}
		}
	}
	return out, nil
}
