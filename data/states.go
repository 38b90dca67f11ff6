package data

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Categorical data: rows of n integer states (positions), for categorical
// (Potts) visible units, from integer NPY files, CSV text of integers, or
// aligned FASTA files of protein sequences.

// MaxStates bounds the states a categorical file may hold (0..MaxStates−1).
const MaxStates = 1024

// ProteinAlphabet is the alphabet of aligned FASTA files: the 20 amino
// acids and the gap, state i is the i-th letter (q = 21).
const ProteinAlphabet = "ACDEFGHIKLMNPQRSTVWY-"

// States is a loaded categorical data set: Data holds Rows×Cols states
// (row-major), each in 0..Q−1.
type States struct {
	Name       string
	Rows, Cols int
	Data       []uint16
	// Q is the number of states: len(ProteinAlphabet) for FASTA, the
	// largest state plus one for integer files.
	Q int
	// Records names the FASTA record of each row (nil for other files).
	Records []string
}

// IsFASTA reports whether path looks like a FASTA file: its first
// non-blank byte is '>', or its name ends in .fasta, .fa, .faa, .afa, .aln
// or .a2m.
func IsFASTA(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".fasta", ".fa", ".faa", ".afa", ".aln", ".a2m":
		return true
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [256]byte
	n, _ := f.Read(head[:])
	t := bytes.TrimLeft(head[:n], " \t\r\n")
	return len(t) > 0 && t[0] == '>'
}

// ReadStates reads categorical data: an aligned FASTA file (IsFASTA), an
// integer NPY file (2-D, C order, dtypes |u1, |i1, <i2, <i4, <i8 and the
// unsigned and big-endian forms) or CSV text of integers (an optional
// header, one row of states a line). States must lie in 0..MaxStates−1.
// opt.Limit keeps the first rows; the other options do not apply.
func ReadStates(path string, opt Options) (*States, error) {
	if IsFASTA(path) {
		return ReadFASTA(path, opt)
	}
	kind, err := sniff(path)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "npy":
		return readStatesNPY(path, opt)
	case "csv":
		return readStatesCSV(path, opt)
	}
	return nil, fmt.Errorf("%s: %w: categorical data must be FASTA, integer NPY or CSV, not %s", path, ErrFormat, strings.ToUpper(kind))
}

func readStatesNPY(path string, opt Options) (*States, error) {
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
	l, err := readNPYLayoutOf(path, br, st.Size(), uint64(maxElems), true)
	if err != nil {
		return nil, err
	}
	m, err := readValues(path, br, l.t, limitRows(l.rows, opt), l.cols, maxElems)
	if err != nil {
		return nil, err
	}
	s := &States{Name: path, Rows: m.Rows, Cols: m.Cols, Data: make([]uint16, len(m.Data))}
	for i, x := range m.Data {
		s.Data[i] = uint16(x)
	}
	s.Q = s.maxState() + 1
	return s, nil
}

func (s *States) maxState() int {
	m := 0
	for _, x := range s.Data {
		m = max(m, int(x))
	}
	return m
}

func readStatesCSV(path string, opt Options) (*States, error) {
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
	s := &States{Name: path}
	first := true
	for opt.Limit <= 0 || s.Rows < opt.Limit {
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
			header := false
			for _, c := range rec {
				if _, err := strconv.ParseFloat(strings.TrimSpace(c), 64); err != nil {
					header = true
				}
			}
			if header {
				continue
			}
		}
		if s.Cols == 0 {
			s.Cols = len(rec)
		}
		if len(rec) != s.Cols {
			return nil, fmt.Errorf("%s: %w: line %d has %d fields, the first row %d", path, ErrFormat, line, len(rec), s.Cols)
		}
		if len(s.Data)+len(rec) > maxElems {
			return nil, fmt.Errorf("%s: %w: more than %d values", path, ErrFormat, maxElems)
		}
		for j, c := range rec {
			c = strings.TrimSpace(c)
			x, err := strconv.ParseFloat(c, 64)
			if err != nil || x != math.Trunc(x) || x < 0 || x >= MaxStates {
				return nil, fmt.Errorf("%s: %w: line %d, column %d: %q is not a state in 0..%d", path, ErrFormat, line, j+1, c, MaxStates-1)
			}
			s.Data = append(s.Data, uint16(x))
		}
		s.Rows++
	}
	if s.Rows == 0 || s.Cols == 0 {
		return nil, fmt.Errorf("%s: %w: no data rows", path, ErrFormat)
	}
	s.Q = s.maxState() + 1
	return s, nil
}

