package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// idxBytes builds an IDX file of value type typ with the given dimensions
// and raw payload.
func idxBytes(typ byte, dims []uint32, payload []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, typ, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(payload)
	return b.Bytes()
}

// gz compresses b with gzip.
func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// npyBytes builds a .npy file with the given header dictionary text and
// payload; version 1 or 2.
func npyBytes(version byte, dict string, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.Write([]byte{version, 0})
	pre := 10
	if version != 1 {
		pre = 12
	}
	n := pre + len(dict) + 1
	h := dict + strings.Repeat(" ", (64-n%64)%64) + "\n"
	if version == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(len(h)))
	}
	b.WriteString(h)
	b.Write(payload)
	return b.Bytes()
}

// npyDict returns a header dictionary.
func npyDict(descr string, fortran bool, shape string) string {
	f := "False"
	if fortran {
		f = "True"
	}
	return fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, f, shape)
}

// f32le encodes float32 values little-endian (big-endian when big).
func f32s(big bool, xs ...float32) []byte {
	var b bytes.Buffer
	var o binary.ByteOrder = binary.LittleEndian
	if big {
		o = binary.BigEndian
	}
	for _, x := range xs {
		binary.Write(&b, o, math.Float32bits(x))
	}
	return b.Bytes()
}

// f64s encodes float64 values.
func f64s(big bool, xs ...float64) []byte {
	var b bytes.Buffer
	var o binary.ByteOrder = binary.LittleEndian
	if big {
		o = binary.BigEndian
	}
	for _, x := range xs {
		binary.Write(&b, o, math.Float64bits(x))
	}
	return b.Bytes()
}

// writeTemp writes b to a file called name in a fresh temporary directory.
func writeTemp(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeIn writes b to dir/name, replacing any file there.
func writeIn(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantFormatErr checks that err is a format error naming path and, when
// substr is not empty, containing substr.
func wantFormatErr(t testing.TB, err error, path, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want one containing %q", path, substr)
	}
	if !errors.Is(err, ErrFormat) {
		t.Fatalf("%s: error %q does not wrap ErrFormat", path, err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Fatalf("error %q does not name the file %s", err, path)
	}
	if substr != "" && !strings.Contains(err.Error(), substr) {
		t.Fatalf("error %q does not contain %q", err, substr)
	}
}

// checkMatrix compares m with want (row-major) within 1e-6.
func checkMatrix(t testing.TB, m Matrix, rows, cols int, want []float32) {
	t.Helper()
	if m.Rows != rows || m.Cols != cols || len(m.Data) != rows*cols {
		t.Fatalf("matrix %d×%d with %d values, want %d×%d", m.Rows, m.Cols, len(m.Data), rows, cols)
	}
	for i, w := range want {
		if d := m.Data[i] - w; d > 1e-6 || d < -1e-6 {
			t.Fatalf("value %d (row %d, col %d) = %v, want %v", i, i/cols, i%cols, m.Data[i], w)
		}
	}
}

// allocated runs f and returns the bytes it allocated.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

var noBin = Options{Binarize: None}

func nan() float64 { return math.NaN() }
func inf() float64 { return math.Inf(1) }
