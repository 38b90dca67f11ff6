package data

import (
	"bytes"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/boltzgo/boltz/rng"
)

func TestBinarizeNames(t *testing.T) {
	for _, b := range []Binarize{Threshold, Stochastic, None} {
		got, err := ParseBinarize(b.String())
		if err != nil || got != b {
			t.Fatalf("ParseBinarize(%q) = %v, %v", b.String(), got, err)
		}
	}
	if Threshold.String() != "threshold" || Stochastic.String() != "stochastic" || None.String() != "none" {
		t.Fatal("wrong names")
	}
	if _, err := ParseBinarize("sometimes"); err == nil {
		t.Fatal("ParseBinarize accepted a bad name")
	}
}

func greyMatrix(rows, cols int, x float32) Matrix {
	m := Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	for i := range m.Data {
		m.Data[i] = x
	}
	return m
}

func TestBinarizeThreshold(t *testing.T) {
	m := Matrix{Rows: 1, Cols: 6, Data: []float32{0, 0.49, 0.5, 0.51, 1, 127.0 / 255}}
	if err := binarize(m, Options{Binarize: Threshold}); err != nil {
		t.Fatal(err)
	}
	checkMatrix(t, m, 1, 6, []float32{0, 0, 1, 1, 1, 0})

	m = Matrix{Rows: 1, Cols: 2, Data: []float32{0.3, 0.7}}
	binarize(m, Options{Binarize: None})
	checkMatrix(t, m, 1, 2, []float32{0.3, 0.7})
}

func TestBinarizeStochastic(t *testing.T) {
	const rows, cols, grey = 20, 500, 0.3
	run := func(seed uint64) Matrix {
		m := greyMatrix(rows, cols, grey)
		if err := binarize(m, Options{Binarize: Stochastic, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b, c := run(7), run(7), run(8)
	var sum float64
	diff := 0
	for i := range a.Data {
		if a.Data[i] != 0 && a.Data[i] != 1 {
			t.Fatalf("value %v not binary", a.Data[i])
		}
		if a.Data[i] != b.Data[i] {
			t.Fatal("same seed gave different samples")
		}
		if a.Data[i] != c.Data[i] {
			diff++
		}
		sum += float64(a.Data[i])
	}
	if mean := sum / float64(len(a.Data)); math.Abs(mean-grey) > 0.02 {
		t.Fatalf("mean %v, want about %v", mean, grey)
	}
	if diff == 0 {
		t.Fatal("different seeds gave the same samples")
	}
	// The documented stream: 1 where u < x, u from rng at (row, col).
	u := make([]float32, cols)
	rng.NewStream(7, 0, StochasticPhase).Uniforms(u, 13, 0)
	for j := range u {
		want := float32(0)
		if u[j] < grey {
			want = 1
		}
		if a.Row(13)[j] != want {
			t.Fatalf("row 13 col %d = %v, want %v (u=%v)", j, a.Row(13)[j], want, u[j])
		}
	}
	// Extremes are deterministic.
	m := Matrix{Rows: 1, Cols: 4, Data: []float32{0, 1, 0, 1}}
	binarize(m, Options{Binarize: Stochastic, Seed: 1})
	checkMatrix(t, m, 1, 4, []float32{0, 1, 0, 1})
}

func TestReadersBinarize(t *testing.T) {
	// Stochastic binarization through a reader equals binarizing the grey set.
	p := writeTemp(t, "x.idx", smallIDX())
	grey, _ := ReadIDX(p, noBin)
	s, err := ReadIDX(p, Options{Binarize: Stochastic, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	binarize(grey.X, Options{Binarize: Stochastic, Seed: 3})
	checkMatrix(t, s.X, 3, 4, grey.X.Data)
	th, _ := ReadIDX(p, Options{})
	checkMatrix(t, th.X, 3, 4, []float32{0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1})
}

func TestSplit(t *testing.T) {
	s := &Set{Name: "s", X: greyMatrix(10, 2, 0), Labels: make([]int32, 10)}
	for i := range 10 {
		s.X.Row(i)[0] = float32(i)
		s.Labels[i] = int32(i)
	}
	tr, va := s.Split(0.2)
	if tr.X.Rows != 8 || va.X.Rows != 2 || len(tr.Labels) != 8 || len(va.Labels) != 2 {
		t.Fatalf("split sizes %d/%d", tr.X.Rows, va.X.Rows)
	}
	if va.X.Row(0)[0] != 8 || va.Labels[1] != 9 || tr.X.Row(7)[0] != 7 {
		t.Fatal("validation rows are not the last rows")
	}
	if _, va := s.Split(0.25); va.X.Rows != 3 { // round(2.5) = 3
		t.Fatalf("round: %d val rows", va.X.Rows)
	}
	if tr, va := s.Split(0); va != nil || tr.X.Rows != 10 {
		t.Fatal("Split(0) should give no validation set")
	}
	if tr, va := s.Split(0.04); va != nil || tr.X.Rows != 10 {
		t.Fatal("Split rounding to 0 rows should give no validation set")
	}
	// Appending to train must not overwrite validation.
	tr, va = s.Split(0.5)
	tr.X.Data = append(tr.X.Data, 99, 99)
	if va.X.Row(0)[0] != 5 {
		t.Fatal("train and validation overlap")
	}
	u := &Set{X: greyMatrix(4, 1, 0)}
	if _, va := u.Split(0.5); va.Labels != nil {
		t.Fatal("labels appeared")
	}
}

func TestLoadSniffs(t *testing.T) {
	var npy bytes.Buffer
	WriteNPY(&npy, Matrix{Rows: 3, Cols: 4, Data: make([]float32, 12)})
	for _, c := range []struct {
		name string
		b    []byte
		rows int
	}{
		{"a.bin", smallIDX(), 3},
		{"a-ubyte", smallIDX(), 3},
		{"a", gz(smallIDX()), 3},
		{"a.dat", npy.Bytes(), 3},
		{"a.csv", []byte("0,1\n1,0\n"), 2},
		{"a.data", []byte("0,1\n"), 1},
	} {
		p := writeTemp(t, c.name, c.b)
		s, err := Load(p, noBin)
		if err != nil || s.X.Rows != c.rows {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	for _, c := range []struct {
		name, substr string
		b            []byte
	}{
		{"x.bin", "unknown format", []byte{1, 2, 3, 4, 5}},
		{"x.npy", "bad magic", []byte("0,1\n1,0\n0,0\n")},
		{"x.idx", "bad magic", []byte("0,1\n")},
		{"x.csv", "empty", nil},
	} {
		p := writeTemp(t, c.name, c.b)
		_, err := Load(p, noBin)
		wantFormatErr(t, err, p, c.substr)
	}
	if _, err := Load("/nonexistent/file.csv", noBin); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}
