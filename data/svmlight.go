package data

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// MaxSVMLightLine caps the length of one line of an svmlight file.
const MaxSVMLightLine = 1 << 26

// ReadSVMLight reads an svmlight/libsvm text file as scikit-learn's
// load_svmlight_file reads one: a line is a label, then index:value pairs
// with 1-based indices in strictly increasing order; text after '#' is a
// comment, and blank or comment-only lines are skipped. A "qid:n" token
// right after the label (ranking data) is read and ignored. Multi-label
// lines ("1,3 ...") and 0-based indices are refused (scikit-learn's
// zero_based="auto" guessing is not done: index 0 is an error).
//
// features > 0 is the width, as scikit-learn's n_features (an index beyond
// it is an error); features == 0 takes the largest index of the file.
// Values must lie in [0,1]; they are then binarised by opt.Binarize (the
// stored zeros dropped). The labels are kept when all are integers in
// int32's range. With opt.Limit only the first rows are read.
//
// The file is read as a stream: memory grows with the nonzeros (4 bytes an
// index, 4 more a value unless all values are 1), never with rows × width.
// A bad line is an error naming the file and the line.
func ReadSVMLight(path string, features int, opt Options) (*CSR, error) {
	if features < 0 || features > MaxSparseCols {
		return nil, fmt.Errorf("%s: width %d: want 0 (the largest index) or 1..%d", path, features, MaxSparseCols)
	}
	f, _, err := statFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(bufio.NewReaderSize(f, 1<<16))
	sc.Buffer(make([]byte, 1<<16), MaxSVMLightLine)
	c := &CSR{Name: path, Indptr: []int64{0}}
	var labels []int32
	intLabels := true
	ones := true // no value other than 1 so far: c.Values stays nil
	maxCol := int32(-1)
	line := 0
	for sc.Scan() {
		line++
		if opt.Limit > 0 && c.Rows >= opt.Limit {
			break
		}
		b := sc.Bytes()
		if i := bytes.IndexByte(b, '#'); i >= 0 {
			b = b[:i]
		}
		tok, rest := nextToken(b)
		if tok == nil {
			continue
		}
		bad := func(format string, a ...any) error {
			return fmt.Errorf("%s: %w: line %d: %s", path, ErrFormat, line, fmt.Sprintf(format, a...))
		}
		if bytes.IndexByte(tok, ':') >= 0 {
			return nil, bad("the label is missing (the first token %q is index:value)", clip(tok))
		}
		if bytes.IndexByte(tok, ',') >= 0 {
			return nil, bad("multi-label line (label %q) is not supported", clip(tok))
		}
		label, err := strconv.ParseFloat(string(tok), 64)
		if err != nil || math.IsNaN(label) {
			return nil, bad("label %q is not a number", clip(tok))
		}
		if intLabels && label == math.Trunc(label) && label >= math.MinInt32 && label <= math.MaxInt32 {
			labels = append(labels, int32(label))
		} else {
			intLabels = false
		}
		prev := int32(-1)
		for first := true; ; first = false {
			tok, rest = nextToken(rest)
			if tok == nil {
				break
			}
			colon := bytes.IndexByte(tok, ':')
			if colon < 0 {
				return nil, bad("token %q is not index:value", clip(tok))
			}
			key, val := tok[:colon], tok[colon+1:]
			if string(key) == "qid" {
				if !first {
					return nil, bad("qid must come right after the label")
				}
				if _, err := strconv.ParseInt(string(val), 10, 64); err != nil {
					return nil, bad("qid %q is not an integer", clip(val))
				}
				continue
			}
			idx, ok := parseIndex(key)
			switch {
			case !ok:
				return nil, bad("index %q is not a positive integer", clip(key))
			case idx == 0:
				return nil, bad("index 0: indices are 1-based")
			case features > 0 && idx > uint64(features):
				return nil, bad("index %d is beyond the width %d", idx, features)
			case idx > MaxSparseCols:
				return nil, bad("index %d is beyond %d", idx, MaxSparseCols)
			}
			j := int32(idx - 1)
			if j == prev {
				return nil, bad("index %d is repeated", idx)
			}
			if j < prev {
				return nil, bad("indices are not increasing (%d after %d)", idx, prev+1)
			}
			prev = j
			x, ok := parseValue(val)
			if !ok {
				return nil, bad("value %q of index %d is not a number", clip(val), idx)
			}
			if !(x >= 0 && x <= 1) {
				return nil, bad("index %d: %s", idx, badValue(x))
			}
			if len(c.Indices) >= maxNNZ {
				return nil, bad("more than %d nonzeros", maxNNZ)
			}
			if ones && x != 1 {
				ones = false
				c.Values = make([]float32, len(c.Indices), cap(c.Indices))
				for k := range c.Values {
					c.Values[k] = 1
				}
			}
			c.Indices = append(c.Indices, j)
			if !ones {
				c.Values = append(c.Values, float32(x))
			}
		}
		maxCol = max(maxCol, prev)
		c.Indptr = append(c.Indptr, int64(len(c.Indices)))
		c.Rows++
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return nil, fmt.Errorf("%s: %w: line %d is longer than %d bytes", path, ErrFormat, line+1, MaxSVMLightLine)
		}
		return nil, readErr(path, err, fmt.Sprintf("line %d", line+1))
	}
	if c.Rows == 0 {
		return nil, fmt.Errorf("%s: %w: no rows (an svmlight file has a line per sample: label index:value ...)", path, ErrFormat)
	}
	c.Cols = features
	if features == 0 {
		c.Cols = int(maxCol) + 1
		if c.Cols == 0 {
			return nil, fmt.Errorf("%s: %w: no nonzero in %d rows and no width given: the width is unknown", path, ErrFormat, c.Rows)
		}
	}
	if intLabels {
		c.Labels = labels
	}
	c.Indptr = shrink(c.Indptr)
	c.Indices = shrink(c.Indices)
	if err := binarizeCSR(c, opt); err != nil {
		return nil, err
	}
	return c, nil
}

// nextToken returns the first space- or tab-separated token of b and what
// follows it; tok is nil when b holds only white space.
func nextToken(b []byte) (tok, rest []byte) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i == len(b) {
		return nil, nil
	}
	j := i
	for j < len(b) && !isSpace(b[j]) {
		j++
	}
	return b[i:j], b[j:]
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }

// parseIndex parses a decimal index without sign; ok is false for anything
// else or a value beyond 2^40.
func parseIndex(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 12 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = 10*v + uint64(c-'0')
	}
	return v, true
}

// parseValue parses a value, "1" and "0" without strconv.
func parseValue(b []byte) (float64, bool) {
	if len(b) == 1 && (b[0] == '0' || b[0] == '1') {
		return float64(b[0] - '0'), true
	}
	x, err := strconv.ParseFloat(string(b), 64)
	return x, err == nil || errors.Is(err, strconv.ErrRange)
}

// clip shortens a token quoted in an error message.
func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
