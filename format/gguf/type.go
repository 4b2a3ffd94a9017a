package gguf

import "fmt"

// Type is a tensor's element type, ggml's enum ggml_type as the file
// stores it (an int32).
type Type uint32

// The tensor types. Ids 4, 5 and 31–33, 36–38 were removed from ggml and
// are unknown here as they are there.
const (
	F32     Type = 0
	F16     Type = 1
	Q4_0    Type = 2
	Q4_1    Type = 3
	Q5_0    Type = 6
	Q5_1    Type = 7
	Q8_0    Type = 8
	Q8_1    Type = 9
	Q2_K    Type = 10
	Q3_K    Type = 11
	Q4_K    Type = 12
	Q5_K    Type = 13
	Q6_K    Type = 14
	Q8_K    Type = 15
	IQ2_XXS Type = 16
	IQ2_XS  Type = 17
	IQ3_XXS Type = 18
	IQ1_S   Type = 19
	IQ4_NL  Type = 20
	IQ3_S   Type = 21
	IQ2_S   Type = 22
	IQ4_XS  Type = 23
	I8      Type = 24
	I16     Type = 25
	I32     Type = 26
	I64     Type = 27
	F64     Type = 28
	IQ1_M   Type = 29
	BF16    Type = 30
	TQ1_0   Type = 34
	TQ2_0   Type = 35
	MXFP4   Type = 39
	NVFP4   Type = 40
	Q1_0    Type = 41
	Q2_0    Type = 42
)

// traits is a type's name and layout: BlockSize values are stored in
// blocks of TypeSize bytes. These are ggml's type_traits (ggml/src/ggml.c
// at llama.cpp commit d32676d77426540327835040d5d3279728f0b4c8), checked
// against testdata/traits.txt, which that code printed.
type traits struct {
	name      string
	blockSize int
	typeSize  int
}

var typeTraits = map[Type]traits{
	F32: {"f32", 1, 4}, F16: {"f16", 1, 2},
	Q4_0: {"q4_0", 32, 18}, Q4_1: {"q4_1", 32, 20},
	Q5_0: {"q5_0", 32, 22}, Q5_1: {"q5_1", 32, 24},
	Q8_0: {"q8_0", 32, 34}, Q8_1: {"q8_1", 32, 36},
	Q2_K: {"q2_K", 256, 84}, Q3_K: {"q3_K", 256, 110}, Q4_K: {"q4_K", 256, 144},
	Q5_K: {"q5_K", 256, 176}, Q6_K: {"q6_K", 256, 210}, Q8_K: {"q8_K", 256, 292},
	IQ2_XXS: {"iq2_xxs", 256, 66}, IQ2_XS: {"iq2_xs", 256, 74}, IQ3_XXS: {"iq3_xxs", 256, 98},
	IQ1_S: {"iq1_s", 256, 50}, IQ4_NL: {"iq4_nl", 32, 18}, IQ3_S: {"iq3_s", 256, 110},
	IQ2_S: {"iq2_s", 256, 82}, IQ4_XS: {"iq4_xs", 256, 136},
	I8: {"i8", 1, 1}, I16: {"i16", 1, 2}, I32: {"i32", 1, 4}, I64: {"i64", 1, 8}, F64: {"f64", 1, 8},
	IQ1_M: {"iq1_m", 256, 56}, BF16: {"bf16", 1, 2},
	TQ1_0: {"tq1_0", 256, 54}, TQ2_0: {"tq2_0", 256, 66},
	MXFP4: {"mxfp4", 32, 17}, NVFP4: {"nvfp4", 64, 36},
	Q1_0: {"q1_0", 128, 18}, Q2_0: {"q2_0", 64, 18},
}

// Known reports whether t is a type ggml defines.
func (t Type) Known() bool {
	_, ok := typeTraits[t]
	return ok
}

// String is ggml's name for the type ("f16", "q4_K", "iq2_xxs"), or
// "type N" for an unknown id.
func (t Type) String() string {
	if tr, ok := typeTraits[t]; ok {
		return tr.name
	}
	return fmt.Sprintf("type %d", uint32(t))
}

// BlockSize is the number of values in one block (1 for the plain types,
// 32 or 256 for the quantized ones), 0 for an unknown type.
func (t Type) BlockSize() int { return typeTraits[t].blockSize }

// TypeSize is the number of bytes in one block, 0 for an unknown type.
func (t Type) TypeSize() int { return typeTraits[t].typeSize }
