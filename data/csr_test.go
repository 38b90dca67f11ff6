package data

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boltzgo/boltz/internal/floats"
)

// npzMember is one array of a test npz archive: its dtype, shape text and
// raw little-endian payload.
type npzMember struct {
	name, descr, shape string
	payload            []byte
}

// npzBytes builds an npz archive as scipy.sparse.save_npz writes one
// (deflate when compress), from members in order.
func npzBytes(t testing.TB, compress bool, members ...npzMember) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	method := zip.Store
	if compress {
		method = zip.Deflate
	}
	for _, m := range members {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(npyBytes(1, npyDict(m.descr, false, m.shape), m.payload))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func le32(xs ...int32) []byte {
	b := make([]byte, 0, 4*len(xs))
	for _, x := range xs {
		b = append(b, byte(x), byte(x>>8), byte(x>>16), byte(x>>24))
	}
	return b
}

func le64(xs ...int64) []byte {
	b := make([]byte, 0, 8*len(xs))
	for _, x := range xs {
		for k := 0; k < 8; k++ {
			b = append(b, byte(x>>(8*k)))
		}
	}
	return b
}

// csrMembers are the five arrays of a CSR matrix with int32 offsets and
// indices and float32 values.
func csrMembers(rows, cols int, indptr, indices []int32, vals []float32) []npzMember {
	n := len(indices)
	return []npzMember{
		{"indices.npy", "<i4", fmt.Sprintf("(%d,)", n), le32(indices...)},
		{"indptr.npy", "<i4", fmt.Sprintf("(%d,)", len(indptr)), le32(indptr...)},
		{"format.npy", "|S3", "()", []byte("csr")},
		{"shape.npy", "<i8", "(2,)", le64(int64(rows), int64(cols))},
		{"data.npy", "<f4", fmt.Sprintf("(%d,)", len(vals)), f32s(false, vals...)},
	}
}

// The small matrix of the tests, dense:
//
//	0    0.5  0  1
//	0    0    0  0
//	0.25 0    1  0
var (
	smallDense   = []float32{0, 0.5, 0, 1, 0, 0, 0, 0, 0.25, 0, 1, 0}
	smallIndptr  = []int32{0, 2, 2, 4}
	smallIndices = []int32{1, 3, 0, 2}
	smallVals    = []float32{0.5, 1, 0.25, 1}
	smallSVM     = "3 2:0.5 4:1\n-1\n# a comment line\n\n7 1:0.25 3:1 # trailing comment\n"
)

func TestSVMLightReads(t *testing.T) {
	p := writeTemp(t, "s.svm", []byte(smallSVM))
	c, err := ReadSVMLight(p, 0, noBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	checkMatrix(t, c.Dense(), 3, 4, smallDense)
	if fmt.Sprint(c.Labels) != "[3 -1 7]" || c.NNZ() != 4 {
		t.Fatalf("labels %v, %d nonzeros", c.Labels, c.NNZ())
	}
	// A stated width pads the rows; qid is skipped.
	p2 := writeTemp(t, "q.svm", []byte("1 qid:4 2:1\n0.5 qid:4 1:1\n"))
	c, err = ReadSVMLight(p2, 6, noBin)
	if err != nil {
		t.Fatal(err)
	}
	checkMatrix(t, c.Dense(), 2, 6, []float32{0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0})
	if c.Values != nil || c.Labels != nil {
		t.Fatalf("all-ones values kept (%v) or non-integer labels kept (%v)", c.Values, c.Labels)
	}
	// The limit stops reading: a bad line after it is not seen.
	p3 := writeTemp(t, "l.svm", []byte("1 1:1\n1 2:1\nbad\n"))
	if c, err = ReadSVMLight(p3, 0, Options{Limit: 2}); err != nil || c.Rows != 2 {
		t.Fatalf("limit 2: %v, %+v", err, c)
	}
}

func TestSVMLightErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"1 2:1 1:1\n", "line 1: indices are not increasing (1 after 2)"},
		{"1 1:1\n1 2:1 2:0.5\n", "line 2: index 2 is repeated"},
		{"1 0:1\n", "line 1: index 0: indices are 1-based"},
		{"1 9:1\n", "line 1: index 9 is beyond the width 4"},
		{"1 1:1.5\n", "line 1: index 1: value 1.5 outside [0,1]"},
		{"1 1:-0.1\n", "value -0.1 outside [0,1]"},
		{"1 1:nan\n", "value is NaN"},
		{"1 1:1e999\n", "value is +Inf"},
		{"1 1:x\n", `value "x" of index 1 is not a number`},
		{"1:1 2:1\n", "line 1: the label is missing"},
		{"1,2 1:1\n", "multi-label"},
		{"abc 1:1\n", `label "abc" is not a number`},
		{"1 1\n", `token "1" is not index:value`},
		{"1 -3:1\n", "not a positive integer"},
		{"1 1:1 qid:3\n", "qid must come right after the label"},
		{"1 99999999999:1\n", "index 99999999999 is beyond"},
		{"# only a comment\n\n", "no rows"},
		{"1\n0\n", "the width is unknown"},
	} {
		p := writeTemp(t, "bad.svm", []byte(tc.text))
		_, err := ReadSVMLight(p, 4*b2i(strings.Contains(tc.want, "width 4")), noBin)
		wantFormatErr(t, err, p, tc.want)
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("error %q spans lines", err)
		}
	}
	if !testing.Short() { // 64 MiB of text, slow under the race detector
		long := append([]byte("1 "), bytes.Repeat([]byte(" "), MaxSVMLightLine)...)
		p := writeTemp(t, "long.svm", long)
		_, err := ReadSVMLight(p, 0, noBin)
		wantFormatErr(t, err, p, "line 1 is longer than")
	}
	p := writeTemp(t, "ok.svm", []byte("1 1:1\n"))
	if _, err := ReadSVMLight(p, -1, noBin); err == nil || !strings.Contains(err.Error(), "width -1") {
		t.Fatalf("width -1: %v", err)
	}
}

