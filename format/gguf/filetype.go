package gguf

import "fmt"

// FileTypeKey holds what llama-quantize or the converter made of the file
// as a whole: llama.cpp's enum llama_ftype.
const FileTypeKey = "general.file_type"

// fileTypes are the names of llama_ftype's values (include/llama.h at the
// commit named in doc.go), as llama-quantize's presets spell them: "most
// tensors of this type", the 1-D ones (norms, biases) staying f32, and for
// the _S/_M/_L mixes some tensors a type higher.
var fileTypes = map[int64]string{
	0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
	10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
	16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
	22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
	28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0",
	37: "TQ2_0", 38: "MXFP4_MOE", 39: "NVFP4", 40: "Q1_0", 41: "Q2_0",
}

// FileType names the file's general.file_type ("Q4_K_M", "F16"), "" when
// the file has none (the tensors' own types then say what it holds); an
// unknown value is named by its number.
func (f *File) FileType() (string, error) {
	if _, ok := f.Value(FileTypeKey); !ok {
		return "", nil
	}
	n, err := f.Int(FileTypeKey)
	if err != nil {
		return "", err
	}
	if name, ok := fileTypes[n]; ok {
		return name, nil
	}
	return fmt.Sprintf("file type %d", n), nil
}
