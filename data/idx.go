package data

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
)

// IDX value types (the third magic byte).
const (
	idxU8  = 0x08
	idxI8  = 0x09
	idxI16 = 0x0B
	idxI32 = 0x0C
	idxF32 = 0x0D
	idxF64 = 0x0E
)

// maxDeflateRatio bounds how many bytes one compressed byte can expand to
// (deflate's limit is about 1032:1), so a gzip file of n bytes holds at most
// n·maxDeflateRatio bytes of payload.
const maxDeflateRatio = 1040

// idxFile is an open IDX file positioned after its header.
type idxFile struct {
	f      *os.File
	r      io.Reader
	typ    byte
	dims   []uint64
	gz     bool
	size   int64 // file size
	header int64 // header bytes (uncompressed)
}

// openIDX opens path, plain or gzip-compressed, and reads and checks its
// header. The caller must close f.f.
func openIDX(path string) (*idxFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	x, err := readIDXHeader(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return x, nil
}

func readIDXHeader(path string, f *os.File) (*idxFile, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if st.Size() == 0 {
		return nil, fmt.Errorf("%s: %w: empty file", path, ErrFormat)
	}
	x := &idxFile{f: f, size: st.Size()}
	br := bufio.NewReaderSize(f, 1<<16)
	x.r = br
	if p, _ := br.Peek(2); len(p) == 2 && p[0] == 0x1f && p[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, readErr(path, err, "gzip header")
		}
		x.r, x.gz = zr, true
	}
	var magic [4]byte
	if _, err := io.ReadFull(x.r, magic[:]); err != nil {
		return nil, readErr(path, err, "IDX magic")
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("%s: %w: bad magic % x (not an IDX file)", path, ErrFormat, magic)
	}
	x.typ = magic[2]
	switch x.typ {
	case idxU8, idxF32, idxF64:
	case idxI8, idxI16, idxI32:
		return nil, fmt.Errorf("%s: %w: unsupported IDX value type 0x%02x (want unsigned byte 0x08, float32 0x0D or float64 0x0E)", path, ErrFormat, x.typ)
	default:
		return nil, fmt.Errorf("%s: %w: bad magic % x (unknown IDX value type 0x%02x)", path, ErrFormat, magic, x.typ)
	}
	nd := int(magic[3])
	if nd == 0 {
		return nil, fmt.Errorf("%s: %w: IDX header has 0 dimensions", path, ErrFormat)
	}
	raw := make([]byte, 4*nd)
	if _, err := io.ReadFull(x.r, raw); err != nil {
		return nil, readErr(path, err, "IDX dimensions")
	}
	x.dims = make([]uint64, nd)
	for i := range x.dims {
		x.dims[i] = uint64(raw[4*i])<<24 | uint64(raw[4*i+1])<<16 | uint64(raw[4*i+2])<<8 | uint64(raw[4*i+3])
	}
	x.header = int64(4 + 4*nd)
	return x, nil
}

// elemType returns the value type of x.
func (x *idxFile) elemType() elemType {
	switch x.typ {
	case idxF32:
		return elemType{kind: kindF32, big: true}
	case idxF64:
		return elemType{kind: kindF64, big: true}
	}
	return elemType{kind: kindU8}
}

// checkSize checks that the file can hold the values the header claims:
// exactly, for a plain file; within deflate's ratio, for gzip.
func (x *idxFile) checkSize(path string, total int, size int) error {
	payload := int64(total) * int64(size)
	if x.gz {
		if bound := x.size * maxDeflateRatio; payload > bound {
			return fmt.Errorf("%s: %w: header claims dimensions %v (%d bytes) but a %d-byte gzip file can hold at most %d bytes",
				path, ErrFormat, x.dims, payload, x.size, bound)
		}
		return nil
	}
	want := x.header + payload
	switch {
	case x.size < want:
		return fmt.Errorf("%s: %w: file is truncated: %d bytes, but header dimensions %v need %d", path, ErrFormat, x.size, x.dims, want)
	case x.size > want:
		return fmt.Errorf("%s: %w: file is %d bytes, but header dimensions %v need %d (%d trailing bytes)", path, ErrFormat, x.size, x.dims, want, x.size-want)
	}
	return nil
}

