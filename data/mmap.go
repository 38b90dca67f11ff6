package data

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"sync/atomic"

	"github.com/boltzgo/boltz/rng"
)

// ErrNotMappable is wrapped by the error Map returns for a file it cannot
// map: not an NPY or IDX file, gzip-compressed, or a platform without mmap.
// Callers fall back to Load.
var ErrNotMappable = errors.New("data: cannot memory-map")

// residentBudget is how many bytes of a mapping ReadRow lets become
// resident (counted pessimistically: a row's bytes plus the kernel's 64 KiB
// fault-around) before it drops the mapping's pages from the process
// (madvise MADV_DONTNEED; the page cache keeps them), so that the resident
// set stays bounded whatever the file's size.
var residentBudget int64 = 64 << 20

// MaxMappedElements caps the values (rows × columns) a mapped file may
// hold: nothing is allocated for them, so the cap is far above MaxElements
// (on 32-bit platforms the address space caps mappings anyway).
const MaxMappedElements = 1 << 40

const maxMapped uint64 = min(MaxMappedElements, math.MaxInt)

// faultAround is the resident bytes one row read is counted for beyond its
// own bytes.
const faultAround = 64 << 10

// Mapped is an uncompressed NPY or IDX file mapped read-only into memory,
// read one row at a time: ReadRow decodes, checks and binarises a single row
// into a caller's buffer, so a data set larger than RAM can be trained on
// (it satisfies engine.RowSource) with a resident set that does not grow
// with the file. Values are checked as rows are read: a NaN, Inf or value
// outside [0,1] is an error naming the file, the row and the column. Rows
// and binarisation are those Load gives for the same file and Options.
//
// A Mapped is safe for concurrent use; views made by Split share the
// mapping, and Close unmaps it for all of them (ReadRow then fails).
type Mapped struct {
	name string
	mp   *mapping
	row0 int // first file row of the view
	rows int
	cols int
	t    elemType
	off  int64 // file offset of the first value
	opt  Options
}

// mapping is one mapped file, shared by the views of a Mapped.
type mapping struct {
	path    string
	mu      sync.RWMutex // read: a row is being read; write: Close
	data    []byte
	touched atomic.Int64 // bytes counted resident since the last drop
	drops   atomic.Int64
}

// Map memory-maps the uncompressed NPY or IDX file at path read-only and
// returns its rows (the first opt.Limit with a limit), binarised by
// opt.Binarize as they are read. The header is checked as ReadNPY and
// ReadIDX check it, the file's size against the header exactly, before the
// file is mapped; the values are checked row by row in ReadRow. Other
// files (gzip, CSV) and platforms without mmap give an error wrapping
// ErrNotMappable; format problems wrap ErrFormat.
func Map(path string, opt Options) (*Mapped, error) {
	if opt.Binarize != Threshold && opt.Binarize != Stochastic && opt.Binarize != None {
		return nil, fmt.Errorf("data: unknown binarization %d", int(opt.Binarize))
	}
	if opt.Real {
		return nil, fmt.Errorf("data: real-valued data cannot be memory-mapped; load them (Load with Options.Real)")
	}
	kind, err := sniff(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w: not a regular file", path, ErrNotMappable)
	}
	m := &Mapped{name: path, opt: opt}
	switch kind {
	case "npy":
		l, err := readNPYLayout(path, bufio.NewReader(f), st.Size(), maxMapped)
		if err != nil {
			return nil, err
		}
		m.off, m.rows, m.cols, m.t = l.off, l.rows, l.cols, l.t
	case "idx":
		x, err := readIDXHeader(path, f)
		if err != nil {
			return nil, err
		}
		if x.gz {
			return nil, fmt.Errorf("%s: %w: the file is gzip-compressed", path, ErrNotMappable)
		}
		if nd := len(x.dims); nd != 2 && nd != 3 {
			return nil, fmt.Errorf("%s: %w: IDX file has %d dimensions; want 2 (N×D) or 3 (N×R×C)", path, ErrFormat, nd)
		}
		rows, cols, err := checkShapeMax(path, x.dims, maxMapped)
		if err != nil {
			return nil, err
		}
		m.t = x.elemType()
		if err := x.checkSize(path, rows*cols, m.t.size()); err != nil {
			return nil, err
		}
		m.off, m.rows, m.cols = x.header, rows, cols
	default:
		return nil, fmt.Errorf("%s: %w: only uncompressed NPY and IDX files can be mapped, not %s", path, ErrNotMappable, kind)
	}
	if st.Size() > math.MaxInt {
		return nil, fmt.Errorf("%s: %w: %d bytes is too large to map on this platform", path, ErrNotMappable, st.Size())
	}
	data, err := mmapFile(f, int(st.Size()))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrNotMappable, err)
	}
	m.mp = &mapping{path: path, data: data}
	m.rows = limitRows(m.rows, opt)
	return m, nil
}

