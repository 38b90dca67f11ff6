package safetensors

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// ErrFormat is wrapped (with %w) by every error that reports a malformed or
// unacceptable safetensors file, so callers can test for it with errors.Is.
var ErrFormat = errors.New("safetensors: bad format")

// ErrNotFound is wrapped by the error [File.Float32] returns when the named
// tensor is absent.
var ErrNotFound = errors.New("safetensors: tensor not found")

// DefaultMaxHeader is the header size limit used when [Limits.MaxHeader] is
// zero or negative. It equals the limit of the official implementation
// (100,000,000 bytes), so any file that library accepts is accepted here.
const DefaultMaxHeader = 100_000_000

// metadataKey is the reserved header key holding the free-form metadata.
const metadataKey = "__metadata__"

// Tensor is one tensor: its element type, its shape, and its raw data in
// little-endian C (row-major) order.
type Tensor struct {
	// DType names the element type as in the safetensors header, for example
	// "F32", "F64", "F16", "BF16", "I64", "I32", "U8" or "BOOL". See
	// [DTypeBits] for the full list.
	DType string
	// Shape lists the dimensions; nil or empty means a scalar.
	Shape []int
	// Data holds exactly NumElements × element size bytes.
	Data []byte
}

// File is the content of a safetensors file.
type File struct {
	// Metadata is the free-form "__metadata__" map; it may be nil.
	Metadata map[string]string
	// Tensors maps each tensor name to its tensor.
	Tensors map[string]Tensor
}

// Limits bounds what [Read] accepts from a source.
type Limits struct {
	// MaxHeader is the largest accepted JSON header, in bytes. Zero or
	// negative means DefaultMaxHeader.
	MaxHeader int64
	// MaxTotal is the largest accepted byte buffer (the sum of all tensor data
	// sizes), in bytes. Zero or negative means no cap other than the size of
	// the source.
	MaxTotal int64
}

// dtypeBits maps every dtype of the safetensors format to its element size in
// bits.
var dtypeBits = map[string]int{
	"BOOL":    8,
	"U8":      8,
	"I8":      8,
	"F8_E5M2": 8,
	"F8_E4M3": 8,
	"F8_E8M0": 8,
	"I16":     16,
	"U16":     16,
	"F16":     16,
	"BF16":    16,
	"I32":     32,
	"U32":     32,
	"F32":     32,
	"C64":     64,
	"F64":     64,
	"I64":     64,
	"U64":     64,
	"F4":      4,
	"F6_E2M3": 6,
	"F6_E3M2": 6,
}

// DTypeBits reports the element size in bits of the named safetensors dtype
// and whether the dtype is known. Known dtypes are BOOL, U8, I8, F8_E5M2,
// F8_E4M3, F8_E8M0, I16, U16, F16, BF16, I32, U32, F32, C64, F64, I64, U64
// and the sub-byte types F4, F6_E2M3 and F6_E3M2 (whose tensors must hold a
// whole number of bytes).
func DTypeBits(dtype string) (bits int, ok bool) {
	bits, ok = dtypeBits[dtype]
	return bits, ok
}

// numElements returns the product of shape, failing on a negative dimension
// or on int64 overflow.
func numElements(shape []int) (int64, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if d != 0 && n > math.MaxInt64/int64(d) {
			return 0, fmt.Errorf("element count of shape %s overflows int64", shortShape(shape))
		}
		n *= int64(d)
	}
	return n, nil
}

// byteSize returns the data size in bytes of a tensor of the given dtype and
// shape.
func byteSize(dtype string, shape []int) (int64, error) {
	bits, ok := dtypeBits[dtype]
	if !ok {
		return 0, fmt.Errorf("unknown dtype %s", quote(dtype))
	}
	n, err := numElements(shape)
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt64/int64(bits) {
		return 0, fmt.Errorf("byte size of %s × shape %s overflows int64", dtype, shortShape(shape))
	}
	if n*int64(bits)%8 != 0 {
		return 0, fmt.Errorf("%s × shape %s is not a whole number of bytes", dtype, shortShape(shape))
	}
	return n * int64(bits) / 8, nil
}

// NumElements returns the number of elements of t, the product of its shape
// (1 for a scalar). It fails on a negative dimension or on overflow.
func (t Tensor) NumElements() (int64, error) {
	return numElements(t.Shape)
}

// Validate checks that t has a known dtype, a valid shape, and exactly as
// many data bytes as dtype × shape requires.
func (t Tensor) Validate() error {
	want, err := byteSize(t.DType, t.Shape)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if int64(len(t.Data)) != want {
		return fmt.Errorf("safetensors: %s × shape %s needs %d bytes, data has %d",
			t.DType, shortShape(t.Shape), want, len(t.Data))
	}
	return nil
}

// FromFloat32 returns an F32 tensor of the given shape holding a copy of data.
// It panics if a dimension is negative or the shape's element count differs
// from len(data), both programming errors.
func FromFloat32(shape []int, data []float32) Tensor {
	n, err := numElements(shape)
	if err != nil {
		panic("safetensors.FromFloat32: " + err.Error())
	}
	if n != int64(len(data)) {
		panic(fmt.Sprintf("safetensors.FromFloat32: shape %v holds %d elements, data has %d", shape, n, len(data)))
	}
	buf := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	return Tensor{DType: "F32", Shape: slices.Clone(shape), Data: buf}
}

// Float32 decodes t as float32 values after checking that its dtype is F32
// and its shape is exactly shape (so no arguments means a scalar). The error
// names the expected and the found dtype or shape. To accept any shape, call
// t.Float32(t.Shape...).
func (t Tensor) Float32(shape ...int) ([]float32, error) {
	if t.DType != "F32" {
		return nil, fmt.Errorf("safetensors: dtype %s, want F32", quote(t.DType))
	}
	if !slices.Equal(t.Shape, shape) {
		return nil, fmt.Errorf("safetensors: shape %s, want %s", shortShape(t.Shape), shortShape(shape))
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	out := make([]float32, len(t.Data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return out, nil
}

// Float32 returns the named tensor decoded as float32 values, checking that
// its dtype is F32 and its shape is exactly shape, as [Tensor.Float32] does.
// A missing tensor yields an error wrapping [ErrNotFound] that names it.
func (f *File) Float32(name string, shape ...int) ([]float32, error) {
	t, ok := f.Tensors[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, quote(name))
	}
	v, err := t.Float32(shape...)
	if err != nil {
		return nil, fmt.Errorf("tensor %s: %w", quote(name), err)
	}
	return v, nil
}

// Names returns the names of the tensors in f, sorted.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.Tensors))
	for name := range f.Tensors {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// quote formats a possibly hostile string for a one-line error message,
// quoted and cut to a readable length.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		// Cut on a rune boundary so that %q does not show a broken rune.
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		return fmt.Sprintf("%q…(%d bytes)", s[:cut], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// shortShape formats a possibly huge shape for an error message.
func shortShape(shape []int) string {
	const max = 8
	if len(shape) > max {
		return fmt.Sprintf("%v…(%d dims)", shape[:max], len(shape))
	}
	return fmt.Sprint(shape)
}
