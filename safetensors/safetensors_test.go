package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// build assembles a file from a header string and a byte buffer of bufLen
// zero bytes, with the header length field set to len(header).
func build(header string, bufLen int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, bufLen)...)
}

func readBytes(b []byte, lim Limits) (*File, error) {
	return Read(bytes.NewReader(b), int64(len(b)), lim)
}

func writeBytes(t testing.TB, f *File) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, f); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

// filesEqual compares two Files, treating nil and empty maps, shapes and
// data alike.
func filesEqual(a, b *File) bool {
	if len(a.Metadata) != len(b.Metadata) || len(a.Tensors) != len(b.Tensors) {
		return false
	}
	for k, v := range a.Metadata {
		if w, ok := b.Metadata[k]; !ok || w != v {
			return false
		}
	}
	for name, ta := range a.Tensors {
		tb, ok := b.Tensors[name]
		if !ok || ta.DType != tb.DType || !slices.Equal(ta.Shape, tb.Shape) || !bytes.Equal(ta.Data, tb.Data) {
			return false
		}
	}
	return true
}

func sampleFile() *File {
	bf16 := Tensor{DType: "BF16", Shape: []int{3}, Data: []byte{0x80, 0x3f, 0x00, 0x40, 0x40, 0x40}}
	return &File{
		Metadata: map[string]string{
			"format":  "pt",
			"note":    "quote \" backslash \\ newline \n tab \t ctl \x01 unicode é✓ <&>",
			"empty":   "",
			"ключ":    "значение",
			"__other": "x",
		},
		Tensors: map[string]Tensor{
			"weight":       FromFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6.5}),
			"bias":         FromFloat32([]int{3}, []float32{-1, 0, float32(math.Inf(1))}),
			"scalar":       {DType: "F64", Shape: nil, Data: binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.Pi))},
			"steps":        {DType: "I64", Shape: []int{2}, Data: binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, 7), 1<<40)},
			"mask":         {DType: "BOOL", Shape: []int{1, 3}, Data: []byte{1, 0, 1}},
			"bytes":        {DType: "U8", Shape: []int{5}, Data: []byte("hello")},
			"half":         bf16,
			"empty":        {DType: "F32", Shape: []int{0, 4}, Data: nil},
			"odd \"name\"": {DType: "I32", Shape: []int{1}, Data: []byte{1, 2, 3, 4}},
			"nibbles":      {DType: "F4", Shape: []int{2, 3}, Data: []byte{0x12, 0x34, 0x56}},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	want := sampleFile()
	b := writeBytes(t, want)
	n := binary.LittleEndian.Uint64(b)
	if n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	if b[8] != '{' {
		t.Errorf("header starts with %q, want '{'", b[8])
	}
	got, err := readBytes(b, Limits{})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if !filesEqual(got, want) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v", got, want)
	}
	w, err := got.Float32("weight", 2, 3)
	if err != nil || !slices.Equal(w, []float32{1, 2, 3, 4, 5, 6.5}) {
		t.Errorf("Float32(weight) = %v, %v", w, err)
	}
	// Writing what was read gives the same bytes again.
	if b2 := writeBytes(t, got); !bytes.Equal(b, b2) {
		t.Error("re-written file differs")
	}
}

func TestWriteLayout(t *testing.T) {
	b := writeBytes(t, sampleFile())
	n := binary.LittleEndian.Uint64(b)
	header := string(b[8 : 8+n])
	// Larger elements first, then by name: scalar (F64), steps (I64), the
	// F32 and I32 tensors, half (BF16), the byte-sized ones, nibbles (F4).
	order := []string{`"scalar"`, `"steps"`, `"bias"`, `"empty"`, `"odd \"name\""`, `"weight"`, `"half"`, `"bytes"`, `"mask"`, `"nibbles"`}
	last := -1
	for _, name := range order {
		i := strings.Index(header, name+`:{"dtype"`)
		if i < last {
			t.Fatalf("tensor %s out of order in header %s", name, header)
		}
		last = i
	}
	if !strings.HasPrefix(header, `{"__metadata__":{"__other":"x","empty":"",`) {
		t.Errorf("metadata not first or not sorted: %s", header)
	}
}

