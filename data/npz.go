package data

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// ReadNPZ reads a sparse matrix saved by scipy.sparse.save_npz: a zip
// archive (stored or deflated) of the arrays format.npy ('csr'),
// shape.npy (rows, columns), indptr.npy and indices.npy (int32 or int64)
// and data.npy (float32, float64, bool or an integer dtype), each an .npy
// file. Other members are ignored; other sparse formats (csc, coo, ...) are
// refused with a hint to save m.tocsr().
//
// Every array is checked as it is read: the row offsets start at 0, never
// decrease and end at the number of indices; columns lie in [0, width) and
// strictly increase within a row (scipy keeps them so after sort_indices
// and sum_duplicates); values lie in [0,1] (integers must be 0 or 1). They
// are then binarised by opt.Binarize. An error names the file and the
// array. Memory grows with the nonzeros as they are decompressed, whatever
// sizes the headers claim; with opt.Limit only the first rows' nonzeros are
// read.
func ReadNPZ(path string, opt Options) (*CSR, error) {
	f, size, err := statFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: not a zip archive as scipy.sparse.save_npz writes (%v)", path, ErrFormat, err)
	}
	members := map[string]*zip.File{}
	for _, zf := range zr.File {
		if members[zf.Name] != nil {
			return nil, fmt.Errorf("%s: %w: the archive holds %s twice", path, ErrFormat, zf.Name)
		}
		members[zf.Name] = zf
	}
	open := func(name string) (*npzArray, error) {
		zf := members[name]
		if zf == nil {
			return nil, fmt.Errorf("%s: %w: no %s in the archive (not a scipy.sparse.save_npz file?)", path, ErrFormat, name)
		}
		return openNPZArray(path, zf, size)
	}

	fa, err := open("format.npy")
	if err != nil {
		return nil, err
	}
	format, err := fa.text()
	if err != nil {
		return nil, err
	}
	if format != "csr" {
		return nil, fmt.Errorf("%s: %w: format.npy: the matrix is %q; only CSR is read (save m.tocsr())", path, ErrFormat, clip([]byte(format)))
	}
	sa, err := open("shape.npy")
	if err != nil {
		return nil, err
	}
	if sa.n != 2 {
		return nil, fmt.Errorf("%s: %w: shape.npy holds %d values, want 2", path, ErrFormat, sa.n)
	}
	shape, err := readNPZ(sa, 2, func(out []int64, b []byte) string { return sa.ints(out, b) })
	if err != nil {
		return nil, err
	}
	switch {
	case shape[0] < 1 || shape[0] > math.MaxInt32:
		return nil, fmt.Errorf("%s: %w: shape.npy: %d rows (want 1..%d)", path, ErrFormat, shape[0], math.MaxInt32)
	case shape[1] < 1 || shape[1] > MaxSparseCols:
		return nil, fmt.Errorf("%s: %w: shape.npy: %d columns (want 1..%d)", path, ErrFormat, shape[1], MaxSparseCols)
	}
	c := &CSR{Name: path, Rows: int(shape[0]), Cols: int(shape[1])}

	pa, err := open("indptr.npy")
	if err != nil {
		return nil, err
	}
	if pa.n != c.Rows+1 {
		return nil, fmt.Errorf("%s: %w: indptr.npy holds %d offsets for %d rows (want %d)", path, ErrFormat, pa.n, c.Rows, c.Rows+1)
	}
	rows := limitRows(c.Rows, opt)
	var last int64
	if c.Indptr, err = readNPZ(pa, rows+1, func(out []int64, b []byte) string {
		if msg := pa.ints(out, b); msg != "" {
			return msg
		}
		for i, p := range out {
			switch {
			case p < last:
				return fmt.Sprintf("offsets decrease (%d after %d, row %d)", p, last, pa.pos+i-1)
			case p > int64(maxNNZ):
				return fmt.Sprintf("offset %d is beyond %d nonzeros", p, maxNNZ)
			case pa.pos+i == 0 && p != 0:
				return fmt.Sprintf("the first offset is %d, not 0", p)
			}
			last = p
		}
		return ""
	}); err != nil {
		return nil, err
	}
	c.Rows = rows
	nnz := int(c.Indptr[rows])

	ia, err := open("indices.npy")
	if err != nil {
		return nil, err
	}
	if ia.kind != 'i' && ia.kind != 'u' {
		return nil, fmt.Errorf("%s: %w: indices.npy has dtype %q, want an integer dtype", path, ErrFormat, ia.descr)
	}
	if ia.n < nnz || rows == pa.n-1 && ia.n != nnz {
		return nil, fmt.Errorf("%s: %w: indices.npy holds %d indices, indptr.npy ends at %d", path, ErrFormat, ia.n, last)
	}
	// The columns are checked against their row's as they arrive: r is the
	// row of the next index, prev the column before it in that row.
	r, prev := 0, int32(-1)
	tmp := make([]int64, chunkElems)
	if c.Indices, err = readNPZ(ia, nnz, func(out []int32, b []byte) string {
		v := tmp[:len(out)]
		if msg := ia.ints(v, b); msg != "" {
			return msg
		}
		for i, j := range v {
			k := int64(ia.pos + i)
			for k >= c.Indptr[r+1] {
				r++
				prev = -1
			}
			if j < 0 || j >= int64(c.Cols) {
				return fmt.Sprintf("row %d: column %d is outside 0..%d", r, j, c.Cols-1)
			}
			if msg := checkColumn(int32(j), prev, c.Cols); msg != "" {
				return fmt.Sprintf("row %d: %s (sort_indices and sum_duplicates before save_npz)", r, msg)
			}
			prev = int32(j)
			out[i] = int32(j)
		}
		return ""
	}); err != nil {
		return nil, err
	}

	da, err := open("data.npy")
	if err != nil {
		return nil, err
	}
	if da.n != ia.n {
		return nil, fmt.Errorf("%s: %w: data.npy holds %d values for %d indices", path, ErrFormat, da.n, ia.n)
	}
	// The values are kept only from the first that is not 1 on (with ones
	// for those before it): binary data never hold 4 bytes a nonzero.
	chunk := make([]float32, chunkElems)
	var vals []float32
	ones := true
	if _, err = readNPZ(da, nnz, func(out []struct{}, b []byte) string {
		v := chunk[:len(out)]
		if msg := da.values(v, b); msg != "" {
			return msg
		}
		if ones && slices.ContainsFunc(v, func(x float32) bool { return x != 1 }) {
			ones = false
			vals = make([]float32, da.pos, nnz)
			for k := range vals {
				vals[k] = 1
			}
		}
		if !ones {
			vals = append(vals, v...)
		}
		return ""
	}); err != nil {
		return nil, err
	}
	c.Values = vals
	if err := binarizeCSR(c, opt); err != nil {
		return nil, err
	}
	return c, nil
}