// Name returns the file's path (with "/train" or "/val" after Split).
func (m *Mapped) Name() string { return m.name }

// Rows returns the number of rows.
func (m *Mapped) Rows() int { return m.rows }

// Cols returns the number of values a row.
func (m *Mapped) Cols() int { return m.cols }

// ReadRow decodes row i into dst (Cols values), scaled to [0,1], checked
// and binarised as Load would have done it.
func (m *Mapped) ReadRow(i int, dst []float32) error {
	if i < 0 || i >= m.rows {
		return fmt.Errorf("%s: row %d out of range [0, %d)", m.name, i, m.rows)
	}
	if len(dst) != m.cols {
		return fmt.Errorf("%s: row buffer of %d values for %d columns", m.name, len(dst), m.cols)
	}
	mp := m.mp
	mp.mu.RLock()
	defer mp.mu.RUnlock()
	if mp.data == nil {
		return fmt.Errorf("%s: read after Close", mp.path)
	}
	r := m.row0 + i
	size := m.t.size()
	start := m.off + int64(r)*int64(m.cols)*int64(size)
	b := mp.data[start : start+int64(m.cols*size)]
	if bad, msg := decode(dst, b, m.t); bad >= 0 {
		return fmt.Errorf("%s: %w: row %d, column %d: %s", mp.path, ErrFormat, r, bad, msg)
	}
	switch m.opt.Binarize {
	case Threshold:
		for j, x := range dst {
			if x >= 0.5 {
				dst[j] = 1
			} else {
				dst[j] = 0
			}
		}
	case Stochastic:
		rng.NewStream(m.opt.Seed, 0, StochasticPhase).Bernoulli(dst, dst, r, 0)
	}
	if mp.touched.Add(int64(len(b))+faultAround) > residentBudget {
		mp.touched.Store(0)
		mp.drops.Add(1)
		dropPages(mp.data)
	}
	return nil
}

// Split returns the first rows as train and the last round(valFrac·Rows)
// rows as val, as Set.Split does; both share the mapping.
func (m *Mapped) Split(valFrac float64) (train, val *Mapped) {
	if math.IsNaN(valFrac) || valFrac < 0 {
		valFrac = 0
	}
	if valFrac > 1 {
		valFrac = 1
	}
	nVal := int(math.Round(valFrac * float64(m.rows)))
	nTrain := m.rows - nVal
	train = m.view(m.name+"/train", 0, nTrain)
	if nVal == 0 {
		return train, nil
	}
	return train, m.view(m.name+"/val", nTrain, m.rows)
}

func (m *Mapped) view(name string, lo, hi int) *Mapped {
	v := *m
	v.name, v.row0, v.rows = name, m.row0+lo, hi-lo
	return &v
}

// Close unmaps the file; ReadRow fails afterwards, on every view.
func (m *Mapped) Close() error {
	mp := m.mp
	mp.mu.Lock()
	defer mp.mu.Unlock()
	if mp.data == nil {
		return nil
	}
	err := munmap(mp.data)
	mp.data = nil
	return err
}
