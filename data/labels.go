package data

import (
	"bufio"
	"fmt"
	"os"
)

// MaxLabel bounds the labels ReadLabels accepts (0..MaxLabel).
const MaxLabel = MaxStates - 1

// ReadLabels reads one integer label a row from a label file: an IDX label
// file (1-D unsigned bytes, plain or gzip, MNIST's *-labels-idx1-ubyte), an
// integer NPY file (1-D, or 2-D of one column; |u1, |i1, <i2, <i4, <i8 and
// the unsigned and big-endian forms) or CSV text of one integer column (an
// optional header line). Labels must lie in 0..MaxLabel; anything else is
// an error naming the file and the row, wrapping ErrFormat. limit > 0 reads
// the first limit labels only.
func ReadLabels(path string, limit int) ([]int32, error) {
	kind, err := sniff(path)
	if err != nil {
		return nil, err
	}
	var labels []int32
	switch kind {
	case "idx":
		labels, err = ReadIDXLabels(path, limit)
	case "npy":
		labels, err = readLabelsNPY(path, limit)
	default:
		labels, err = readLabelsCSV(path, limit)
	}
	if err != nil {
		return nil, err
	}
	for i, l := range labels {
		if l < 0 || l > MaxLabel {
			return nil, fmt.Errorf("%s: %w: label %d of row %d is not in 0..%d", path, ErrFormat, l, i, MaxLabel)
		}
	}
	return labels, nil
}

func readLabelsNPY(path string, limit int) ([]int32, error) {
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
	l, err := readNPYLayoutShape(path, br, st.Size(), uint64(maxElems), true, true)
	if err != nil {
		return nil, err
	}
	if l.cols != 1 {
		return nil, fmt.Errorf("%s: %w: labels must be one column, the array has %d", path, ErrFormat, l.cols)
	}
	m, err := readValues(path, br, l.t, limitRows(l.rows, Options{Limit: limit}), 1, maxElems)
	if err != nil {
		return nil, err
	}
	out := make([]int32, len(m.Data))
	for i, x := range m.Data {
		if x < 0 || x > MaxLabel {
			return nil, fmt.Errorf("%s: %w: label %v of row %d is not in 0..%d", path, ErrFormat, x, i, MaxLabel)
		}
		out[i] = int32(x)
	}
	return out, nil
}

func readLabelsCSV(path string, limit int) ([]int32, error) {
	s, err := readStatesCSV(path, Options{Limit: limit})
	if err != nil {
		return nil, err
	}
	if s.Cols != 1 {
		return nil, fmt.Errorf("%s: %w: a label file has one column, this one %d", path, ErrFormat, s.Cols)
	}
	out := make([]int32, len(s.Data))
	for i, x := range s.Data {
		out[i] = int32(x)
	}
	return out, nil
}
