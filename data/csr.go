package data

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/boltzgo/boltz/rng"
)

// CSR is a sparse matrix in compressed sparse row form, as scipy.sparse
// holds one: the nonzeros of row r are at Indices[Indptr[r]:Indptr[r+1]]
// (0-based columns, strictly increasing) with the values
// Values[Indptr[r]:Indptr[r+1]]. Values is nil when every stored value is 1
// (binary data, the common case after binarisation), which halves the
// memory. Its memory is 8·(Rows+1) + 4·NNZ (+ 4·NNZ with Values) bytes: it
// is never densified whole. ReadRow and Densify write dense rows into a
// caller's buffer, one row or one minibatch at a time; engine.CSR takes
// the slices in place as a row source for training.
//
// The readers (ReadSVMLight, ReadNPZ) return a checked CSR; one built by
// hand should be checked with Validate before use. A CSR is safe for
// concurrent reads.
type CSR struct {
	Name       string // the file's path
	Rows, Cols int
	Indptr     []int64   // Rows+1 offsets into Indices, from 0 to NNZ
	Indices    []int32   // the columns of the nonzeros
	Values     []float32 // nil: all ones; else one value in [0,1] a nonzero
	// Labels is nil, or the label of each row (svmlight files' first
	// token, when every label is an integer in int32's range).
	Labels []int32
}

// MaxSparseCols caps the width of a CSR matrix: column indices are int32.
const MaxSparseCols = math.MaxInt32

// MaxNonzeros caps the nonzeros a sparse file may hold (or claim, for an
// npz array's header).
const MaxNonzeros = 1 << 33

// maxNNZ is MaxNonzeros as an int (MaxInt on 32-bit platforms).
const maxNNZ int = min(MaxNonzeros, math.MaxInt)

// NNZ returns the number of stored entries.
func (c *CSR) NNZ() int {
	if len(c.Indptr) == 0 {
		return 0
	}
	return int(c.Indptr[len(c.Indptr)-1] - c.Indptr[0])
}

// SparseRow returns the columns and values of the nonzeros of row r, sharing c's
// storage; val is nil when c's values are all ones.
func (c *CSR) SparseRow(r int) (idx []int32, val []float32) {
	lo, hi := c.Indptr[r], c.Indptr[r+1]
	idx = c.Indices[lo:hi:hi]
	if c.Values != nil {
		val = c.Values[lo:hi:hi]
	}
	return idx, val
}

// ReadRow writes row r densely into dst (Cols values): zeros, then the
// row's nonzeros.
func (c *CSR) ReadRow(r int, dst []float32) error {
	if r < 0 || r >= c.Rows || len(dst) != c.Cols {
		return fmt.Errorf("%s: row %d of %d into %d values (want %d)", c.Name, r, c.Rows, len(dst), c.Cols)
	}
	c.scatter(r, dst)
	return nil
}

func (c *CSR) scatter(r int, dst []float32) {
	clear(dst)
	idx, val := c.SparseRow(r)
	if val == nil {
		for _, j := range idx {
			dst[j] = 1
		}
		return
	}
	for k, j := range idx {
		dst[j] = val[k]
	}
}

// Densify writes rows [r0, r1) densely into dst, row-major with Cols values
// a row: one minibatch at a time, into a buffer the caller reuses.
func (c *CSR) Densify(r0, r1 int, dst []float32) error {
	if r0 < 0 || r1 < r0 || r1 > c.Rows || len(dst) != (r1-r0)*c.Cols {
		return fmt.Errorf("%s: rows [%d, %d) of %d into %d values (want %d)", c.Name, r0, r1, c.Rows, len(dst), max(r1-r0, 0)*c.Cols)
	}
	for r := r0; r < r1; r++ {
		c.scatter(r, dst[(r-r0)*c.Cols:(r-r0+1)*c.Cols])
	}
	return nil
}