func TestGoldenBytes(t *testing.T) {
	// The exact bytes the official library writes for
	// save_file({"b": tensor([1., 2.]), "a": tensor([7], dtype=int64)}, metadata={"format": "pt"}).
	f := &File{
		Metadata: map[string]string{"format": "pt"},
		Tensors: map[string]Tensor{
			"b": FromFloat32([]int{2}, []float32{1, 2}),
			"a": {DType: "I64", Shape: []int{1}, Data: []byte{7, 0, 0, 0, 0, 0, 0, 0}},
		},
	}
	header := `{"__metadata__":{"format":"pt"},"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`
	for len(header)%8 != 0 {
		header += " "
	}
	want := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	want = append(want, header...)
	want = append(want, 7, 0, 0, 0, 0, 0, 0, 0)
	want = append(want, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40)
	if got := writeBytes(t, f); !bytes.Equal(got, want) {
		t.Fatalf("Write =\n%q\nwant\n%q", got, want)
	}
	empty := writeBytes(t, &File{})
	if !bytes.Equal(empty, append(binary.LittleEndian.AppendUint64(nil, 8), "{}      "...)) {
		t.Errorf("empty file = %q", empty)
	}
	if f, err := readBytes(empty, Limits{}); err != nil || len(f.Tensors) != 0 || f.Metadata != nil {
		t.Errorf("reading empty file: %+v, %v", f, err)
	}
}

func TestHandWritten(t *testing.T) {
	// Not padded, not in offset order, scalar shape, an unknown field, escapes.
	header := `{ "w" : {"dtype":"F32", "shape":[2, 2], "data_offsets":[4,20], "extra": {"x":[1,{}]}},` +
		` "__metadata__": {"k": "v\u00e9\n"},` +
		"\t\"s\":{\"data_offsets\":[0,4],\"shape\":[],\"dtype\":\"F32\"} }\n"
	var data []byte
	for _, v := range []float32{42, 1, 2, 3, 4} {
		data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	b = append(b, data...)
	f, err := readBytes(b, Limits{})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if f.Metadata["k"] != "vé\n" || len(f.Metadata) != 1 {
		t.Errorf("metadata = %q", f.Metadata)
	}
	w, err := f.Float32("w", 2, 2)
	if err != nil || !slices.Equal(w, []float32{1, 2, 3, 4}) {
		t.Errorf("w = %v, %v", w, err)
	}
	s, err := f.Float32("s")
	if err != nil || !slices.Equal(s, []float32{42}) {
		t.Errorf("s = %v, %v", s, err)
	}
	if f.Tensors["s"].Shape != nil {
		t.Errorf("scalar shape = %#v, want nil", f.Tensors["s"].Shape)
	}
	if got := f.Names(); !slices.Equal(got, []string{"s", "w"}) {
		t.Errorf("Names = %q", got)
	}
	// Data slices must not reach into each other.
	if d := f.Tensors["s"].Data; cap(d) != 4 {
		t.Errorf("cap of s data = %d, want 4", cap(d))
	}
}

func TestFloat32Errors(t *testing.T) {
	f := &File{Tensors: map[string]Tensor{
		"w": FromFloat32([]int{2, 3}, make([]float32, 6)),
		"h": {DType: "F16", Shape: []int{2}, Data: make([]byte, 4)},
		"x": {DType: "F32", Shape: []int{2}, Data: make([]byte, 7)},
	}}
	cases := []struct {
		name  string
		shape []int
		want  string
	}{
		{"w", []int{3, 2}, "shape [2 3], want [3 2]"},
		{"w", nil, "shape [2 3], want []"},
		{"w", []int{2, 3, 1}, "want [2 3 1]"},
		{"h", []int{2}, `dtype "F16", want F32`},
		{"x", []int{2}, "needs 8 bytes, data has 7"},
		{"missing", []int{1}, `"missing"`},
	}
	for _, c := range cases {
		_, err := f.Float32(c.name, c.shape...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Float32(%q, %v) error = %v, want it to contain %q", c.name, c.shape, err, c.want)
		}
	}
	if _, err := f.Float32("missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing tensor error %v does not wrap ErrNotFound", err)
	}
	if _, err := f.Float32("w", 2, 3); err != nil {
		t.Errorf("exact shape: %v", err)
	}
	tw := f.Tensors["w"]
	if v, err := tw.Float32(tw.Shape...); err != nil || len(v) != 6 {
		t.Errorf("any shape: %v, %v", v, err)
	}
}

