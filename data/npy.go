package data

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

const npyMagic = "\x93NUMPY"

// MaxNPYHeader caps the length of a .npy header dictionary.
const MaxNPYHeader = 64 << 10

// ReadNPY reads a 2-D NumPy .npy file (format versions 1.0, 2.0 and 3.0) in
// C order. Supported dtypes: |u1 (scaled by 1/255), |b1 (0 or 1), and <f4,
// <f8 (also big-endian >f4, >f8) whose values must already lie in [0,1].
// With opt.Limit only the first rows are read.
func ReadNPY(path string, opt Options) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	br := bufio.NewReaderSize(f, 1<<16)
	l, err := readNPYLayout(path, br, st.Size(), uint64(maxElems))
	if err != nil {
		return nil, err
	}
	l.t.real = opt.Real
	m, err := readValues(path, br, l.t, limitRows(l.rows, opt), l.cols, maxElems) // size checked
	if err != nil {
		return nil, err
	}
	return finish(path, m, nil, opt)
}

// npyLayout is where and how a .npy file stores its matrix.
type npyLayout struct {
	off        int64 // bytes before the values
	rows, cols int
	t          elemType
}

// readNPYLayout reads and checks the header of a .npy file of size bytes
// from br, leaving br at the first value. The size must match the header
// exactly; the shape may hold at most limit values.
func readNPYLayout(path string, br io.Reader, size int64, limit uint64) (npyLayout, error) {
	return readNPYLayoutOf(path, br, size, limit, false)
}

// readNPYLayoutOf is readNPYLayout; ints admits the integer dtypes (|i1,
// <i2, <i4, <i8 and their unsigned and big-endian forms) and no others.
func readNPYLayoutOf(path string, br io.Reader, size int64, limit uint64, ints bool) (npyLayout, error) {
	return readNPYLayoutShape(path, br, size, limit, ints, false)
}

// readNPYLayoutShape is readNPYLayoutOf; vector also admits a 1-D array of
// n values, read as n rows of one column (label files).
func readNPYLayoutShape(path string, br io.Reader, size int64, limit uint64, ints, vector bool) (npyLayout, error) {
	var l npyLayout
	if size == 0 {
		return l, fmt.Errorf("%s: %w: empty file", path, ErrFormat)
	}
	var pre [8]byte
	if _, err := io.ReadFull(br, pre[:]); err != nil {
		return l, readErr(path, err, "npy magic")
	}
	if string(pre[:6]) != npyMagic {
		return l, fmt.Errorf("%s: %w: bad magic %q (not a .npy file)", path, ErrFormat, pre[:6])
	}
	var hlen int64
	prefix := int64(8)
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return l, readErr(path, err, "npy header length")
		}
		hlen, prefix = int64(binary.LittleEndian.Uint16(b[:])), 10
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return l, readErr(path, err, "npy header length")
		}
		hlen, prefix = int64(binary.LittleEndian.Uint32(b[:])), 12
	default:
		return l, fmt.Errorf("%s: %w: unsupported npy format version %d.%d", path, ErrFormat, pre[6], pre[7])
	}
	if hlen > MaxNPYHeader {
		return l, fmt.Errorf("%s: %w: npy header length %d exceeds %d", path, ErrFormat, hlen, MaxNPYHeader)
	}
	if prefix+hlen > size {
		return l, fmt.Errorf("%s: %w: file is truncated: %d bytes, npy header needs %d", path, ErrFormat, size, prefix+hlen)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(br, hb); err != nil {
		return l, readErr(path, err, "npy header")
	}
	h, err := parseNPYHeader(string(hb))
	if err != nil {
		return l, fmt.Errorf("%s: %w: npy header %q: %v", path, ErrFormat, hb, err)
	}
	if h.fortran {
		return l, fmt.Errorf("%s: %w: fortran_order True is not supported; save the array in C order (np.ascontiguousarray)", path, ErrFormat)
	}
	if vector && len(h.shape) == 1 {
		h.shape = []uint64{h.shape[0], 1}
	}
	if len(h.shape) != 2 {
		return l, fmt.Errorf("%s: %w: array is %d-D (shape %v); want 2-D samples × features", path, ErrFormat, len(h.shape), h.shape)
	}
	var t elemType
	if ints {
		d := h.descr
		if len(d) == 3 && (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=') && (d[1] == 'i' || d[1] == 'u') && strings.ContainsRune("1248", rune(d[2])) {
			t = elemType{kind: kindInt, big: d[0] == '>', signed: d[1] == 'i', isize: int(d[2] - '0')}
		} else {
			return l, fmt.Errorf("%s: %w: dtype %q is not an integer dtype (want |u1, |i1, <i2, <i4, <i8, ...) for categorical states", path, ErrFormat, h.descr)
		}
	} else {
		switch h.descr {
		case "|u1", "<u1", ">u1", "=u1", "u1":
			t = elemType{kind: kindU8}
		case "|b1", "<b1", ">b1", "=b1", "b1", "?":
			t = elemType{kind: kindBool}
		case "<f4":
			t = elemType{kind: kindF32}
		case ">f4":
			t = elemType{kind: kindF32, big: true}
		case "<f8":
			t = elemType{kind: kindF64}
		case ">f8":
			t = elemType{kind: kindF64, big: true}
		default:
			return l, fmt.Errorf("%s: %w: unsupported dtype %q (want |u1, |b1, <f4 or <f8)", path, ErrFormat, h.descr)
		}
	}
	rows, cols, err := checkShapeMax(path, h.shape, limit)
	if err != nil {
		return l, err
	}
	want := prefix + hlen + int64(rows)*int64(cols)*int64(t.size())
	switch {
	case size < want:
		return l, fmt.Errorf("%s: %w: file is truncated: %d bytes, but shape %v of %s needs %d", path, ErrFormat, size, h.shape, h.descr, want)
	case size > want:
		return l, fmt.Errorf("%s: %w: file is %d bytes, but shape %v of %s needs %d (%d trailing bytes)", path, ErrFormat, size, h.shape, h.descr, want, size-want)
	}
	return npyLayout{off: prefix + hlen, rows: rows, cols: cols, t: t}, nil
}

