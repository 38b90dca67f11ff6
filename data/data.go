package data

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/boltzgo/boltz/rng"
)

// ErrFormat is wrapped by every error about a malformed or unsupported file,
// so callers can test for it with errors.Is.
var ErrFormat = errors.New("data: bad format")

// MaxElements caps the number of values (rows × columns) a file may claim.
// A header claiming more is rejected before anything is allocated.
const MaxElements = 1 << 31

// maxElems is MaxElements as an int (MaxInt on 32-bit platforms).
const maxElems int = min(MaxElements, math.MaxInt)

// Matrix is a dense row-major float32 matrix: row r is Data[r*Cols:(r+1)*Cols].
type Matrix struct {
	Rows, Cols int
	Data       []float32
}

// Row returns row r of m, sharing m's storage.
func (m Matrix) Row(r int) []float32 { return m.Data[r*m.Cols : (r+1)*m.Cols : (r+1)*m.Cols] }

// Set is a loaded data set: X has values in [0,1]; Labels is nil or has
// X.Rows entries.
type Set struct {
	Name   string  // "mnist", "mnist-test" or the file's path
	X      Matrix  // one sample a row
	Labels []int32 // nil, or one label a row
	// Note, when not empty, says how the values were read where the file
	// did not say so itself (a CSV file read as 0..255 pixels), for the
	// user to see.
	Note string
}

// Binarize says how grey levels in [0,1] are turned into visible-unit values.
type Binarize int

const (
	// Threshold sets a value to 1 where x >= 0.5 and to 0 elsewhere.
	Threshold Binarize = iota
	// Stochastic sets a value to 1 where u < x, with u uniform in [0,1) drawn
	// from rng.NewStream(Options.Seed, 0, StochasticPhase) at (row, column).
	Stochastic
	// None keeps grey levels, to be used as probabilities.
	None
)

// StochasticPhase is the rng phase ("bin") of the stream Stochastic draws from.
const StochasticPhase = 0x62696e

// String returns "threshold", "stochastic" or "none".
func (b Binarize) String() string {
	switch b {
	case Threshold:
		return "threshold"
	case Stochastic:
		return "stochastic"
	case None:
		return "none"
	}
	return fmt.Sprintf("Binarize(%d)", int(b))
}

// ParseBinarize parses the names String returns.
func ParseBinarize(s string) (Binarize, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "threshold":
		return Threshold, nil
	case "stochastic":
		return Stochastic, nil
	case "none":
		return None, nil
	}
	return 0, fmt.Errorf("data: unknown binarization %q (want threshold, stochastic or none)", s)
}

// Options control how a data set is read.
type Options struct {
	// Limit > 0 keeps only the first Limit rows; readers read no further
	// than those rows (for CSV, the pixel-scale decision is then made on
	// the rows read). Limit <= 0 reads all rows.
	Limit int
	// Binarize is applied after scaling to [0,1]. The zero value is Threshold.
	Binarize Binarize
	// Seed seeds the Stochastic binarization.
	Seed uint64
	// LabelColumn (CSV only) says the last column is an integer label, not a
	// feature.
	LabelColumn bool
	// Real reads real-valued data (for Gaussian visible units): float
	// values may be any finite number, CSV values are never read as
	// 0..255 pixels, and nothing is binarised (Binarize is ignored);
	// unsigned bytes are still scaled by 1/255. Map refuses it.
	Real bool
}

// Load reads a data set. spec is "mnist" (the 60,000 MNIST training images
// with labels), "mnist-test" (the 10,000 test images with labels) or a file
// path. A file's format is found from its content and then its extension:
// IDX (magic 00 00 type ndims, plain or gzip-compressed, .idx, *-ubyte,
// optional .gz), NPY (.npy) or CSV (.csv, .txt).
func Load(spec string, opt Options) (*Set, error) {
	switch spec {
	case "mnist", "mnist-test":
		return loadMNIST(spec, opt)
	}
	if f := SparseFormat(spec); f != "" {
		return nil, fmt.Errorf("%s: %w: a sparse %s file; LoadCSR reads it (the train, eval and transform commands take it)", spec, ErrFormat, f)
	}
	kind, err := sniff(spec)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "idx":
		return ReadIDX(spec, opt)
	case "npy":
		return ReadNPY(spec, opt)
	default:
		return ReadCSV(spec, opt)
	}
}