// Dense returns the whole matrix densified (Rows·Cols values): for small
// data and tests only.
func (c *CSR) Dense() Matrix {
	m := Matrix{Rows: c.Rows, Cols: c.Cols, Data: make([]float32, c.Rows*c.Cols)}
	c.Densify(0, c.Rows, m.Data)
	return m
}

// Split returns the first rows of c as train and the last
// round(valFrac·Rows) as val, as Set.Split does, sharing c's storage; val
// is nil when no row goes to validation.
func (c *CSR) Split(valFrac float64) (train, val *CSR) {
	if math.IsNaN(valFrac) || valFrac < 0 {
		valFrac = 0
	}
	valFrac = min(valFrac, 1)
	nVal := int(math.Round(valFrac * float64(c.Rows)))
	nTrain := c.Rows - nVal
	train = c.slice(c.Name+"/train", 0, nTrain)
	if nVal == 0 {
		return train, nil
	}
	return train, c.slice(c.Name+"/val", nTrain, c.Rows)
}

// slice returns rows [lo, hi) of c, sharing storage (Indptr keeps its
// absolute offsets).
func (c *CSR) slice(name string, lo, hi int) *CSR {
	out := *c
	out.Name, out.Rows = name, hi-lo
	out.Indptr = c.Indptr[lo : hi+1 : hi+1]
	if c.Labels != nil {
		out.Labels = c.Labels[lo:hi:hi]
	}
	return &out
}

// Validate checks c's invariants: Rows+1 non-decreasing offsets within
// Indices, columns strictly increasing within a row and inside [0, Cols),
// values (when present) in [0,1], labels one a row. The error names the
// first offending row.
func (c *CSR) Validate() error {
	name := c.Name
	if name == "" {
		name = "csr"
	}
	switch {
	case c.Rows < 0 || c.Cols < 0 || c.Cols > MaxSparseCols:
		return fmt.Errorf("%s: %w: shape %d×%d", name, ErrFormat, c.Rows, c.Cols)
	case len(c.Indptr) != c.Rows+1:
		return fmt.Errorf("%s: %w: %d row offsets for %d rows (want %d)", name, ErrFormat, len(c.Indptr), c.Rows, c.Rows+1)
	case c.Indptr[0] < 0 || c.Indptr[c.Rows] > int64(len(c.Indices)):
		return fmt.Errorf("%s: %w: row offsets %d..%d outside the %d indices", name, ErrFormat, c.Indptr[0], c.Indptr[c.Rows], len(c.Indices))
	case c.Values != nil && len(c.Values) != len(c.Indices):
		return fmt.Errorf("%s: %w: %d values for %d indices", name, ErrFormat, len(c.Values), len(c.Indices))
	case c.Labels != nil && len(c.Labels) != c.Rows:
		return fmt.Errorf("%s: %w: %d labels for %d rows", name, ErrFormat, len(c.Labels), c.Rows)
	}
	for r := 0; r < c.Rows; r++ {
		lo, hi := c.Indptr[r], c.Indptr[r+1]
		if hi < lo {
			return fmt.Errorf("%s: %w: row %d: offsets decrease (%d after %d)", name, ErrFormat, r, hi, lo)
		}
		prev := int32(-1)
		for k := lo; k < hi; k++ {
			j := c.Indices[k]
			if err := checkColumn(j, prev, c.Cols); err != "" {
				return fmt.Errorf("%s: %w: row %d: %s", name, ErrFormat, r, err)
			}
			prev = j
			if c.Values != nil {
				if x := c.Values[k]; !(x >= 0 && x <= 1) {
					return fmt.Errorf("%s: %w: row %d, column %d: %s", name, ErrFormat, r, j, badValue(float64(x)))
				}
			}
		}
	}
	return nil
}

// checkColumn describes what is wrong with column j after column prev in a
// row of a cols-wide matrix, or returns "".
func checkColumn(j, prev int32, cols int) string {
	switch {
	case j < 0:
		return fmt.Sprintf("column %d is negative", j)
	case int(j) >= cols:
		return fmt.Sprintf("column %d is beyond the width %d", j, cols)
	case j == prev:
		return fmt.Sprintf("column %d is repeated", j)
	case j < prev:
		return fmt.Sprintf("columns are not increasing (%d after %d)", j, prev)
	}
	return ""
}