func TestFromFloat32Panics(t *testing.T) {
	for _, shape := range [][]int{{2, 2}, {-1, -3}, {}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("FromFloat32(%v, 3 values) did not panic", shape)
				}
			}()
			FromFloat32(shape, []float32{1, 2, 3})
		}()
	}
	if s := FromFloat32(nil, []float32{5}); s.Shape != nil || len(s.Data) != 4 {
		t.Errorf("scalar = %+v", s)
	}
}

// checkFormatErr fails unless err is a one-line error wrapping ErrFormat.
func checkFormatErr(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	if !errors.Is(err, ErrFormat) {
		t.Errorf("%s: error %v does not wrap ErrFormat", what, err)
	}
	if strings.ContainsAny(err.Error(), "\n\r") {
		t.Errorf("%s: error is not one line: %q", what, err)
	}
}

func TestTruncation(t *testing.T) {
	b := writeBytes(t, sampleFile())
	for i := 0; i < len(b); i++ {
		_, err := readBytes(b[:i], Limits{})
		checkFormatErr(t, fmt.Sprintf("prefix of %d bytes", i), err)
	}
	_, err := readBytes(append(slices.Clip(b), 0), Limits{})
	checkFormatErr(t, "one byte appended", err)
}

func TestReject(t *testing.T) {
	lenOnly := func(n uint64, rest int) []byte {
		return append(binary.LittleEndian.AppendUint64(nil, n), make([]byte, rest)...)
	}
	tensor := func(name, dtype, shape, offsets string) string {
		return `"` + name + `":{"dtype":"` + dtype + `","shape":` + shape + `,"data_offsets":` + offsets + `}`
	}
	a8 := tensor("a", "F32", "[2]", "[0,8]")
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty source", nil, "too short"},
		{"7 bytes", make([]byte, 7), "too short"},
		{"header length larger than file", lenOnly(100, 50), "exceeds"},
		{"header length 2^63", lenOnly(1<<63, 16), "exceeds"},
		{"header length 2^64-1", lenOnly(math.MaxUint64, 16), "exceeds"},
		{"zero header length", lenOnly(0, 0), "start with '{'"},
		{"header not JSON", build("{not json}", 0), "header JSON"},
		{"header truncated JSON", build(`{"a":{"dtype":"F32"`, 0), "header JSON"},
		{"header array", build("[1,2]", 0), "start with '{'"},
		{"header string", build(`"{}"`, 0), "start with '{'"},
		{"header leading space", build(` {}`, 0), "start with '{'"},
		{"header invalid UTF-8", build("{\"\xff\":1}", 0), "UTF-8"},
		{"trailing value", build(`{} {}`, 0), "after the header object"},
		{"trailing garbage", build(`{}x`, 0), "header JSON"},
		{"trailing NUL padding", build("{}\x00\x00", 0), "header JSON"},
		{"tensor not object", build(`{"a":[0,8]}`, 8), "want an object"},
		{"tensor null", build(`{"a":null}`, 8), "want an object"},
		{"negative begin", build("{"+tensor("a", "F32", "[2]", "[-8,0]")+"}", 8), "not an integer in [0,"},
		{"negative end", build("{"+tensor("a", "F32", "[0]", "[0,-0.5]")+"}", 0), "not an integer"},
		{"overflowing offset 1e19", build("{"+tensor("a", "F32", "[2]", "[0,1e19]")+"}", 8), `"1e19" is not an integer`},
		{"overflowing offset 2^64", build("{"+tensor("a", "F32", "[2]", "[0,18446744073709551616]")+"}", 8), "not an integer"},
		{"huge offsets", build("{"+tensor("a", "U8", "[8]", "[9223372036854775799,9223372036854775807]")+"}", 8), "run past"},
		{"fractional offset", build("{"+tensor("a", "F32", "[2]", "[0,8.0]")+"}", 8), "not an integer"},
		{"string offset", build("{"+tensor("a", "F32", "[2]", `[0,"8"]`)+"}", 8), "want an integer"},
		{"one offset", build("{"+tensor("a", "F32", "[2]", "[8]")+"}", 8), "1 values, want 2"},
		{"three offsets", build("{"+tensor("a", "F32", "[2]", "[0,8,8]")+"}", 8), "more than two"},
		{"offsets not array", build("{"+tensor("a", "F32", "[2]", "8")+"}", 8), "want an array"},
		{"begin after end", build("{"+tensor("a", "F32", "[0]", "[8,0]")+"}", 8), "end before"},
		{"offsets outside buffer", build("{"+tensor("a", "F32", "[4]", "[0,16]")+"}", 8), "run past"},
		{"overlap", build("{"+a8+","+tensor("b", "F32", "[2]", "[4,12]")+"}", 12), "overlap"},
		{"duplicate range", build("{"+a8+","+tensor("b", "F32", "[2]", "[0,8]")+"}", 8), "overlap"},
		{"empty tensor inside another", build("{"+a8+","+tensor("b", "F32", "[0]", "[4,4]")+"}", 8), "overlap"},
		{"gap", build("{"+a8+","+tensor("b", "F32", "[2]", "[12,20]")+"}", 20), "gap of 4 bytes between"},
		{"leading gap", build("{"+tensor("a", "F32", "[2]", "[4,12]")+"}", 12), "gap of 4 bytes before"},
		{"trailing bytes", build("{"+a8+"}", 9), "cover 8 bytes, but the buffer holds 9"},
		{"bytes but no tensors", build("{}", 1), "cover 0 bytes"},
		{"wrong size for dtype×shape", build("{"+tensor("a", "F32", "[3]", "[0,8]")+"}", 8), "needs 12"},
		{"wrong size for F16", build("{"+tensor("a", "F16", "[2,2]", "[0,4]")+"}", 4), "needs 8"},
		{"sub-byte not whole bytes", build("{"+tensor("a", "F4", "[3]", "[0,1]")+"}", 1), "whole number of bytes"},
		{"unknown dtype", build("{"+tensor("a", "F33", "[2]", "[0,8]")+"}", 8), `unknown dtype "F33"`},
		{"lower-case dtype", build("{"+tensor("a", "f32", "[2]", "[0,8]")+"}", 8), "unknown dtype"},
		{"dtype not string", build(`{"a":{"dtype":4,"shape":[2],"data_offsets":[0,8]}}`, 8), "dtype is a number"},
		{"negative dim", build("{"+tensor("a", "F32", "[-2]", "[0,8]")+"}", 8), "not an integer in [0,"},
		{"shape not array", build("{"+tensor("a", "F32", "2", "[0,8]")+"}", 8), "want an array"},
		{"shape product overflows", build("{"+tensor("a", "F32", "[4294967296,4294967296,4]", "[0,8]")+"}", 8), "overflows"},
		{"shape product overflows before zero", build("{"+tensor("a", "F32", "[9223372036854775807,2,0]", "[0,0]")+"}", 0), "overflows"},
		{"byte size overflows", build("{"+tensor("a", "F64", "[2305843009213693952]", "[0,8]")+"}", 8), "overflows"},
		{"missing dtype", build(`{"a":{"shape":[2],"data_offsets":[0,8]}}`, 8), "missing dtype"},
		{"missing shape", build(`{"a":{"dtype":"F32","data_offsets":[0,8]}}`, 8), "missing shape"},
		{"missing offsets", build(`{"a":{"dtype":"F32","shape":[2]}}`, 8), "missing data_offsets"},
		{"duplicate field", build(`{"a":{"dtype":"F32","shape":[2],"shape":[2],"data_offsets":[0,8]}}`, 8), `duplicate field "shape"`},
		{"metadata non-string", build(`{"__metadata__":{"k":1}}`, 0), `value of "k" is a number`},
		{"metadata null value", build(`{"__metadata__":{"k":null}}`, 0), "is null"},
		{"metadata nested", build(`{"__metadata__":{"k":{}}}`, 0), "is an object"},
		{"metadata not object", build(`{"__metadata__":"x"}`, 0), "want an object of strings"},
		{"metadata duplicate key", build(`{"__metadata__":{"k":"a","k":"b"}}`, 0), `duplicate key "k"`},
		{"duplicate metadata", build(`{"__metadata__":{},"__metadata__":{}}`, 0), `duplicate key "__metadata__"`},
		{"duplicate tensor name", build("{"+a8+","+tensor("a", "F32", "[2]", "[8,16]")+"}", 16), `duplicate key "a"`},
		{"duplicate name via escape", build("{"+a8+","+tensor(`\u0061`, "F32", "[2]", "[8,16]")+"}", 16), `duplicate key "a"`},
		{"huge name in error", build("{"+tensor(strings.Repeat("n", 1000), "X", "[2]", "[0,8]")+"}", 8), "…(1000 bytes)"},
	}
	for _, c := range cases {
		_, err := readBytes(c.data, Limits{})
		checkFormatErr(t, c.name, err)
		if err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not contain %q", c.name, err, c.want)
		}
	}
}