// maxFASTALine caps the length of one line of a FASTA file.
const maxFASTALine = 1 << 24

// ReadFASTA reads an aligned FASTA file: records of a '>' header line and
// sequence lines (concatenated; blanks ignored), every sequence of the same
// length, in the letters of ProteinAlphabet (upper case; '-' the gap). A
// letter outside the alphabet, a record of another length, an empty
// sequence or text before the first header is an error naming the record.
// opt.Limit keeps the first records.
func ReadFASTA(path string, opt Options) (*States, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var code [256]int16
	for i := range code {
		code[i] = -1
	}
	for i := 0; i < len(ProteinAlphabet); i++ {
		code[ProteinAlphabet[i]] = int16(i)
	}
	sc := bufio.NewScanner(bufio.NewReaderSize(f, 1<<16))
	sc.Buffer(make([]byte, 1<<16), maxFASTALine)
	s := &States{Name: path, Q: len(ProteinAlphabet)}
	var (
		name   string
		n      int // letters of the current record
		inRec  bool
		lineNo int
	)
	end := func() error {
		if !inRec {
			return nil
		}
		switch {
		case n == 0:
			return fmt.Errorf("%s: %w: record %d (%q) has an empty sequence", path, ErrFormat, s.Rows+1, name)
		case s.Rows == 0:
			s.Cols = n
		case n != s.Cols:
			return fmt.Errorf("%s: %w: record %d (%q) has %d letters, the first record %d: the sequences must be aligned (all of one length)", path, ErrFormat, s.Rows+1, name, n, s.Cols)
		}
		s.Rows++
		s.Records = append(s.Records, name)
		return nil
	}
	for sc.Scan() {
		lineNo++
		line := bytes.TrimRight(sc.Bytes(), "\r")
		if len(line) > 0 && line[0] == '>' {
			if err := end(); err != nil {
				return nil, err
			}
			if opt.Limit > 0 && s.Rows >= opt.Limit {
				inRec = false
				break
			}
			name = strings.TrimSpace(string(line[1:]))
			if len(name) > 200 {
				name = name[:200]
			}
			n, inRec = 0, true
			continue
		}
		for i, c := range line {
			if c == ' ' || c == '\t' {
				continue
			}
			if !inRec {
				return nil, fmt.Errorf("%s: %w: line %d: sequence text before the first '>' header (not a FASTA file?)", path, ErrFormat, lineNo)
			}
			k := code[c]
			if k < 0 {
				return nil, fmt.Errorf("%s: %w: record %d (%q), line %d, column %d: letter %q is not in the alphabet %s", path, ErrFormat, s.Rows+1, name, lineNo, i+1, rune(c), ProteinAlphabet)
			}
			if len(s.Data) >= maxElems {
				return nil, fmt.Errorf("%s: %w: more than %d letters", path, ErrFormat, maxElems)
			}
			if s.Rows > 0 && n >= s.Cols {
				return nil, fmt.Errorf("%s: %w: record %d (%q) has more than the %d letters of the first record: the sequences must be aligned (all of one length)", path, ErrFormat, s.Rows+1, name, s.Cols)
			}
			s.Data = append(s.Data, uint16(k))
			n++
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s: %w: line %d is longer than %d bytes", path, ErrFormat, lineNo+1, maxFASTALine)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := end(); err != nil {
		return nil, err
	}
	if s.Rows == 0 {
		return nil, fmt.Errorf("%s: %w: no FASTA records", path, ErrFormat)
	}
	return s, nil
}

// OneHot returns the rows of s as one-hot vectors of q states a position
// (Rows × Cols·q values, unit position·q + state), for categorical visible
// units; a state ≥ q is an error naming its row and position.
func (s *States) OneHot(q int) ([]float32, error) {
	if q < 2 || q > MaxStates {
		return nil, fmt.Errorf("data: %d states: want 2..%d", q, MaxStates)
	}
	if int64(len(s.Data))*int64(q) > int64(maxElems) {
		return nil, fmt.Errorf("%s: %w: %d positions of %d states is more than %d values", s.Name, ErrFormat, len(s.Data), q, maxElems)
	}
	x := make([]float32, len(s.Data)*q)
	for i, v := range s.Data {
		if int(v) >= q {
			what := ""
			if s.Records != nil {
				what = fmt.Sprintf(" (%q)", s.Records[i/s.Cols])
			}
			return nil, fmt.Errorf("%s: %w: row %d%s, position %d: state %d is not below the %d states", s.Name, ErrFormat, i/s.Cols, what, i%s.Cols, v, q)
		}
		x[i*q+int(v)] = 1
	}
	return x, nil
}
