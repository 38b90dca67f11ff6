package data

import (
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// elemKind is the on-disk type of one value.
type elemKind int

const (
	kindU8   elemKind = iota // unsigned byte, scaled by 1/255
	kindBool                 // byte that must be 0 or 1
	kindF32                  // IEEE float32, must lie in [0,1]
	kindF64                  // IEEE float64, must lie in [0,1]
	kindInt                  // an integer of isize bytes (categorical states), 0..MaxStates−1
)

// elemType is an on-disk value type with its byte order.
type elemType struct {
	kind elemKind
	big  bool // big-endian (floats and integers)
	real bool // floats may be any finite value (Options.Real)
	// integers (kindInt): the size in bytes and the signedness
	isize  int
	signed bool
}

// size returns the bytes per value.
func (t elemType) size() int {
	switch t.kind {
	case kindF32:
		return 4
	case kindF64:
		return 8
	case kindInt:
		return t.isize
	}
	return 1
}

// u8Scale maps a byte b to b/255.
var u8Scale = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return
}()

// chunkElems is how many values readValues decodes per read.
const chunkElems = 1 << 15

// growElems is the least first capacity readValues gives a matrix whose size
// it cannot trust (gzip input).
const growElems = 1 << 20

// readValues reads a rows×cols matrix of values of type t from r, checking
// every value. It allocates min(rows·cols, initCap) values up front and grows
// the matrix (doubling) as data really arrives, so a header whose claimed size
// has not been checked against the input's real size (gzip) cannot cause a
// huge allocation.
func readValues(path string, r io.Reader, t elemType, rows, cols int, initCap int) (Matrix, error) {
	total := rows * cols
	data := make([]float32, 0, min(total, max(initCap, 1)))
	size := t.size()
	buf := make([]byte, min(total, chunkElems)*size)
	for len(data) < total {
		n := min(total-len(data), chunkElems)
		b := buf[:n*size]
		if _, err := io.ReadFull(r, b); err != nil {
			return Matrix{}, readErr(path, err, fmt.Sprintf("after %d of %d values", len(data), total))
		}
		if len(data)+n > cap(data) {
			grown := make([]float32, len(data), min(total, max(2*cap(data), len(data)+n)))
			copy(grown, data)
			data = grown
		}
		base := len(data)
		data = data[:base+n]
		if bad, msg := decode(data[base:], b, t); bad >= 0 {
			i := base + bad
			return Matrix{}, fmt.Errorf("%s: %w: row %d, column %d: %s", path, ErrFormat, i/cols, i%cols, msg)
		}
	}
	return Matrix{Rows: rows, Cols: cols, Data: data}, nil
}

// decode converts the raw values in b into out and returns the index of the
// first bad value with a description, or -1.
func decode(out []float32, b []byte, t elemType) (int, string) {
	var order binary.ByteOrder = binary.LittleEndian
	if t.big {
		order = binary.BigEndian
	}
	switch t.kind {
	case kindU8:
		for i, v := range b {
			out[i] = u8Scale[v]
		}
	case kindBool:
		for i, v := range b {
			if v > 1 {
				return i, fmt.Sprintf("boolean byte %d is not 0 or 1", v)
			}
			out[i] = float32(v)
		}
	case kindF32:
		for i := range out {
			x := math.Float32frombits(order.Uint32(b[4*i:]))
			if t.real && x-x == 0 {
				out[i] = x
				continue
			}
			if !(x >= 0 && x <= 1) {
				return i, badValue(float64(x))
			}
			out[i] = x
		}
	case kindF64:
		for i := range out {
			x := math.Float64frombits(order.Uint64(b[8*i:]))
			if t.real && x-x == 0 && math.Abs(x) <= math.MaxFloat32 {
				out[i] = float32(x)
				continue
			}
			if !(x >= 0 && x <= 1) {
				return i, badValue(x)
			}
			out[i] = float32(x)
		}
	case kindInt:
		for i := range out {
			var v int64
			p := b[t.isize*i:]
			switch t.isize {
			case 1:
				v = int64(p[0])
				if t.signed {
					v = int64(int8(p[0]))
				}
			case 2:
				v = int64(order.Uint16(p))
				if t.signed {
					v = int64(int16(order.Uint16(p)))
				}
			case 4:
				v = int64(order.Uint32(p))
				if t.signed {
					v = int64(int32(order.Uint32(p)))
				}
			default:
				u := order.Uint64(p)
				if !t.signed && u > math.MaxInt64 {
					return i, fmt.Sprintf("state %d outside 0..%d", u, MaxStates-1)
				}
				v = int64(u)
			}
			if v < 0 || v >= MaxStates {
				return i, fmt.Sprintf("state %d outside 0..%d", v, MaxStates-1)
			}
			out[i] = float32(v)
		}
	}
	return -1, ""
}

// badValue describes a value that is not in [0,1].
func badValue(x float64) string {
	switch {
	case math.Abs(x) > math.MaxFloat32 && !math.IsInf(x, 0):
		return fmt.Sprintf("value %v does not fit float32", x)
	case math.IsNaN(x):
		return "value is NaN"
	case math.IsInf(x, 0):
		return fmt.Sprintf("value is %v", x)
	}
	return fmt.Sprintf("value %v outside [0,1]", x)
}

// readErr turns an error from reading a file's content into the error a
// reader returns: truncation and corrupt compression are format errors.
func readErr(path string, err error, where string) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%s: %w: file is truncated (%s)", path, ErrFormat, where)
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.As(err, &corrupt):
		return fmt.Errorf("%s: %w: corrupt gzip data (%s): %v", path, ErrFormat, where, err)
	}
	return fmt.Errorf("%s: %w (%s)", path, err, where)
}

// checkShape checks dimensions claimed by a header: all positive, product at
// most MaxElements. It returns rows and cols (the product of the other
// dimensions).
func checkShape(path string, dims []uint64) (rows, cols int, err error) {
	return checkShapeMax(path, dims, uint64(maxElems))
}

// checkShapeMax is checkShape with a cap of limit values (at most MaxInt).
func checkShapeMax(path string, dims []uint64, limit uint64) (rows, cols int, err error) {
	total := uint64(1)
	for i, d := range dims {
		if d == 0 {
			return 0, 0, fmt.Errorf("%s: %w: dimension %d is 0 (shape %v)", path, ErrFormat, i, dims)
		}
		if d > limit || total*d > limit {
			return 0, 0, fmt.Errorf("%s: %w: shape %v has more than %d values", path, ErrFormat, dims, limit)
		}
		total *= d
	}
	rows = int(dims[0])
	return rows, int(total) / rows, nil
}

// limitRows applies Options.Limit to a row count.
func limitRows(rows int, opt Options) int {
	if opt.Limit > 0 && opt.Limit < rows {
		return opt.Limit
	}
	return rows
}
