package data

import (
	"os"
	"strings"
	"testing"
)

func TestReadCSV(t *testing.T) {
	for _, c := range []struct {
		name, text string
		opt        Options
		rows, cols int
		want       []float32
		labels     []int32
	}{
		{"plain", "0,1,0.5\n0.25,0.75,1\n", noBin, 2, 3, []float32{0, 1, 0.5, 0.25, 0.75, 1}, nil},
		{"header", "a,b,c\n0,1,0.5\n0.25,0.75,1\n", noBin, 2, 3, []float32{0, 1, 0.5, 0.25, 0.75, 1}, nil},
		{"crlf-spaces-blank", "0, 1 ,0.5\r\n\r\n# comment\n0.25,0.75,1\r\n", noBin, 2, 3, []float32{0, 1, 0.5, 0.25, 0.75, 1}, nil},
		{"pixels", "0,255,51\n102,0,255\n", noBin, 2, 3, scaled([]byte{0, 255, 51, 102, 0, 255}), nil},
		{"labels", "p0,p1,label\n0,255,3\n51,102,7.0\n", Options{Binarize: None, LabelColumn: true}, 2, 2, scaled([]byte{0, 255, 51, 102}), []int32{3, 7}},
		{"labels-noheader", "0,1,9\n1,0,0\n", Options{Binarize: None, LabelColumn: true}, 2, 2, []float32{0, 1, 1, 0}, []int32{9, 0}},
		{"limit", "h\n0\n1\n0.5\n", Options{Binarize: None, Limit: 2}, 2, 1, []float32{0, 1}, nil},
		{"threshold", "0.2,0.5,0.7\n", Options{}, 1, 3, []float32{0, 1, 1}, nil},
		{"ones-only", "1,1\n0,1\n", noBin, 2, 2, []float32{1, 1, 0, 1}, nil}, // max 1: not pixels
	} {
		p := writeTemp(t, c.name+".csv", []byte(c.text))
		s, err := ReadCSV(p, c.opt)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		checkMatrix(t, s.X, c.rows, c.cols, c.want)
		if len(s.Labels) != len(c.labels) || (c.labels == nil) != (s.Labels == nil) {
			t.Fatalf("%s: labels %v, want %v", c.name, s.Labels, c.labels)
		}
		for i := range c.labels {
			if s.Labels[i] != c.labels[i] {
				t.Fatalf("%s: labels %v, want %v", c.name, s.Labels, c.labels)
			}
		}
	}
}

func TestReadCSVRejects(t *testing.T) {
	for _, c := range []struct {
		name, text, substr string
		opt                Options
	}{
		{"empty", "", "no data rows", noBin},
		{"blank", "\n\n", "no data rows", noBin},
		{"header-only", "a,b\n", "no data rows", noBin},
		{"ragged", "0,1\n1,0\n1\n", "line 3 has 1 fields, but the first row has 2", noBin},
		{"ragged-header", "a,b\n1,0,1\n", "but the header has 2", noBin},
		{"non-numeric", "0,1\n1,x\n", `line 2, column 2: "x" is not a number`, noBin},
		{"empty-cell", "0,1\n1,\n", "line 2, column 2: empty cell", noBin},
		{"nan", "0,NaN\n", "NaN", noBin},
		{"inf", "Inf,0\n", "+Inf", noBin},
		{"negative", "0,-0.5\n", "negative", noBin},
		{"too-big", "0,256\n", "not an integer pixel", noBin},
		{"fraction-over-one", "0,1.5\n", "not an integer pixel", noBin},
		{"mixed", "0,0.5\n2,255\n", "mix", noBin},
		{"bad-label", "0,1,x\n", "label", Options{LabelColumn: true}},
		{"fraction-label", "0,1,2.5\n", "label", Options{LabelColumn: true}},
		{"label-only", "3\n", "at least 2 columns", Options{LabelColumn: true}},
		{"bad-quote", "0,\"1\n", "", noBin},
	} {
		p := writeTemp(t, c.name+".csv", []byte(c.text))
		_, err := ReadCSV(p, c.opt)
		wantFormatErr(t, err, p, c.substr)
	}
	if _, err := ReadCSV("/nonexistent/x.csv", noBin); !os.IsNotExist(err) {
		t.Fatalf("missing file: %v", err)
	}
}

// TestReadCSVPixelRule: the 0..255 rule names the value that switched it
// on, and 0/1 data with a few larger integers (a stray 2, or a label column
// read as a feature) is refused, naming the first of them.
func TestReadCSVPixelRule(t *testing.T) {
	p := writeTemp(t, "px.csv", []byte("h1,h2,h3\n0,0,51\n102,0,255\n"))
	s, err := ReadCSV(p, noBin)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Note, "line 2, column 3: 51") || !strings.Contains(s.Note, "0..255") {
		t.Errorf("note %q does not say which value switched the 0..255 rule on", s.Note)
	}
	if s, _ := ReadCSV(writeTemp(t, "01.csv", []byte("0,1\n1,1\n")), noBin); s.Note != "" {
		t.Errorf("0/1 data have the note %q", s.Note)
	}
	for _, c := range []struct{ name, text, substr string }{
		{"label", "0,1,0,3\n1,0,1,2\n1,1,0,0\n0,0,1,1\n", "the first at line 1, column 4: 3), not 0..255 pixels: all of them are in the last column (4): if it is a label"},
		{"stray", "0,1,0\n1,2,0\n1,1,1\n", "the first at line 2, column 2: 2"},
	} {
		_, err := ReadCSV(writeTemp(t, c.name+".csv", []byte(c.text)), noBin)
		wantFormatErr(t, err, "", c.substr)
		if c.name == "stray" && err != nil && strings.Contains(err.Error(), "label") {
			t.Errorf("stray: %v suggests a label column", err)
		}
	}
	// With LabelColumn the same file reads as 0/1 features.
	s, err = ReadCSV(writeTemp(t, "label2.csv", []byte("0,1,0,3\n1,0,1,2\n")), Options{Binarize: None, LabelColumn: true})
	if err != nil || s.X.Cols != 3 || s.Note != "" {
		t.Errorf("with LabelColumn: %v, %+v", err, s)
	}
}