// binarizeCSR applies opt.Binarize to c's values in place (Stochastic draws
// the uniform of (row, column) that the dense readers draw, so a sparse and
// a dense file of the same data binarise alike), then drops the stored
// zeros and, when every value left is 1, the values.
func binarizeCSR(c *CSR, opt Options) error {
	if c.Values == nil {
		return nil
	}
	switch opt.Binarize {
	case None:
	case Threshold:
		for k, x := range c.Values {
			c.Values[k] = float32(b2i(x >= 0.5))
		}
	case Stochastic:
		s := rng.NewStream(opt.Seed, 0, StochasticPhase)
		for r := 0; r < c.Rows; r++ {
			for k := c.Indptr[r]; k < c.Indptr[r+1]; k++ {
				u := rng.Uniform(s.Uint32(r, int(c.Indices[k])))
				c.Values[k] = float32(b2i(u < c.Values[k]))
			}
		}
	default:
		return fmt.Errorf("data: unknown binarization %d", int(opt.Binarize))
	}
	compactCSR(c)
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// compactCSR drops c's stored zeros in place and sets Values to nil when
// every value left is 1.
func compactCSR(c *CSR) {
	ones := true
	w := int64(0)
	for r := 0; r < c.Rows; r++ {
		lo, hi := c.Indptr[r], c.Indptr[r+1]
		c.Indptr[r] = w
		for k := lo; k < hi; k++ {
			if x := c.Values[k]; x != 0 {
				ones = ones && x == 1
				c.Indices[w], c.Values[w] = c.Indices[k], x
				w++
			}
		}
	}
	c.Indptr[c.Rows] = w
	c.Indices = shrink(c.Indices[:w])
	if ones {
		c.Values = nil
	} else {
		c.Values = shrink(c.Values[:w])
	}
}

// shrink returns x in a slice of its own length when x uses less than
// three quarters of its capacity, so that what a reader's appends left
// over is given back.
func shrink[T any](x []T) []T {
	if len(x) >= cap(x)/4*3 {
		return x
	}
	return append(make([]T, 0, len(x)), x...)
}

// IsSparse reports whether path names a sparse file by its extension:
// .svm, .svmlight, .libsvm (svmlight text) or .npz (scipy's CSR).
func IsSparse(path string) bool { return SparseFormat(path) != "" }

// SparseFormat returns "svmlight" or "npz" for a sparse file's name, "" for
// any other.
func SparseFormat(path string) string {
	name := strings.ToLower(filepath.Base(path))
	switch filepath.Ext(name) {
	case ".svm", ".svmlight", ".libsvm":
		return "svmlight"
	case ".npz":
		return "npz"
	}
	return ""
}

// LoadCSR reads a sparse file: an .npz file (ReadNPZ) or, for any other
// name, svmlight text (ReadSVMLight, with features as its n_features).
// format, when not empty, overrides the extension: "svmlight" or "npz".
func LoadCSR(path, format string, features int, opt Options) (*CSR, error) {
	if format == "" {
		format = SparseFormat(path)
	}
	if opt.Real {
		return nil, fmt.Errorf("%s: sparse files hold values in [0,1] for bernoulli units; real-valued sparse data are not supported", path)
	}
	switch format {
	case "npz":
		if features > 0 {
			return nil, fmt.Errorf("%s: the width of an npz file is its shape; --features is for svmlight files", path)
		}
		return ReadNPZ(path, opt)
	case "svmlight", "":
		return ReadSVMLight(path, features, opt)
	}
	return nil, fmt.Errorf("data: unknown sparse format %q (want svmlight or npz)", format)
}

// statFile opens path and returns it with its size.
func statFile(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w: a directory, not a file", path, ErrFormat)
	}
	return f, st.Size(), nil
}
