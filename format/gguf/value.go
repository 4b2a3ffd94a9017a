package gguf

import (
	"fmt"
	"math"
	"slices"
)

// ValueType is a metadata value's type, ggml's enum gguf_type as the file
// stores it (a uint32).
type ValueType uint32

// The metadata value types.
const (
	Uint8   ValueType = 0
	Int8    ValueType = 1
	Uint16  ValueType = 2
	Int16   ValueType = 3
	Uint32  ValueType = 4
	Int32   ValueType = 5
	Float32 ValueType = 6
	Bool    ValueType = 7
	String  ValueType = 8
	Array   ValueType = 9
	Uint64  ValueType = 10
	Int64   ValueType = 11
	Float64 ValueType = 12
)

var valueTypeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"}

// String is the type's name as the GGUF specification spells it.
func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("value type %d", uint32(t))
}

// size is the encoded size of one value of a fixed-size type, 0 for
// String, Array and unknown types.
func (t ValueType) size() int {
	switch t {
	case Uint8, Int8, Bool:
		return 1
	case Uint16, Int16:
		return 2
	case Uint32, Int32, Float32:
		return 4
	case Uint64, Int64, Float64:
		return 8
	}
	return 0
}

// Value is one metadata value. V holds a scalar as the Go type of its
// ValueType (uint8, int8, uint16, int16, uint32, int32, float32, bool,
// string, uint64, int64, float64); for Type Array, Elem is the element
// type and V a slice of that Go type ([]uint8 … []string). Arrays of
// arrays are refused when reading, as ggml refuses them.
type Value struct {
	Type ValueType
	Elem ValueType
	V    any
}

// KV is one metadata key and its value.
type KV struct {
	Key   string
	Value Value
}

func (v Value) describe() string {
	if v.Type == Array {
		return "an array of " + v.Elem.String()
	}
	return "a " + v.Type.String()
}

// Value returns the value stored under key.
func (f *File) Value(key string) (Value, bool) {
	i, ok := f.index[key]
	if !ok {
		return Value{}, false
	}
	return f.KV[i].Value, true
}

func (f *File) lookup(key string) (Value, error) {
	v, ok := f.Value(key)
	if !ok {
		return Value{}, fmt.Errorf("gguf: no metadata key %q", key)
	}
	return v, nil
}

// String returns the string stored under key.
func (f *File) String(key string) (string, error) {
	v, err := f.lookup(key)
	if err != nil {
		return "", err
	}
	s, ok := v.V.(string)
	if !ok {
		return "", fmt.Errorf("gguf: key %q is %s, want a string", key, v.describe())
	}
	return s, nil
}

// Bool returns the bool stored under key.
func (f *File) Bool(key string) (bool, error) {
	v, err := f.lookup(key)
	if err != nil {
		return false, err
	}
	b, ok := v.V.(bool)
	if !ok {
		return false, fmt.Errorf("gguf: key %q is %s, want a bool", key, v.describe())
	}
	return b, nil
}

// Int returns the integer stored under key, of any of the eight integer
// types (files disagree on which one a count such as a context length
// uses); a uint64 past the int64 range is an error.
func (f *File) Int(key string) (int64, error) {
	v, err := f.lookup(key)
	if err != nil {
		return 0, err
	}
	n, ok, big := asInt(v.V)
	switch {
	case big:
		return 0, fmt.Errorf("gguf: key %q is %d, past the int64 range", key, v.V)
	case !ok:
		return 0, fmt.Errorf("gguf: key %q is %s, want an integer", key, v.describe())
	}
	return n, nil
}

// asInt widens an integer scalar; ok is false for other types, big is
// true for a uint64 past int64.
func asInt(x any) (n int64, ok, big bool) {
	switch x := x.(type) {
	case uint8:
		return int64(x), true, false
	case int8:
		return int64(x), true, false
	case uint16:
		return int64(x), true, false
	case int16:
		return int64(x), true, false
	case uint32:
		return int64(x), true, false
	case int32:
		return int64(x), true, false
	case int64:
		return x, true, false
	case uint64:
		return int64(x), x <= math.MaxInt64, x > math.MaxInt64
	}
	return 0, false, false
}

// Float returns the float32 or float64 stored under key, widened.
func (f *File) Float(key string) (float64, error) {
	v, err := f.lookup(key)
	if err != nil {
		return 0, err
	}
	switch x := v.V.(type) {
	case float32:
		return float64(x), nil
	case float64:
		return x, nil
	}
	return 0, fmt.Errorf("gguf: key %q is %s, want a float", key, v.describe())
}

// Strings returns a copy of the array of strings stored under key.
func (f *File) Strings(key string) ([]string, error) {
	v, err := f.lookup(key)
	if err != nil {
		return nil, err
	}
	s, ok := v.V.([]string)
	if !ok {
		return nil, fmt.Errorf("gguf: key %q is %s, want an array of string", key, v.describe())
	}
	return slices.Clone(s), nil
}

// Float32s returns a copy of the array of float32 stored under key.
func (f *File) Float32s(key string) ([]float32, error) {
	v, err := f.lookup(key)
	if err != nil {
		return nil, err
	}
	s, ok := v.V.([]float32)
	if !ok {
		return nil, fmt.Errorf("gguf: key %q is %s, want an array of float32", key, v.describe())
	}
	return slices.Clone(s), nil
}

// Ints returns the array stored under key, of any integer element type,
// widened to int64; a uint64 element past the int64 range is an error.
func (f *File) Ints(key string) ([]int64, error) {
	v, err := f.lookup(key)
	if err != nil {
		return nil, err
	}
	switch s := v.V.(type) {
	case []uint8:
		return widen(s), nil
	case []int8:
		return widen(s), nil
	case []uint16:
		return widen(s), nil
	case []int16:
		return widen(s), nil
	case []uint32:
		return widen(s), nil
	case []int32:
		return widen(s), nil
	case []int64:
		return slices.Clone(s), nil
	case []uint64:
		for i, x := range s {
			if x > math.MaxInt64 {
				return nil, fmt.Errorf("gguf: key %q: element %d is %d, past the int64 range", key, i, x)
			}
		}
		return widen(s), nil
	}
	return nil, fmt.Errorf("gguf: key %q is %s, want an array of integers", key, v.describe())
}

func widen[T uint8 | int8 | uint16 | int16 | uint32 | int32 | uint64](s []T) []int64 {
	out := make([]int64, len(s))
	for i, x := range s {
		out[i] = int64(x)
	}
	return out
}
