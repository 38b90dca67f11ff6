package data

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// ReadCSV reads comma-separated text, one sample a row. The first line is
// skipped as a header when any of its cells is not a number; every other row
// must be numeric and as wide as the first. Blank lines and lines starting
// with '#' are ignored. If the largest value exceeds 1 and every value is an
// integer in [0,255] (MNIST CSV pixels), values are divided by 255; otherwise
// they must already lie in [0,1]. That rule never turns on silently: the
// Set's Note says which value (line, column) switched it on, and 0/1 data
// with a few integers above 1 (more ones than values above 1: a stray value,
// or a label column read as a feature) is an error naming the first of them
// and, when they all lie in the last column, suggesting LabelColumn. With opt.LabelColumn the last column is an
// integer label. With opt.Limit reading stops after that many rows.
func ReadCSV(path string, opt Options) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(bufio.NewReaderSize(f, 1<<16))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	cr.Comment = '#'

	var (
		data      []float32
		labels    []int32
		width     = -1 // fields per row, -1 until the first data row
		rows      int
		maxV      float64
		nonInt    = -1   // index of the first non-integer value in data
		overOne   = -1   // index of the first value > 1
		overLine  int    // its line
		nOver     int    // values > 1
		nOnes     int    // values == 1
		lastOnly  = true // every value > 1 is in the last column
		first     = true
		headerRow bool
	)
	bad := func(line, col int, format string, a ...any) error {
		return fmt.Errorf("%s: %w: line %d, column %d: %s", path, ErrFormat, line, col+1, fmt.Sprintf(format, a...))
	}
	for opt.Limit <= 0 || rows < opt.Limit {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s: %w: %v", path, ErrFormat, pe)
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			for _, c := range rec {
				if _, err := strconv.ParseFloat(strings.TrimSpace(c), 64); err != nil {
					headerRow = true
					break
				}
			}
			if headerRow {
				width = len(rec)
				continue
			}
		}
		if width < 0 {
			width = len(rec)
		}
		if len(rec) != width {
			what := "the first row"
			if headerRow {
				what = "the header"
			}
			return nil, fmt.Errorf("%s: %w: line %d has %d fields, but %s has %d", path, ErrFormat, line, len(rec), what, width)
		}
		feat := rec
		if opt.LabelColumn {
			if width < 2 {
				return nil, fmt.Errorf("%s: %w: line %d: LabelColumn needs at least 2 columns, have %d", path, ErrFormat, line, width)
			}
			feat = rec[:width-1]
			l, err := parseLabel(strings.TrimSpace(rec[width-1]))
			if err != nil {
				return nil, bad(line, width-1, "label %q: %v", rec[width-1], err)
			}
			labels = append(labels, l)
		}
		if len(data)+len(feat) > maxElems {
			return nil, fmt.Errorf("%s: %w: more than %d values", path, ErrFormat, maxElems)
		}
		for j, c := range feat {
			c = strings.TrimSpace(c)
			x, err := strconv.ParseFloat(c, 64)
			switch {
			case err != nil && c == "":
				return nil, bad(line, j, "empty cell")
			case err != nil:
				return nil, bad(line, j, "%q is not a number", c)
			case math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > math.MaxFloat32:
				return nil, bad(line, j, "%s", badValue(x))
			case opt.Real:
				data = append(data, float32(x))
				continue
			case x < 0:
				return nil, bad(line, j, "value %v is negative", x)
			case x > 255 || x > 1 && x != math.Trunc(x):
				return nil, bad(line, j, "value %v outside [0,1] and not an integer pixel in [0,255]", x)
			}
			if x > maxV {
				maxV = x
			}
			switch {
			case x == 1:
				nOnes++
			case x > 1:
				nOver++
				lastOnly = lastOnly && j == len(feat)-1
				if overOne < 0 {
					overOne, overLine = len(data), line
				}
			}
			if x != math.Trunc(x) && nonInt < 0 {
				nonInt = len(data)
			}
			data = append(data, float32(x))
		}
		rows++
	}
	if rows == 0 {
		return nil, fmt.Errorf("%s: %w: no data rows", path, ErrFormat)
	}
	cols := len(data) / rows
	if cols == 0 {
		return nil, fmt.Errorf("%s: %w: no feature columns", path, ErrFormat)
	}
	if maxV > 1 {
		if nonInt >= 0 {
			return nil, fmt.Errorf("%s: %w: values mix [0,1] fractions (row %d, column %d: %v) with values above 1 (row %d, column %d: %v); want all in [0,1] or all integer pixels in [0,255]",
				path, ErrFormat, nonInt/cols, nonInt%cols+1, data[nonInt], overOne/cols, overOne%cols+1, data[overOne])
		}
		first := fmt.Sprintf("line %d, column %d: %v", overLine, overOne%cols+1, data[overOne])
		if nOnes > nOver {
			hint := "want all values in [0,1], or all integer pixels in [0,255]"
			if lastOnly && cols > 1 {
				hint = fmt.Sprintf("all of them are in the last column (%d): if it is a label, read it as one (--label-column); otherwise %s", cols, hint)
			}
			return nil, fmt.Errorf("%s: %w: 0/1 values with %d integers above 1 (the first at %s), not 0..255 pixels: %s",
				path, ErrFormat, nOver, first, hint)
		}
		for i, x := range data {
			data[i] = u8Scale[int(x)]
		}
		s, err := finish(path, Matrix{Rows: rows, Cols: cols, Data: data}, labels, opt)
		if s != nil {
			s.Note = fmt.Sprintf("%s: integer values up to %v (the first above 1 at %s): read as 0..255 pixels and divided by 255", path, maxV, first)
		}
		return s, err
	}
	return finish(path, Matrix{Rows: rows, Cols: cols, Data: data}, labels, opt)
}

// parseLabel parses an integer label, accepting integral floats like "7.0".
func parseLabel(s string) (int32, error) {
	if v, err := strconv.ParseInt(s, 10, 32); err == nil {
		return int32(v), nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || x != math.Trunc(x) || x < math.MinInt32 || x > math.MaxInt32 {
		return 0, fmt.Errorf("not an integer")
	}
	return int32(x), nil
}