func TestNPZReads(t *testing.T) {
	for _, compress := range []bool{false, true} {
		p := writeTemp(t, "s.npz", npzBytes(t, compress, csrMembers(3, 4, smallIndptr, smallIndices, smallVals)...))
		c, err := ReadNPZ(p, noBin)
		if err != nil {
			t.Fatal(err)
		}
		checkMatrix(t, c.Dense(), 3, 4, smallDense)
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		c, err = ReadNPZ(p, Options{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		checkMatrix(t, c.Dense(), 1, 4, []float32{0, 1, 0, 1})
	}
	// int64 offsets and indices, bool and integer values, a <U3 format.
	ms := []npzMember{
		{"indices.npy", "<i8", "(3,)", le64(0, 2, 1)},
		{"indptr.npy", "<i8", "(3,)", le64(0, 2, 3)},
		{"format.npy", "<U3", "()", le32('c', 's', 'r')},
		{"shape.npy", "<i8", "(2,)", le64(2, 3)},
		{"data.npy", "|b1", "(3,)", []byte{1, 1, 1}},
	}
	p := writeTemp(t, "b.npz", npzBytes(t, true, ms...))
	c, err := ReadNPZ(p, noBin)
	if err != nil {
		t.Fatal(err)
	}
	checkMatrix(t, c.Dense(), 2, 3, []float32{1, 0, 1, 0, 1, 0})
	if c.Values != nil {
		t.Fatal("all-ones values kept")
	}
	ms[4] = npzMember{"data.npy", "<i8", "(3,)", le64(1, 0, 1)}
	p = writeTemp(t, "i.npz", npzBytes(t, false, ms...))
	if c, err = ReadNPZ(p, noBin); err != nil {
		t.Fatal(err)
	}
	checkMatrix(t, c.Dense(), 2, 3, []float32{1, 0, 0, 0, 1, 0})
	if c.NNZ() != 2 {
		t.Fatalf("the stored zero was kept: %d nonzeros", c.NNZ())
	}
}

func TestNPZErrors(t *testing.T) {
	base := func() []npzMember { return csrMembers(3, 4, smallIndptr, smallIndices, smallVals) }
	with := func(i int, m npzMember) []npzMember { ms := base(); ms[i] = m; return ms }
	for _, tc := range []struct {
		ms   []npzMember
		want string
	}{
		{with(0, npzMember{"indices.npy", "<i4", "(4,)", le32(3, 1, 0, 2)}), "indices.npy: row 0: columns are not increasing (1 after 3)"},
		{with(0, npzMember{"indices.npy", "<i4", "(4,)", le32(1, 1, 0, 2)}), "indices.npy: row 0: column 1 is repeated"},
		{with(0, npzMember{"indices.npy", "<i4", "(4,)", le32(1, 3, 0, 4)}), "indices.npy: row 2: column 4 is outside 0..3"},
		{with(0, npzMember{"indices.npy", "<i4", "(4,)", le32(1, 3, -1, 2)}), "indices.npy: row 2: column -1 is outside"},
		{with(0, npzMember{"indices.npy", "<i4", "(3,)", le32(1, 3, 0)}), "indices.npy holds 3 indices"},
		{with(0, npzMember{"indices.npy", "<f4", "(4,)", f32s(false, 1, 3, 0, 2)}), "indices.npy has dtype"},
		{with(1, npzMember{"indptr.npy", "<i4", "(4,)", le32(0, 2, 1, 4)}), "indptr.npy: offsets decrease (1 after 2, row 1)"},
		{with(1, npzMember{"indptr.npy", "<i4", "(4,)", le32(1, 2, 2, 4)}), "indptr.npy: the first offset is 1"},
		{with(1, npzMember{"indptr.npy", "<i4", "(3,)", le32(0, 2, 4)}), "indptr.npy holds 3 offsets for 3 rows"},
		{with(2, npzMember{"format.npy", "|S3", "()", []byte("csc")}), `format.npy: the matrix is "csc"; only CSR is read`},
		{with(3, npzMember{"shape.npy", "<i8", "(2,)", le64(3, 0)}), "shape.npy: 0 columns"},
		{with(3, npzMember{"shape.npy", "<i8", "(2,)", le64(1<<40, 4)}), "shape.npy: 1099511627776 rows"},
		{with(3, npzMember{"shape.npy", "<i8", "(3,)", le64(3, 4, 1)}), "shape.npy holds 3 values"},
		{with(4, npzMember{"data.npy", "<f4", "(4,)", f32s(false, 0.5, 2, 0, 1)}), "data.npy: value 1: value 2 outside [0,1]"},
		{with(4, npzMember{"data.npy", "<f8", "(4,)", f64s(false, 0.5, nan(), 0, 1)}), "data.npy: value 1: value is NaN"},
		{with(4, npzMember{"data.npy", "<i4", "(4,)", le32(1, 1, 3, 1)}), "data.npy: value 2: integer 3 is not 0 or 1"},
		{with(4, npzMember{"data.npy", "|b1", "(4,)", []byte{1, 2, 1, 1}}), "boolean byte 2"},
		{with(4, npzMember{"data.npy", "<f4", "(5,)", f32s(false, 1, 1, 1, 1, 1)}), "data.npy holds 5 values for 4 indices"},
		{with(4, npzMember{"data.npy", "<c8", "(4,)", nil}), `data.npy: unsupported dtype "<c8"`},
		{with(4, npzMember{"data.npy", "<f4", "(4,)", f32s(false, 1, 1)}), "data.npy: the member holds"},
		{with(0, npzMember{"indices.npy", "<i4", "(8589934593,)", le32(1, 3, 0, 2)}), "claims 8589934593 values"},
		{base()[:4], "no data.npy in the archive"},
		{append(base(), base()[0]), "holds indices.npy twice"},
	} {
		p := writeTemp(t, "bad.npz", npzBytes(t, true, tc.ms...))
		_, err := ReadNPZ(p, noBin)
		wantFormatErr(t, err, p, tc.want)
	}
	good := npzBytes(t, true, base()...)
	for _, cut := range []int{0, 10, len(good) / 2, len(good) - 1} {
		p := writeTemp(t, "cut.npz", good[:cut])
		_, err := ReadNPZ(p, noBin)
		wantFormatErr(t, err, p, "")
	}
	// A flipped bit in a stored member, leaving a valid value (0.25 becomes
	// 0.25000003), is caught by the member's CRC.
	stored := npzBytes(t, false, base()...)
	i := bytes.Index(stored, f32s(false, 0.25))
	stored[i] ^= 1
	p := writeTemp(t, "crc.npz", stored)
	_, err := ReadNPZ(p, noBin)
	wantFormatErr(t, err, p, "data.npy: zip: checksum error")
}

// A claimed size far beyond the file is refused, or read only as far as the
// data go, without allocating for the claim.
func TestNPZHugeClaimAllocatesLittle(t *testing.T) {
	ms := csrMembers(3, 4, smallIndptr, smallIndices, smallVals)
	ms[3] = npzMember{"shape.npy", "<i8", "(2,)", le64(math.MaxInt32, MaxSparseCols)}
	p := writeTemp(t, "huge.npz", npzBytes(t, true, ms...))
	var err error
	if a := allocated(func() { _, err = ReadNPZ(p, noBin) }); a > 16<<20 {
		t.Fatalf("allocated %d bytes for a %d-byte file", a, len(npzBytes(t, true, ms...)))
	}
	wantFormatErr(t, err, p, "indptr.npy holds 4 offsets for 2147483647 rows")
}

func TestCSRDensifySplit(t *testing.T) {
	c := &CSR{Name: "m", Rows: 3, Cols: 4, Indptr: []int64{0, 2, 2, 4}, Indices: smallIndices, Values: smallVals}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, 8)
	for i := range dst {
		dst[i] = 9 // stale values must be cleared
	}
	if err := c.Densify(1, 3, dst); err != nil || !floats.SameBits(dst, smallDense[4:]) {
		t.Fatalf("Densify(1, 3) = %v, %v", dst, err)
	}
	if err := c.Densify(2, 4, dst); err == nil {
		t.Fatal("Densify past the end: no error")
	}
	if err := c.ReadRow(0, dst[:3]); err == nil {
		t.Fatal("ReadRow into a short row: no error")
	}
	tr, val := c.Split(0.34)
	if tr.Rows != 2 || val.Rows != 1 || tr.NNZ() != 2 || val.NNZ() != 2 {
		t.Fatalf("split: %d rows (%d nonzeros), %d rows (%d nonzeros)", tr.Rows, tr.NNZ(), val.Rows, val.NNZ())
	}
	checkMatrix(t, val.Dense(), 1, 4, smallDense[8:])
	checkMatrix(t, tr.Dense(), 2, 4, smallDense[:8])
	if err := val.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []*CSR{
		{Rows: 1, Cols: 4, Indptr: []int64{0, 2}, Indices: []int32{2, 1}},
		{Rows: 1, Cols: 2, Indptr: []int64{0, 1}, Indices: []int32{2}},
		{Rows: 2, Cols: 4, Indptr: []int64{0, 2, 1}, Indices: []int32{0, 1}},
		{Rows: 1, Cols: 4, Indptr: []int64{0, 1}, Indices: []int32{0}, Values: []float32{-1}},
		{Rows: 1, Cols: 4, Indptr: []int64{0, 3}, Indices: []int32{0}},
		{Rows: 2, Cols: 4, Indptr: []int64{0, 1}, Indices: []int32{0}},
	} {
		if err := bad.Validate(); !errors.Is(err, ErrFormat) {
			t.Fatalf("%+v: Validate = %v", bad, err)
		}
	}
}

// The sparse readers binarise as the dense ones do: the same 0/1 values
// from the same file contents, Stochastic included.
func TestCSRBinarizeMatchesDense(t *testing.T) {
	rows, cols := 40, 30
	dense := make([]float32, rows*cols)
	var svm strings.Builder
	var indptr, indices []int32
	var vals []float32
	indptr = append(indptr, 0)
	for r := 0; r < rows; r++ {
		svm.WriteString("0")
		for j := 0; j < cols; j++ {
			if (r*7+j*3)%4 == 0 {
				x := float32((r*31+j*17)%101) / 100
				dense[r*cols+j] = x
				fmt.Fprintf(&svm, " %d:%v", j+1, x)
				indices = append(indices, int32(j))
				vals = append(vals, x)
			}
		}
		svm.WriteString("\n")
		indptr = append(indptr, int32(len(indices)))
	}
	var w bytes.Buffer
	WriteNPY(&w, Matrix{Rows: rows, Cols: cols, Data: dense})
	dir := t.TempDir()
	pd := writeIn(t, dir, "d.npy", w.Bytes())
	ps := writeIn(t, dir, "s.svm", []byte(svm.String()))
	pz := writeIn(t, dir, "s.npz", npzBytes(t, true, csrMembers(rows, cols, indptr, indices, vals)...))
	for _, opt := range []Options{{Binarize: None}, {Binarize: Threshold}, {Binarize: Stochastic, Seed: 5}} {
		want, err := ReadNPY(pd, opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{ps, pz} {
			c, err := LoadCSR(p, "", cols*b2i(p == ps), opt)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Dense(); !floats.SameBits(got.Data, want.X.Data) {
				t.Fatalf("%s, %v: the sparse rows differ from the dense file's", filepath.Base(p), opt.Binarize)
			}
			if opt.Binarize != None && c.Values != nil {
				t.Fatalf("%s, %v: binary values kept", filepath.Base(p), opt.Binarize)
			}
		}
	}
	if _, err := LoadCSR(pz, "", 5, noBin); err == nil {
		t.Fatal("npz with a width: no error")
	}
	if _, err := LoadCSR(pz, "", 0, Options{Real: true}); err == nil {
		t.Fatal("real-valued sparse data: no error")
	}
}

// Reading allocates in proportion to the nonzeros, not rows × width.
func TestSVMLightAllocatesByNonzeros(t *testing.T) {
	var b strings.Builder
	rows := 2000
	for r := 0; r < rows; r++ {
		fmt.Fprintf(&b, "1 %d:1 %d:1\n", r+1, r+50000)
	}
	p := writeTemp(t, "wide.svm", []byte(b.String()))
	var c *CSR
	var err error
	a := allocated(func() { c, err = ReadSVMLight(p, 0, Options{}) })
	if err != nil {
		t.Fatal(err)
	}
	if c.Cols != rows+49999 || c.NNZ() != 2*rows {
		t.Fatalf("%d×%d with %d nonzeros", c.Rows, c.Cols, c.NNZ())
	}
	if dense := uint64(4 * c.Rows * c.Cols); a > 1<<20 || a > dense/100 {
		t.Fatalf("allocated %d bytes for %d nonzeros (dense: %d)", a, c.NNZ(), dense)
	}
}

func FuzzReadSVMLight(f *testing.F) {
	f.Add([]byte(smallSVM))
	f.Add([]byte("1 qid:2 1:1 5:0.5\n0 3:1e-3 # c\n"))
	f.Add([]byte("1 2:1 1:1\n"))
	f.Add([]byte("1 0:1\r\n-1 4:1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := scratchFile(t, "f.svm", b)
		for _, w := range []int{0, 3} {
			for _, opt := range []Options{{Binarize: None}, {Limit: 1}, {Binarize: Stochastic}} {
				c, err := ReadSVMLight(p, w, opt)
				checkCSRResult(t, c, err, opt)
			}
		}
	})
}

func FuzzReadNPZ(f *testing.F) {
	f.Add(npzBytes(f, true, csrMembers(3, 4, smallIndptr, smallIndices, smallVals)...))
	f.Add(npzBytes(f, false, csrMembers(3, 4, smallIndptr, smallIndices, smallVals)...))
	f.Add(npzBytes(f, false, csrMembers(3, 4, []int32{0, 2, 1, 4}, smallIndices, smallVals)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := scratchFile(t, "f.npz", b)
		for _, opt := range []Options{{Binarize: None}, {Limit: 1}, {Binarize: Stochastic}} {
			c, err := ReadNPZ(p, opt)
			checkCSRResult(t, c, err, opt)
		}
	})
}

// checkCSRResult checks a sparse reader's result: an error wraps ErrFormat
// and has one line; a matrix is valid and within the limit.
func checkCSRResult(t *testing.T, c *CSR, err error, opt Options) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ErrFormat) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("error does not wrap ErrFormat or spans lines: %q", err)
		}
		return
	}
	if verr := c.Validate(); verr != nil {
		t.Fatalf("reader returned an invalid matrix: %v", verr)
	}
	if c.Rows < 1 || c.Cols < 1 || opt.Limit > 0 && c.Rows > opt.Limit {
		t.Fatalf("%d×%d matrix (limit %d)", c.Rows, c.Cols, opt.Limit)
	}
	if opt.Binarize != None {
		for _, x := range c.Values {
			if x != 1 {
				t.Fatalf("binarised value %v", x)
			}
		}
	}
}

// Load refuses sparse files by name, pointing to LoadCSR.
func TestLoadNamesSparseFiles(t *testing.T) {
	p := writeTemp(t, "s.svm", []byte(smallSVM))
	_, err := Load(p, noBin)
	wantFormatErr(t, err, p, "a sparse svmlight file; LoadCSR reads it")
}