// npzArray is one .npy member of an npz archive, open after its header.
type npzArray struct {
	path, name string
	descr      string
	kind       byte // 'i', 'u', 'f', 'b', 'S' or 'U'
	size       int  // bytes a value
	big        bool
	n          int  // values the header claims
	stored     bool // not compressed: the file's size bounds n
	r          io.ReadCloser
	pos        int // values read so far
}

// openNPZArray opens zf and reads its .npy header: a 0-D or 1-D array of a
// plain dtype, whose size the member's size must match.
func openNPZArray(path string, zf *zip.File, fileSize int64) (*npzArray, error) {
	a := &npzArray{path: path, name: zf.Name}
	r, err := zf.Open()
	if err != nil {
		return nil, a.errf("cannot open (%v)", err)
	}
	a.r = r
	var pre [10]byte
	if _, err := io.ReadFull(r, pre[:8]); err != nil {
		return nil, a.readErr(err)
	}
	if string(pre[:6]) != npyMagic {
		return nil, a.errf("not an .npy file (magic %q)", pre[:6])
	}
	var hlen, prefix int
	switch pre[6] {
	case 1:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return nil, a.readErr(err)
		}
		hlen, prefix = int(binary.LittleEndian.Uint16(pre[8:])), 10
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, a.readErr(err)
		}
		hlen, prefix = int(binary.LittleEndian.Uint32(b[:])), 12
	default:
		return nil, a.errf("unsupported npy format version %d.%d", pre[6], pre[7])
	}
	if hlen > MaxNPYHeader {
		return nil, a.errf("header length %d exceeds %d", hlen, MaxNPYHeader)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, a.readErr(err)
	}
	h, err := parseNPYHeader(string(hb))
	if err != nil {
		return nil, a.errf("header %q: %v", clip(hb), err)
	}
	if len(h.shape) > 1 {
		return nil, a.errf("array is %d-D (shape %v); want 1-D", len(h.shape), h.shape)
	}
	a.descr = h.descr
	n := uint64(1)
	if len(h.shape) == 1 {
		n = h.shape[0]
	}
	if err := a.parseDescr(); err != nil {
		return nil, err
	}
	if n > uint64(maxNNZ) {
		return nil, a.errf("claims %d values, more than %d", n, maxNNZ)
	}
	a.n = int(n)
	a.stored = zf.Method == zip.Store && zf.CompressedSize64 == zf.UncompressedSize64 && zf.CompressedSize64 <= uint64(fileSize)
	if want := uint64(prefix+hlen) + n*uint64(a.size); zf.UncompressedSize64 != want {
		return nil, a.errf("the member holds %d bytes, but shape %v of %s needs %d (truncated or corrupt)", zf.UncompressedSize64, h.shape, h.descr, want)
	}
	return a, nil
}

