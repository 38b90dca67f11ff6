package data

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"testing"
)

func TestWriteNPYRoundTrip(t *testing.T) {
	m := Matrix{Rows: 3, Cols: 5, Data: make([]float32, 15)}
	for i := range m.Data {
		m.Data[i] = float32(i) / 14
	}
	var b bytes.Buffer
	if err := WriteNPY(&b, m); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	hlen := int(binary.LittleEndian.Uint16(raw[8:10]))
	if !bytes.HasPrefix(raw, []byte("\x93NUMPY\x01\x00")) || (10+hlen)%64 != 0 || raw[10+hlen-1] != '\n' {
		t.Fatalf("bad header %q", raw[:10+hlen])
	}
	if len(raw) != 10+hlen+4*15 {
		t.Fatalf("file is %d bytes", len(raw))
	}
	p := writeTemp(t, "m.npy", raw)
	s, err := ReadNPY(p, noBin)
	if err != nil {
		t.Fatal(err)
	}
	checkMatrix(t, s.X, 3, 5, m.Data)
	for i := range m.Data {
		if s.X.Data[i] != m.Data[i] {
			t.Fatalf("value %d changed: %v → %v", i, m.Data[i], s.X.Data[i])
		}
	}
}

func TestWriteNPYLarge(t *testing.T) {
	m := Matrix{Rows: 100, Cols: 400, Data: make([]float32, 40000)} // more than one write chunk
	for i := range m.Data {
		m.Data[i] = float32(i%1000) / 999
	}
	var b bytes.Buffer
	if err := WriteNPY(&b, m); err != nil {
		t.Fatal(err)
	}
	s, err := ReadNPY(writeTemp(t, "big.npy", b.Bytes()), noBin)
	if err != nil {
		t.Fatal(err)
	}
	checkMatrix(t, s.X, 100, 400, m.Data)
}

func TestWriteNPYMatchesNumPy(t *testing.T) {
	// np.save(f, np.zeros((2, 3), np.float32)) writes this header.
	want := "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
		strings.Repeat(" ", 58) + "\n"
	var b bytes.Buffer
	if err := WriteNPY(&b, Matrix{Rows: 2, Cols: 3, Data: make([]float32, 6)}); err != nil {
		t.Fatal(err)
	}
	if got := b.String()[:128]; got != want {
		t.Fatalf("header\n%q\nwant\n%q", got, want)
	}
	if err := WriteNPY(&b, Matrix{Rows: 2, Cols: 3, Data: make([]float32, 5)}); err == nil {
		t.Fatal("WriteNPY accepted a matrix with the wrong number of values")
	}
}

func TestReadNPYDtypes(t *testing.T) {
	vals := []float32{0, 0.25, 1, 0.5, 0.75, 0.125}
	f64 := []float64{0, 0.25, 1, 0.5, 0.75, 0.125}
	for _, c := range []struct {
		name string
		b    []byte
		want []float32
	}{
		{"u1", npyBytes(1, npyDict("|u1", false, "(2, 3)"), []byte{0, 51, 255, 102, 1, 254}), scaled([]byte{0, 51, 255, 102, 1, 254})},
		{"b1", npyBytes(1, npyDict("|b1", false, "(2, 3)"), []byte{0, 1, 1, 0, 0, 1}), []float32{0, 1, 1, 0, 0, 1}},
		{"f4", npyBytes(1, npyDict("<f4", false, "(2, 3)"), f32s(false, vals...)), vals},
		{"f4be", npyBytes(1, npyDict(">f4", false, "(2, 3)"), f32s(true, vals...)), vals},
		{"f8", npyBytes(1, npyDict("<f8", false, "(2, 3)"), f64s(false, f64...)), vals},
		{"f8v2", npyBytes(2, npyDict("<f8", false, "(2, 3)"), f64s(false, f64...)), vals},
		{"reordered", npyBytes(1, `{"shape": (2L, 3L), "fortran_order": False, "descr": "<f4"}`, f32s(false, vals...)), vals},
	} {
		p := writeTemp(t, c.name+".npy", c.b)
		s, err := ReadNPY(p, noBin)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		checkMatrix(t, s.X, 2, 3, c.want)
	}
}

func TestReadNPYLimit(t *testing.T) {
	p := writeTemp(t, "l.npy", npyBytes(1, npyDict("|u1", false, "(4, 2)"), []byte{0, 255, 255, 0, 0, 0, 255, 255}))
	s, err := ReadNPY(p, Options{Limit: 2, Binarize: None})
	if err != nil {
		t.Fatal(err)
	}
	checkMatrix(t, s.X, 2, 2, []float32{0, 1, 1, 0})
	// Rows past the limit are not read: an out-of-range value there goes
	// unnoticed.
	p = writeTemp(t, "bad.npy", npyBytes(1, npyDict("<f8", false, "(3, 1)"), f64s(false, 0.5, 1, 7)))
	if s, err := ReadNPY(p, Options{Limit: 2, Binarize: None}); err != nil || s.X.Rows != 2 {
		t.Fatalf("limit 2 before a bad row: %v", err)
	}
	_, err = ReadNPY(p, noBin)
	wantFormatErr(t, err, p, "row 2, column 0: value 7 outside [0,1]")
}

