package data

import (
	"crypto/rand"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"
)

// smallIDX is a valid 3×2×2 unsigned-byte image file.
var smallIDXPayload = []byte{0, 255, 51, 102, 255, 0, 0, 0, 127, 128, 1, 254}

func smallIDX() []byte { return idxBytes(idxU8, []uint32{3, 2, 2}, smallIDXPayload) }

func scaled(b []byte) []float32 {
	out := make([]float32, len(b))
	for i, v := range b {
		out[i] = float32(v) / 255
	}
	return out
}

func TestReadIDXPlainAndGzip(t *testing.T) {
	for _, c := range []struct {
		name string
		b    []byte
	}{
		{"images-idx3-ubyte", smallIDX()},
		{"images-idx3-ubyte.gz", gz(smallIDX())},
		{"noext", gz(smallIDX())}, // gzip found by magic, not name
	} {
		p := writeTemp(t, c.name, c.b)
		s, err := ReadIDX(p, noBin)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		checkMatrix(t, s.X, 3, 4, scaled(smallIDXPayload))
		if s.Labels != nil || s.Name != p {
			t.Errorf("%s: labels %v name %q", c.name, s.Labels, s.Name)
		}
	}
}

func TestReadIDX2DAndFloats(t *testing.T) {
	vals := []float32{0, 0.25, 0.5, 1, 0.125, 0.75}
	f64 := make([]float64, len(vals))
	for i, v := range vals {
		f64[i] = float64(v)
	}
	for _, c := range []struct {
		name string
		b    []byte
		want []float32
	}{
		{"u8-idx2", idxBytes(idxU8, []uint32{2, 3}, []byte{0, 51, 102, 153, 204, 255}), scaled([]byte{0, 51, 102, 153, 204, 255})},
		{"f32.idx", idxBytes(idxF32, []uint32{2, 3}, f32s(true, vals...)), vals},
		{"f64.idx", idxBytes(idxF64, []uint32{2, 3}, f64s(true, f64...)), vals},
		{"f32.idx.gz", gz(idxBytes(idxF32, []uint32{2, 3}, f32s(true, vals...))), vals},
	} {
		p := writeTemp(t, c.name, c.b)
		s, err := ReadIDX(p, noBin)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		checkMatrix(t, s.X, 2, 3, c.want)
	}
}

func TestReadIDXLimit(t *testing.T) {
	payload := make([]byte, 5*4)
	for i := range payload {
		payload[i] = byte(10 * i)
	}
	full := idxBytes(idxU8, []uint32{5, 4}, payload)
	for _, name := range []string{"x.idx", "x.idx.gz"} {
		b := full
		if strings.HasSuffix(name, ".gz") {
			b = gz(full)
		}
		p := writeTemp(t, name, b)
		s, err := ReadIDX(p, Options{Limit: 2, Binarize: None})
		if err != nil {
			t.Fatal(err)
		}
		checkMatrix(t, s.X, 2, 4, scaled(payload[:8]))
		s, err = ReadIDX(p, Options{Limit: 99, Binarize: None})
		if err != nil || s.X.Rows != 5 {
			t.Fatalf("limit beyond rows: %v, %+v", err, s)
		}
	}
	// Rows past the limit are not read: a NaN there goes unnoticed.
	pf := writeTemp(t, "nan.idx", idxBytes(idxF32, []uint32{3, 1}, f32s(true, 0.5, 1, float32(nan()))))
	if s, err := ReadIDX(pf, Options{Limit: 2, Binarize: None}); err != nil || s.X.Rows != 2 {
		t.Fatalf("limit 2 before a bad row: %v", err)
	}
	if _, err := ReadIDX(pf, noBin); err == nil {
		t.Fatal("NaN in the last row not detected")
	}
	// A gzip stream cut after the first rows still yields those rows: the
	// reader decompresses no further than it needs.
	z := gz(full)
	head := z[:len(z)-8] // drop CRC and size: full read must fail
	p := writeTemp(t, "cut.idx.gz", head)
	if _, err := ReadIDX(p, noBin); err == nil {
		t.Fatal("gzip stream without trailer read without error")
	}
	if s, err := ReadIDX(p, Options{Limit: 3, Binarize: None}); err != nil || s.X.Rows != 3 {
		t.Fatalf("limited read of cut gzip: %v", err)
	}
}

func TestReadIDXLabels(t *testing.T) {
	lab := idxBytes(idxU8, []uint32{4}, []byte{3, 1, 4, 1})
	for _, b := range [][]byte{lab, gz(lab)} {
		p := writeTemp(t, "labels-idx1-ubyte", b)
		l, err := ReadIDXLabels(p, 0)
		if err != nil || len(l) != 4 || l[0] != 3 || l[2] != 4 {
			t.Fatalf("labels %v, %v", l, err)
		}
		l, err = ReadIDXLabels(p, 2)
		if err != nil || len(l) != 2 {
			t.Fatalf("limited labels %v, %v", l, err)
		}
		_, err = ReadIDX(p, noBin)
		wantFormatErr(t, err, p, "label file")
	}
	p := writeTemp(t, "img", smallIDX())
	_, err := ReadIDXLabels(p, 0)
	wantFormatErr(t, err, p, "not an IDX label file")
}