// parseDescr reads a plain dtype: byte order, kind and size.
func (a *npzArray) parseDescr() error {
	d := a.descr
	if d == "?" {
		d = "|b1"
	}
	if len(d) < 3 || !strings.ContainsRune("<>|=", rune(d[0])) {
		return a.errf("unsupported dtype %q", a.descr)
	}
	a.big = d[0] == '>'
	a.kind = d[1]
	size := 0
	for _, ch := range d[2:] {
		if ch < '0' || ch > '9' || size > 1<<20 {
			return a.errf("unsupported dtype %q", a.descr)
		}
		size = 10*size + int(ch-'0')
	}
	ok := false
	switch a.kind {
	case 'i', 'u':
		ok = size == 1 || size == 2 || size == 4 || size == 8
	case 'f':
		ok = size == 4 || size == 8
	case 'b':
		ok = size == 1
	case 'S':
		ok = size >= 1 && size <= 64
	case 'U':
		ok = size >= 1 && size <= 64
		size *= 4
	}
	if !ok {
		return a.errf("unsupported dtype %q", a.descr)
	}
	a.size = size
	return nil
}

func (a *npzArray) errf(format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s: %s", a.path, ErrFormat, a.name, fmt.Sprintf(format, args...))
}

func (a *npzArray) readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return a.errf("truncated after %d of %d values", a.pos, a.n)
	}
	return a.errf("%v", err) // zip.ErrChecksum, corrupt deflate data, I/O
}

// text reads a 0-D string array (format.npy), NULs trimmed.
func (a *npzArray) text() (string, error) {
	defer a.r.Close()
	if (a.kind != 'S' && a.kind != 'U') || a.n != 1 {
		return "", a.errf("dtype %q, want a string", a.descr)
	}
	b := make([]byte, a.size)
	if _, err := io.ReadFull(a.r, b); err != nil {
		return "", a.readErr(err)
	}
	if a.kind == 'U' { // UTF-32: keep the ASCII code points
		var s []byte
		for i := 0; i+4 <= len(b); i += 4 {
			cp := binary.LittleEndian.Uint32(b[i:])
			if a.big {
				cp = binary.BigEndian.Uint32(b[i:])
			}
			if cp > 0 && cp < 0x80 {
				s = append(s, byte(cp))
			}
		}
		b = s
	}
	return string(bytes.TrimRight(b, "\x00")), nil
}