// npyHeader is the parsed header dictionary of a .npy file.
type npyHeader struct {
	descr   string
	fortran bool
	shape   []uint64
}

// parseNPYHeader parses a header such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }.
func parseNPYHeader(s string) (npyHeader, error) {
	var h npyHeader
	p := pyParser{s: strings.TrimRight(s, " \t\r\n\x00")}
	if !p.eat('{') {
		return h, fmt.Errorf("want '{'")
	}
	seen := map[string]bool{}
	for {
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return h, fmt.Errorf("key: %v", err)
		}
		if seen[key] {
			return h, fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		if !p.eat(':') {
			return h, fmt.Errorf("want ':' after %q", key)
		}
		switch key {
		case "descr":
			if h.descr, err = p.str(); err != nil {
				return h, fmt.Errorf("descr: %v (structured dtypes are not supported)", err)
			}
		case "fortran_order":
			if h.fortran, err = p.boolean(); err != nil {
				return h, fmt.Errorf("fortran_order: %v", err)
			}
		case "shape":
			if h.shape, err = p.tuple(); err != nil {
				return h, fmt.Errorf("shape: %v", err)
			}
		default:
			return h, fmt.Errorf("unexpected key %q", key)
		}
		if !p.eat(',') {
			if !p.eat('}') {
				return h, fmt.Errorf("want ',' or '}' after %q", key)
			}
			break
		}
	}
	if p.skip(); p.i != len(p.s) {
		return h, fmt.Errorf("text after '}'")
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, fmt.Errorf("missing key %q", k)
		}
	}
	return h, nil
}

// pyParser parses the small subset of Python literals in npy headers.
type pyParser struct {
	s string
	i int
}

func (p *pyParser) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// eat skips white space and consumes c if it comes next.
func (p *pyParser) eat(c byte) bool {
	p.skip()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str parses a quoted string without escapes.
func (p *pyParser) str() (string, error) {
	p.skip()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", fmt.Errorf("want a quoted string")
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", fmt.Errorf("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.ContainsRune(v, '\\') {
		return "", fmt.Errorf("escapes in strings are not supported")
	}
	p.i += end + 2
	return v, nil
}

// boolean parses True or False.
func (p *pyParser) boolean() (bool, error) {
	p.skip()
	for _, w := range []string{"True", "False"} {
		if strings.HasPrefix(p.s[p.i:], w) {
			p.i += len(w)
			return w == "True", nil
		}
	}
	return false, fmt.Errorf("want True or False")
}

// tuple parses a tuple of non-negative integers such as (), (3,) or (3, 4).
func (p *pyParser) tuple() ([]uint64, error) {
	if !p.eat('(') {
		return nil, fmt.Errorf("want '('")
	}
	var out []uint64
	for {
		if p.eat(')') {
			return out, nil
		}
		p.skip()
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j == p.i {
			return nil, fmt.Errorf("want an integer")
		}
		v, err := strconv.ParseUint(p.s[p.i:j], 10, 64)
		if err != nil || v > math.MaxInt64 {
			return nil, fmt.Errorf("integer %s too large", p.s[p.i:j])
		}
		p.i = j
		if p.i < len(p.s) && p.s[p.i] == 'L' { // Python 2 long
			p.i++
		}
		out = append(out, v)
		if len(out) > 32 {
			return nil, fmt.Errorf("too many dimensions")
		}
		if !p.eat(',') {
			if !p.eat(')') {
				return nil, fmt.Errorf("want ',' or ')'")
			}
			return out, nil
		}
	}
}

// WriteNPY writes m as a .npy file: format version 1.0, dtype <f4, C order,
// the header padded with spaces to a multiple of 64 bytes and ending in '\n'.
func WriteNPY(w io.Writer, m Matrix) error {
	if m.Rows < 0 || m.Cols < 0 || len(m.Data) != m.Rows*m.Cols {
		return fmt.Errorf("data: WriteNPY: matrix is %d×%d but holds %d values", m.Rows, m.Cols, len(m.Data))
	}
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", m.Rows, m.Cols)
	n := len(npyMagic) + 4 + len(dict) + 1
	hdr := dict + strings.Repeat(" ", (64-n%64)%64) + "\n"
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString(npyMagic)
	bw.Write([]byte{1, 0, byte(len(hdr)), byte(len(hdr) >> 8)})
	bw.WriteString(hdr)
	buf := make([]byte, 4*min(len(m.Data), chunkElems))
	for data := m.Data; len(data) > 0; {
		n := min(len(data), chunkElems)
		for i, x := range data[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
		}
		if _, err := bw.Write(buf[:4*n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return bw.Flush()
}