func TestLimits(t *testing.T) {
	b := writeBytes(t, sampleFile())
	n := int64(binary.LittleEndian.Uint64(b))
	bufLen := int64(len(b)) - 8 - n
	if _, err := readBytes(b, Limits{MaxHeader: n, MaxTotal: bufLen}); err != nil {
		t.Errorf("at the limits: %v", err)
	}
	_, err := readBytes(b, Limits{MaxHeader: n - 1})
	checkFormatErr(t, "MaxHeader", err)
	_, err = readBytes(b, Limits{MaxTotal: bufLen - 1})
	checkFormatErr(t, "MaxTotal", err)
	big := lenOnlyFile(DefaultMaxHeader + 1)
	_, err = Read(big, big.size, Limits{})
	checkFormatErr(t, "default MaxHeader", err)
	if err != nil && !strings.Contains(err.Error(), "limit") {
		t.Errorf("default MaxHeader error %q", err)
	}
	if big.maxRead > 8 {
		t.Errorf("read %d bytes of an over-limit header", big.maxRead)
	}
}

// sparseFile is a ReaderAt that claims a large size, holds only a header
// length, and records the largest read asked of it.
type sparseFile struct {
	size    int64
	head    []byte
	maxRead int
}

func lenOnlyFile(n uint64) *sparseFile {
	return &sparseFile{size: int64(n) + 8, head: binary.LittleEndian.AppendUint64(nil, n)}
}