func smallNPY() []byte {
	return npyBytes(1, npyDict("<f4", false, "(2, 2)"), f32s(false, 0, 0.5, 1, 0.25))
}

func TestReadNPYTruncated(t *testing.T) {
	dir := t.TempDir()
	for _, full := range [][]byte{smallNPY(), npyBytes(2, npyDict("|u1", false, "(1, 3)"), []byte{1, 2, 3})} {
		for n := 0; n < len(full); n++ {
			p := writeIn(t, dir, "t.npy", full[:n])
			_, err := ReadNPY(p, noBin)
			wantFormatErr(t, err, p, "")
		}
	}
}

func TestReadNPYRejects(t *testing.T) {
	ok := smallNPY()
	badMagic := append([]byte{}, ok...)
	badMagic[1] = 'X'
	v9 := append([]byte{}, ok...)
	v9[6] = 9
	longHdr := []byte(npyMagic + "\x02\x00\x00\x00\x10\x00") // v2, header length 1 MiB
	longHdr = append(longHdr, make([]byte, 100)...)
	for _, c := range []struct {
		name, substr string
		b            []byte
	}{
		{"empty", "empty file", nil},
		{"badmagic", "bad magic", badMagic},
		{"version", "unsupported npy format version 9.0", v9},
		{"longheader", "header length 1048576 exceeds", longHdr},
		{"fortran", "fortran_order True", npyBytes(1, npyDict("<f4", true, "(2, 2)"), f32s(false, 0, 0, 0, 0))},
		{"3d", "3-D", npyBytes(1, npyDict("<f4", false, "(1, 2, 2)"), f32s(false, 0, 0, 0, 0))},
		{"1d", "1-D", npyBytes(1, npyDict("<f4", false, "(4,)"), f32s(false, 0, 0, 0, 0))},
		{"0d", "0-D", npyBytes(1, npyDict("<f4", false, "()"), f32s(false, 0))},
		{"i4", `unsupported dtype "<i4"`, npyBytes(1, npyDict("<i4", false, "(2, 2)"), make([]byte, 16))},
		{"f2", `unsupported dtype "<f2"`, npyBytes(1, npyDict("<f2", false, "(2, 2)"), make([]byte, 8))},
		{"structured", "structured", npyBytes(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1, 1), }", make([]byte, 4))},
		{"nan", "row 1, column 0: value is NaN", npyBytes(1, npyDict("<f4", false, "(2, 1)"), f32s(false, 0.5, float32(nan())))},
		{"inf", "+Inf", npyBytes(1, npyDict("<f8", false, "(1, 1)"), f64s(false, inf()))},
		{"over-one", "value 1.5 outside [0,1]", npyBytes(1, npyDict("<f8", false, "(1, 2)"), f64s(false, 0, 1.5))},
		{"negative", "outside [0,1]", npyBytes(1, npyDict("<f4", false, "(1, 1)"), f32s(false, -0.5))},
		{"bool2", "not 0 or 1", npyBytes(1, npyDict("|b1", false, "(1, 2)"), []byte{1, 2})},
		{"zero-rows", "dimension 0 is 0", npyBytes(1, npyDict("<f4", false, "(0, 3)"), nil)},
		{"trailing", "trailing", append(smallNPY(), 0)},
		{"missing-key", "missing key", npyBytes(1, "{'descr': '<f4', 'shape': (1, 1), }", make([]byte, 4))},
		{"extra-key", "unexpected key", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), 'x': 1}", make([]byte, 4))},
		{"garbage-header", "npy header", npyBytes(1, "not a dict", nil)},
	} {
		p := writeTemp(t, c.name+".npy", c.b)
		_, err := ReadNPY(p, noBin)
		wantFormatErr(t, err, p, c.substr)
	}
}

func TestReadNPYHugeHeader(t *testing.T) {
	for _, c := range []struct{ shape, substr string }{
		{"(1000000000000, 784)", "more than"},
		{"(99999999999999999999, 1)", "too large"},
		{"(1048576, 1024)", "truncated"},
	} {
		p := writeTemp(t, "huge.npy", npyBytes(1, npyDict("<f4", false, c.shape), make([]byte, 64)))
		var err error
		a := allocated(func() { _, err = ReadNPY(p, noBin) })
		wantFormatErr(t, err, p, c.substr)
		if a > 1<<20 {
			t.Errorf("%s: allocated %d bytes", c.shape, a)
		}
	}
}

func TestReadNPYMissingFile(t *testing.T) {
	_, err := ReadNPY("/nonexistent/x.npy", noBin)
	if !os.IsNotExist(err) {
		t.Fatalf("missing file: %v", err)
	}
}