func TestReadIDXTruncated(t *testing.T) {
	dir := t.TempDir()
	for _, full := range [][]byte{smallIDX(), gz(smallIDX()), idxBytes(idxF64, []uint32{1, 2}, f64s(true, 0.5, 1))} {
		for n := 0; n < len(full); n++ {
			p := writeIn(t, dir, "t.idx", full[:n])
			s, err := ReadIDX(p, noBin)
			if err == nil {
				t.Fatalf("prefix %d of %d read without error: %+v", n, len(full), s.X)
			}
			wantFormatErr(t, err, p, "")
		}
	}
	lab := idxBytes(idxU8, []uint32{4}, []byte{3, 1, 4, 1})
	for _, full := range [][]byte{lab, gz(lab)} {
		for n := 0; n < len(full); n++ {
			p := writeIn(t, dir, "l.idx", full[:n])
			_, err := ReadIDXLabels(p, 0)
			wantFormatErr(t, err, p, "")
		}
	}
}

func TestReadIDXRejects(t *testing.T) {
	plain := smallIDX()
	trailing := append(append([]byte{}, plain...), 7)
	badMagic := append([]byte{}, plain...)
	badMagic[0] = 1
	zeroDim := idxBytes(idxU8, []uint32{0, 4}, nil)
	for _, c := range []struct {
		name, substr string
		b            []byte
	}{
		{"empty", "empty file", nil},
		{"badmagic", "bad magic", badMagic},
		{"text", "bad magic", []byte("hello, world\n")},
		{"unknown-type", "unknown IDX value type", idxBytes(0x42, []uint32{1, 1}, []byte{0})},
		{"int32", "unsupported IDX value type", idxBytes(idxI32, []uint32{1, 1}, []byte{0, 0, 0, 0})},
		{"4d", "4 dimensions", idxBytes(idxU8, []uint32{1, 1, 1, 1}, []byte{0})},
		{"0d", "0 dimensions", idxBytes(idxU8, nil, nil)},
		{"zerodim", "dimension 0 is 0", zeroDim},
		{"trailing", "trailing", trailing},
		{"trailing.gz", "trailing data", gz(trailing)},
		{"f32-over-one", "row 1, column 0: value 1.5 outside [0,1]", idxBytes(idxF32, []uint32{2, 1}, f32s(true, 0.5, 1.5))},
		{"f32-negative", "outside [0,1]", idxBytes(idxF32, []uint32{1, 1}, f32s(true, -0.25))},
		{"f64-nan", "NaN", idxBytes(idxF64, []uint32{1, 2}, f64s(true, 0, nan()))},
		{"f64-inf", "+Inf", idxBytes(idxF64, []uint32{1, 1}, f64s(true, inf()))},
		{"corrupt.gz", "", corruptGzip(plain)},
	} {
		p := writeTemp(t, c.name, c.b)
		_, err := ReadIDX(p, noBin)
		wantFormatErr(t, err, p, c.substr)
	}
}

func corruptGzip(b []byte) []byte {
	z := gz(b)
	z[len(z)-6] ^= 0xff // CRC
	return z
}

func TestReadIDXHugeHeader(t *testing.T) {
	// Random bytes do not compress: a gzip file that really holds ~200 KB
	// of a payload its header says is 100 MB (within deflate's ratio bound).
	junk := make([]byte, 200_000)
	rand.Read(junk)
	cases := []struct {
		name, substr string
		b            []byte
	}{
		{"4e9x28x28", "more than", idxBytes(idxU8, []uint32{0xFFFFFFFF, 28, 28}, nil)},
		{"huge-product", "more than", idxBytes(idxF64, []uint32{0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, nil)},
		{"1e6x1024", "truncated", idxBytes(idxU8, []uint32{1 << 20, 1 << 10}, make([]byte, 100))},
		{"ratio.gz", "can hold at most", gz(idxBytes(idxF64, []uint32{1 << 20, 1 << 10}, make([]byte, 100)))},
		{"liar.gz", "truncated", gz(idxBytes(idxU8, []uint32{100_000, 1000}, junk))},
	}
	for _, c := range cases {
		p := writeTemp(t, c.name, c.b)
		var err error
		start := time.Now()
		a := allocated(func() { _, err = ReadIDX(p, noBin) })
		wantFormatErr(t, err, p, c.substr)
		if a > 32<<20 {
			t.Errorf("%s: allocated %d bytes for a lying header", c.name, a)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: took %v", c.name, d)
		}
	}
}

func TestReadIDXMissingFile(t *testing.T) {
	_, err := ReadIDX("/nonexistent/x.idx", noBin)
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/x.idx") {
		t.Fatalf("missing file: %v", err)
	}
}

// TestReadIDXRandomCorruption flips bytes of valid files; reading must
// fail cleanly or succeed with valid values, never panic.
func TestReadIDXRandomCorruption(t *testing.T) {
	r := mrand.New(mrand.NewPCG(1, 2))
	dir := t.TempDir()
	for _, full := range [][]byte{smallIDX(), gz(smallIDX())} {
		for i := 0; i < 300; i++ {
			b := append([]byte{}, full...)
			b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
			p := writeIn(t, dir, "c", b)
			if s, err := ReadIDX(p, noBin); err == nil {
				checkValid(t, s)
			}
		}
	}
}

// checkValid checks a successfully read set's invariants.
func checkValid(t testing.TB, s *Set) {
	t.Helper()
	if s.X.Rows <= 0 || s.X.Cols <= 0 || len(s.X.Data) != s.X.Rows*s.X.Cols {
		t.Fatalf("bad shape %d×%d with %d values", s.X.Rows, s.X.Cols, len(s.X.Data))
	}
	if s.Labels != nil && len(s.Labels) != s.X.Rows {
		t.Fatalf("%d labels for %d rows", len(s.Labels), s.X.Rows)
	}
	for i, x := range s.X.Data {
		if !(x >= 0 && x <= 1) {
			t.Fatalf("value %d = %v outside [0,1]", i, x)
		}
	}
}