func (s *sparseFile) ReadAt(p []byte, off int64) (int, error) {
	s.maxRead = max(s.maxRead, len(p))
	if off >= s.size {
		return 0, io.EOF
	}
	n := copy(p, s.head[min(off, int64(len(s.head))):])
	clear(p[n:])
	return len(p), nil
}

type failingReader struct{}

func (failingReader) ReadAt(p []byte, off int64) (int, error) { return 0, errors.New("disk on fire") }

func TestReaderErrors(t *testing.T) {
	_, err := Read(failingReader{}, 100, Limits{})
	if err == nil || errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("I/O error reported as %v", err)
	}
	// A source shorter than the size it is said to have: the short read is
	// an I/O error.
	b := writeBytes(t, sampleFile())
	_, err = Read(bytes.NewReader(b[:len(b)-1]), int64(len(b)), Limits{})
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short source: %v", err)
	}
}

func TestWriteRejects(t *testing.T) {
	cases := []struct {
		name string
		f    *File
		want string
	}{
		{"nil file", nil, "nil"},
		{"unknown dtype", &File{Tensors: map[string]Tensor{"a": {DType: "F128", Data: make([]byte, 16)}}}, "unknown dtype"},
		{"short data", &File{Tensors: map[string]Tensor{"a": {DType: "F32", Shape: []int{2}, Data: make([]byte, 7)}}}, "needs 8 bytes"},
		{"negative dim", &File{Tensors: map[string]Tensor{"a": {DType: "F32", Shape: []int{-1}}}}, "negative"},
		{"reserved name", &File{Tensors: map[string]Tensor{"__metadata__": FromFloat32(nil, []float32{1})}}, "__metadata__"},
		{"bad UTF-8 name", &File{Tensors: map[string]Tensor{"\xff": FromFloat32(nil, []float32{1})}}, "UTF-8"},
		{"bad UTF-8 metadata", &File{Metadata: map[string]string{"k": "\xfe"}}, "UTF-8"},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		err := Write(&buf, c.f)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes before failing", c.name, buf.Len())
		}
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	want := sampleFile()
	if err := WriteFile(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !filesEqual(got, want) {
		t.Error("file round trip differs")
	}
	// A failed write leaves the old file alone.
	bad := &File{Tensors: map[string]Tensor{"a": {DType: "F32", Shape: []int{2}}}}
	if err := WriteFile(path, bad); err == nil || !strings.HasPrefix(err.Error(), path+": ") {
		t.Errorf("WriteFile of invalid file: %v", err)
	}
	if got, err := ReadFile(path, Limits{}); err != nil || !filesEqual(got, want) {
		t.Errorf("old file damaged: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries, want 1", len(ents))
	}
	// Errors name the path.
	if err := os.WriteFile(path, []byte("garbage!garbage!"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadFile(path, Limits{})
	if !errors.Is(err, ErrFormat) || !strings.HasPrefix(err.Error(), path+": ") {
		t.Errorf("ReadFile of garbage: %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "nope"), Limits{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile of missing file: %v", err)
	}
	if _, err := ReadFile(dir, Limits{}); err == nil {
		t.Error("ReadFile of a directory: no error")
	}
}

func TestDTypeBitsAndNumElements(t *testing.T) {
	for dtype, want := range map[string]int{"F32": 32, "BF16": 16, "BOOL": 8, "I64": 64, "F4": 4} {
		if got, ok := DTypeBits(dtype); !ok || got != want {
			t.Errorf("DTypeBits(%s) = %d, %v", dtype, got, ok)
		}
	}
	if _, ok := DTypeBits("F128"); ok {
		t.Error("DTypeBits(F128) ok")
	}
	if n, err := (Tensor{Shape: []int{2, 3, 4}}).NumElements(); n != 24 || err != nil {
		t.Errorf("NumElements = %d, %v", n, err)
	}
	if n, err := (Tensor{}).NumElements(); n != 1 || err != nil {
		t.Errorf("scalar NumElements = %d, %v", n, err)
	}
	if _, err := (Tensor{Shape: []int{1 << 62, 4}}).NumElements(); err == nil {
		t.Error("overflow not reported")
	}
}

func TestNameEscapes(t *testing.T) {
	// Every control character, quotes and backslashes survive a round trip.
	var name []byte
	for c := 0; c < 0x20; c++ {
		name = append(name, byte(c))
	}
	name = append(name, `"\/<>&`+"\u2028é\x7f"...)
	f := &File{
		Metadata: map[string]string{string(name): string(name)},
		Tensors:  map[string]Tensor{string(name): FromFloat32([]int{1}, []float32{1})},
	}
	got, err := readBytes(writeBytes(t, f), Limits{})
	if err != nil || !filesEqual(got, f) {
		t.Fatalf("escaped names do not round trip: %v", err)
	}
}