// sniff decides a file's format from its first bytes, then its name.
func sniff(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var head [8]byte
	n, err := f.Read(head[:])
	if n == 0 {
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		return "", fmt.Errorf("%s: %w: empty file", path, ErrFormat)
	}
	h := head[:n]
	switch {
	case strings.HasPrefix(string(h), npyMagic):
		return "npy", nil
	case len(h) >= 2 && h[0] == 0x1f && h[1] == 0x8b:
		return "idx", nil
	case len(h) >= 3 && h[0] == 0 && h[1] == 0 && (h[2] == idxU8 || h[2] == idxF32 || h[2] == idxF64):
		return "idx", nil
	}
	name := strings.ToLower(filepath.Base(path))
	name = strings.TrimSuffix(name, ".gz")
	switch {
	case strings.HasSuffix(name, ".npy"):
		return "npy", nil
	case strings.HasSuffix(name, ".idx") || strings.Contains(name, "-ubyte") || strings.Contains(name, ".idx"):
		return "idx", nil
	case strings.HasSuffix(name, ".csv") || strings.HasSuffix(name, ".txt"):
		return "csv", nil
	}
	for _, c := range h {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c >= 0x7f {
			return "", fmt.Errorf("%s: %w: unknown format (not IDX, NPY or CSV)", path, ErrFormat)
		}
	}
	return "csv", nil
}

// Split returns the first rows of s as train and the last
// round(valFrac·Rows) rows as val, deterministically (no shuffling). Both
// share s's storage. valFrac is clamped to [0,1]; when no row goes to
// validation, val is nil.
func (s *Set) Split(valFrac float64) (train, val *Set) {
	if math.IsNaN(valFrac) || valFrac < 0 {
		valFrac = 0
	}
	if valFrac > 1 {
		valFrac = 1
	}
	nVal := int(math.Round(valFrac * float64(s.X.Rows)))
	nTrain := s.X.Rows - nVal
	train = s.rows(s.Name+"/train", 0, nTrain)
	if nVal == 0 {
		return train, nil
	}
	return train, s.rows(s.Name+"/val", nTrain, s.X.Rows)
}

// rows returns rows [lo,hi) of s, sharing storage.
func (s *Set) rows(name string, lo, hi int) *Set {
	c := s.X.Cols
	out := &Set{Name: name, X: Matrix{Rows: hi - lo, Cols: c, Data: s.X.Data[lo*c : hi*c : hi*c]}, Note: s.Note}
	if s.Labels != nil {
		out.Labels = s.Labels[lo:hi:hi]
	}
	return out
}

// binarize applies opt.Binarize to m in place.
func binarize(m Matrix, opt Options) error {
	switch opt.Binarize {
	case None:
	case Threshold:
		for i, x := range m.Data {
			if x >= 0.5 {
				m.Data[i] = 1
			} else {
				m.Data[i] = 0
			}
		}
	case Stochastic:
		s := rng.NewStream(opt.Seed, 0, StochasticPhase)
		u := make([]float32, m.Cols)
		for r := 0; r < m.Rows; r++ {
			s.Uniforms(u, r, 0)
			row := m.Row(r)
			for j, x := range row {
				if u[j] < x {
					row[j] = 1
				} else {
					row[j] = 0
				}
			}
		}
	default:
		return fmt.Errorf("data: unknown binarization %d", int(opt.Binarize))
	}
	return nil
}

// finish binarizes x (unless opt.Real) and builds the Set.
func finish(path string, x Matrix, labels []int32, opt Options) (*Set, error) {
	if opt.Real {
		return &Set{Name: path, X: x, Labels: labels}, nil
	}
	if err := binarize(x, opt); err != nil {
		return nil, err
	}
	return &Set{Name: path, X: x, Labels: labels}, nil
}