// gzipInitElems is how many values per compressed byte a gzip reader
// allocates before the values arrive. Real data sets compress far less than
// 16:1 (MNIST about 5:1), so they are allocated once; a lying header costs at
// most 64 bytes of memory per byte of file before the lie shows.
const gzipInitElems = 16

// initCap returns how many values to allocate before reading them.
func (x *idxFile) initCap() int {
	if !x.gz {
		return maxElems // the file size was checked exactly
	}
	return int(max(growElems, min(x.size, MaxElements/gzipInitElems)*gzipInitElems))
}

// checkEnd checks, after all values of a gzip file were read, that the
// stream ends there and its checksum is right.
func (x *idxFile) checkEnd(path string) error {
	if !x.gz {
		return nil
	}
	var b [1]byte
	n, err := io.ReadFull(x.r, b[:])
	if n > 0 {
		return fmt.Errorf("%s: %w: trailing data after the values its header %v describes", path, ErrFormat, x.dims)
	}
	if errors.Is(err, io.EOF) {
		return nil
	}
	return readErr(path, err, "end of gzip stream")
}

// ReadIDX reads an IDX file of samples, plain or gzip-compressed (detected by
// the gzip magic bytes 1f 8b). A 3-D file N×R×C (images) gives an N×(R·C)
// matrix, a 2-D file N×D an N×D matrix. Unsigned bytes (type 0x08) are
// scaled by 1/255; big-endian float32 (0x0D) and float64 (0x0E) values must
// already lie in [0,1]. With opt.Limit only the first rows are read.
func ReadIDX(path string, opt Options) (*Set, error) {
	x, err := openIDX(path)
	if err != nil {
		return nil, err
	}
	defer x.f.Close()
	if nd := len(x.dims); nd != 2 && nd != 3 {
		hint := ""
		if nd == 1 {
			hint = " (a label file?)"
		}
		return nil, fmt.Errorf("%s: %w: IDX file has %d dimensions%s; want 2 (N×D) or 3 (N×R×C)", path, ErrFormat, nd, hint)
	}
	rows, cols, err := checkShape(path, x.dims)
	if err != nil {
		return nil, err
	}
	t := x.elemType()
	t.real = opt.Real
	if err := x.checkSize(path, rows*cols, t.size()); err != nil {
		return nil, err
	}
	n := limitRows(rows, opt)
	m, err := readValues(path, x.r, t, n, cols, x.initCap())
	if err != nil {
		return nil, err
	}
	if n == rows {
		if err := x.checkEnd(path); err != nil {
			return nil, err
		}
	}
	return finish(path, m, nil, opt)
}

// ReadIDXLabels reads an IDX label file (1-D, unsigned bytes, plain or gzip)
// such as MNIST's train-labels-idx1-ubyte.gz. limit > 0 reads only the first
// limit labels.
func ReadIDXLabels(path string, limit int) ([]int32, error) {
	x, err := openIDX(path)
	if err != nil {
		return nil, err
	}
	defer x.f.Close()
	if len(x.dims) != 1 || x.typ != idxU8 {
		return nil, fmt.Errorf("%s: %w: not an IDX label file (want 1-D unsigned bytes, got %d-D type 0x%02x)", path, ErrFormat, len(x.dims), x.typ)
	}
	n, _, err := checkShape(path, x.dims)
	if err != nil {
		return nil, err
	}
	if err := x.checkSize(path, n, 1); err != nil {
		return nil, err
	}
	total := n
	n = limitRows(n, Options{Limit: limit})
	br := bufio.NewReader(x.r)
	labels := make([]int32, 0, min(n, x.initCap()))
	for len(labels) < n {
		b, err := br.ReadByte()
		if err != nil {
			return nil, readErr(path, err, fmt.Sprintf("after %d of %d labels", len(labels), total))
		}
		labels = append(labels, int32(b))
	}
	if n == total {
		x.r = br
		if err := x.checkEnd(path); err != nil {
			return nil, err
		}
	}
	return labels, nil
}