// ints decodes integers (of an integer dtype) from b into out.
func (a *npzArray) ints(out []int64, b []byte) string {
	if a.kind != 'i' && a.kind != 'u' {
		return fmt.Sprintf("dtype %q, want an integer dtype", a.descr)
	}
	for i := range out {
		v, ok := a.intAt(b[i*a.size:])
		if !ok {
			return fmt.Sprintf("value %d is beyond int64", binary.LittleEndian.Uint64(b[i*a.size:]))
		}
		out[i] = v
	}
	return ""
}

// intAt decodes the integer at the start of p; ok is false for a uint64
// beyond MaxInt64.
func (a *npzArray) intAt(p []byte) (int64, bool) {
	var order binary.ByteOrder = binary.LittleEndian
	if a.big {
		order = binary.BigEndian
	}
	signed := a.kind == 'i'
	switch a.size {
	case 1:
		if signed {
			return int64(int8(p[0])), true
		}
		return int64(p[0]), true
	case 2:
		if signed {
			return int64(int16(order.Uint16(p))), true
		}
		return int64(order.Uint16(p)), true
	case 4:
		if signed {
			return int64(int32(order.Uint32(p))), true
		}
		return int64(order.Uint32(p)), true
	}
	u := order.Uint64(p)
	if !signed && u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// values decodes matrix values: floats in [0,1], booleans, integers 0 or 1.
func (a *npzArray) values(out []float32, b []byte) string {
	var order binary.ByteOrder = binary.LittleEndian
	if a.big {
		order = binary.BigEndian
	}
	for i := range out {
		p := b[i*a.size:]
		var x float64
		switch a.kind {
		case 'f':
			if a.size == 4 {
				x = float64(math.Float32frombits(order.Uint32(p)))
			} else {
				x = math.Float64frombits(order.Uint64(p))
			}
		case 'b':
			if p[0] > 1 {
				return fmt.Sprintf("value %d: boolean byte %d is not 0 or 1", a.pos+i, p[0])
			}
			x = float64(p[0])
		case 'i', 'u':
			v, ok := a.intAt(p)
			if !ok || v < 0 || v > 1 {
				return fmt.Sprintf("value %d: integer %d is not 0 or 1", a.pos+i, v)
			}
			x = float64(v)
		default:
			return fmt.Sprintf("dtype %q is not numeric", a.descr)
		}
		if !(x >= 0 && x <= 1) {
			return fmt.Sprintf("value %d: %s", a.pos+i, badValue(x))
		}
		out[i] = float32(x)
	}
	return ""
}

// readNPZ reads the first n values of a (all of them when n == a.n, then
// checking that nothing follows, which also checks the member's CRC),
// decoding chunks with dec, which returns a description of the first bad
// value or "". The slice grows as data arrive, so a header's claim cannot
// cause a large allocation by itself; a stored member, whose size the
// file's bounds, is allocated whole at once (no copies while growing).
func readNPZ[T any](a *npzArray, n int, dec func(out []T, b []byte) string) ([]T, error) {
	defer a.r.Close()
	initial := min(n, growElems)
	if a.stored {
		initial = n
	}
	out := make([]T, 0, initial)
	buf := make([]byte, min(max(n, 1), chunkElems)*a.size)
	for a.pos < n {
		k := min(n-a.pos, chunkElems)
		b := buf[:k*a.size]
		if _, err := io.ReadFull(a.r, b); err != nil {
			return nil, a.readErr(err)
		}
		base := len(out)
		if base+k > cap(out) {
			grown := make([]T, base, min(n, max(2*cap(out), base+k)))
			copy(grown, out)
			out = grown
		}
		out = out[:base+k]
		if msg := dec(out[base:], b); msg != "" {
			return nil, a.errf("%s", msg)
		}
		a.pos += k
	}
	if n == a.n {
		var one [1]byte
		if m, err := io.ReadFull(a.r, one[:]); m > 0 {
			return nil, a.errf("bytes after the %d values", a.n)
		} else if err != io.EOF {
			return nil, a.readErr(err)
		}
	}
	return out, nil
}
