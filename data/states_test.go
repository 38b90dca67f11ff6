package data

import (
	"encoding/binary"
	"strings"
	"testing"
)

// TestReadFASTA reads an aligned FASTA file with wrapped lines, blank
// lines and CRLF endings, and checks the states, names and q = 21.
func TestReadFASTA(t *testing.T) {
	p := writeTemp(t, "aln.fasta", []byte(">seq1 first\r\nAC-D\r\nEF\r\n\n>seq2\nWY--\nAC\n>seq3\nACDEFG\n"))
	s, err := ReadFASTA(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != 3 || s.Cols != 6 || s.Q != 21 || len(s.Records) != 3 || s.Records[0] != "seq1 first" {
		t.Fatalf("got %d×%d q=%d records %q", s.Rows, s.Cols, s.Q, s.Records)
	}
	want := []uint16{0, 1, 20, 2, 3, 4, 18, 19, 20, 20, 0, 1, 0, 1, 2, 3, 4, 5}
	for i, w := range want {
		if s.Data[i] != w {
			t.Fatalf("state %d = %d, want %d", i, s.Data[i], w)
		}
	}
	if s2, err := ReadStates(p, Options{Limit: 2}); err != nil || s2.Rows != 2 {
		t.Fatalf("ReadStates with limit 2: %v rows, %v", s2, err)
	}
	x, err := s.OneHot(21)
	if err != nil || len(x) != 3*6*21 || x[2*21+20] != 1 || x[0] != 1 || x[1] != 0 {
		t.Fatalf("one-hot: %v", err)
	}
}

// TestReadFASTARejects: a letter outside the alphabet names the record,
// records of unequal length are errors both ways, and so are an empty
// sequence, text before the first header and an empty file.
func TestReadFASTARejects(t *testing.T) {
	for name, c := range map[string]struct{ text, want string }{
		"letter":   {">a\nACD\n>bad one\nACX\n", `record 2 ("bad one")`},
		"lower":    {">a\nacd\n", `letter 'a' is not in the alphabet`},
		"shorter":  {">a\nACDE\n>b\nAC\n", `record 2 ("b") has 2 letters, the first record 4`},
		"longer":   {">a\nAC\n>b\nACDE\n", `record 2 ("b") has more than the 2 letters`},
		"empty":    {">a\nAC\n>b\n>c\nAC\n", `record 2 ("b") has an empty sequence`},
		"preamble": {"AC\n>a\nAC\n", "before the first '>'"},
		"none":     {"\n\n", "no FASTA records"},
	} {
		p := writeTemp(t, "x.fa", []byte(c.text))
		_, err := ReadFASTA(p, Options{})
		wantFormatErr(t, err, p, c.want)
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: a multi-line error %q", name, err)
		}
	}
}

// TestReadStatesNPYAndCSV reads integer NPY files of several dtypes and CSV
// text of integers, and refuses negative, too large and fractional states
// and float dtypes.
func TestReadStatesNPYAndCSV(t *testing.T) {
	vals := []int64{0, 2, 1, 3, 3, 0}
	for _, d := range []string{"|u1", "|i1", "<i2", ">i2", "<i4", "<u4", "<i8"} {
		size := int(d[2] - '0')
		var payload []byte
		for _, v := range vals {
			b := make([]byte, 8)
			if d[0] == '>' {
				binary.BigEndian.PutUint64(b, uint64(v))
				b = b[8-size:]
			} else {
				binary.LittleEndian.PutUint64(b, uint64(v))
				b = b[:size]
			}
			payload = append(payload, b...)
		}
		p := writeTemp(t, "s.npy", npyBytes(1, npyDict(d, false, "(2, 3)"), payload))
		s, err := ReadStates(p, Options{})
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if s.Rows != 2 || s.Cols != 3 || s.Q != 4 {
			t.Fatalf("%s: %d×%d q=%d", d, s.Rows, s.Cols, s.Q)
		}
		for i, v := range vals {
			if int64(s.Data[i]) != v {
				t.Fatalf("%s: state %d = %d, want %d", d, i, s.Data[i], v)
			}
		}
		if _, err := s.OneHot(3); err == nil || !strings.Contains(err.Error(), "state 3 is not below the 3 states") {
			t.Errorf("%s: one-hot with too few states: %v", d, err)
		}
	}
	neg := writeTemp(t, "n.npy", npyBytes(1, npyDict("<i2", false, "(1, 2)"), []byte{1, 0, 0xff, 0xff}))
	_, err := ReadStates(neg, Options{})
	wantFormatErr(t, err, neg, "state -1 outside")
	fl := writeTemp(t, "f.npy", npyBytes(1, npyDict("<f4", false, "(1, 1)"), f32s(false, 1)))
	_, err = ReadStates(fl, Options{})
	wantFormatErr(t, err, fl, "not an integer dtype")

	p := writeTemp(t, "s.csv", []byte("a,b,c\n0,1,2\n2,2,0\n"))
	s, err := ReadStates(p, Options{})
	if err != nil || s.Rows != 2 || s.Cols != 3 || s.Q != 3 || s.Data[3] != 2 {
		t.Fatalf("csv: %+v %v", s, err)
	}
	for _, bad := range []string{"0,1\n1,-1\n", "0,1.5\n", "0,1\n2\n", "0,2000\n"} {
		p := writeTemp(t, "b.csv", []byte(bad))
		_, err := ReadStates(p, Options{})
		wantFormatErr(t, err, p, "")
	}
}

// TestReadReal reads real-valued NPY and CSV data with Options.Real:
// values outside [0,1] are kept, NaN and Inf are still refused, and nothing
// is binarised; without Real the same files are refused.
func TestReadReal(t *testing.T) {
	p := writeTemp(t, "r.npy", npyBytes(1, npyDict("<f4", false, "(2, 2)"), f32s(false, -3.5, 0.25, 7, 1e6)))
	s, err := Load(p, Options{Real: true})
	if err != nil {
		t.Fatal(err)
	}
	checkMatrix(t, s.X, 2, 2, []float32{-3.5, 0.25, 7, 1e6})
	if _, err := Load(p, Options{}); err == nil {
		t.Error("values outside [0,1] accepted without Real")
	}
	bad := writeTemp(t, "n.npy", npyBytes(1, npyDict("<f8", false, "(1, 2)"), f64s(false, 1, nan())))
	_, err = Load(bad, Options{Real: true})
	wantFormatErr(t, err, bad, "NaN")
	c := writeTemp(t, "r.csv", []byte("x,y\n-1.5,300\n2,0.5\n"))
	s, err = Load(c, Options{Real: true, Binarize: Threshold})
	if err != nil {
		t.Fatal(err)
	}
	checkMatrix(t, s.X, 2, 2, []float32{-1.5, 300, 2, 0.5})
	ci := writeTemp(t, "i.csv", []byte("1,inf\n"))
	_, err = Load(ci, Options{Real: true})
	wantFormatErr(t, err, ci, "")
	if _, err := Map(p, Options{Real: true}); err == nil {
		t.Error("Map accepted Real")
	}
}
