package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// toCSR returns the rows of x (cols values a row) in CSR form, the values
// dropped when all are ones.
func toCSR(t testing.TB, x []float32, cols int) SparseRows {
	t.Helper()
	indptr := []int64{0}
	var idx []int32
	var val []float32
	ones := true
	for r := 0; r < len(x)/cols; r++ {
		for j, v := range x[r*cols : (r+1)*cols] {
			if v != 0 {
				idx = append(idx, int32(j))
				val = append(val, v)
				ones = ones && v == 1
			}
		}
		indptr = append(indptr, int64(len(idx)))
	}
	if ones {
		val = nil
	}
	c, err := CSR(len(x)/cols, cols, indptr, idx, val)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestFitCSRMatchesDense: training from CSR rows gives the model and the
// metrics of training from the same rows dense, bit for bit, for binary
// rows (values nil) and grey ones, CD and PCD.
func TestFitCSRMatchesDense(t *testing.T) {
	const V, H = 40, 9
	binary := patterns(700, V, 5)
	grey := append([]float32(nil), binary...)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range grey {
		if grey[i] != 0 && r.IntN(3) == 0 {
			grey[i] = r.Float32()
		}
	}
	val := patterns(300, V, 6)
	for _, data := range [][]float32{binary, grey} {
		for _, pcd := range []bool{false, true} {
			run := func(sparse bool) ([]byte, []EpochMetrics) {
				m, _ := NewRBM(V, H, 0.01, 2)
				m.SetEngine(testEngine(t, Generic, 2))
				var src, vsrc RowSource = Dense(data, V), Dense(val, V)
				if sparse {
					src, vsrc = toCSR(t, data, V), toCSR(t, val, V)
				}
				if err := m.InitVisibleBiasRows(src); err != nil {
					t.Fatal(err)
				}
				cfg := DefaultConfig()
				cfg.Epochs, cfg.BatchSize, cfg.MonitorRows, cfg.PCD = 2, 50, 0, pcd
				tr, err := NewTrainer(m, cfg)
				if err != nil {
					t.Fatal(err)
				}
				var mets []EpochMetrics
				opt := FitOptions{ValRows: vsrc, OnEpoch: func(e EpochMetrics) error {
					e.Seconds, e.SamplesPerSec = 0, 0
					mets = append(mets, e)
					return nil
				}}
				if err := tr.FitRows(context.Background(), src, opt); err != nil {
					t.Fatal(err)
				}
				return modelBytes(m), mets
			}
			wm, wmet := run(false)
			gm, gmet := run(true)
			if !bytes.Equal(wm, gm) {
				t.Errorf("pcd %v: the model trained from CSR rows differs", pcd)
			}
			if fmt.Sprint(wmet) != fmt.Sprint(gmet) {
				t.Errorf("pcd %v: metrics differ:\n%v\n%v", pcd, wmet, gmet)
			}
		}
		f1, _ := DataFingerprint(Dense(data, V))
		f2, _ := DataFingerprint(toCSR(t, data, V))
		if f1 != f2 {
			t.Errorf("fingerprints %q, %q", f1, f2)
		}
	}
}

// The ...Rows entry points over CSR rows give what the slice methods give
// for the rows in memory, over several blocks of wide rows.
func TestCSRScoresMatchDense(t *testing.T) {
	const V, H = 17000, 6
	rows := rowsBatch(V) + 44
	r := rand.New(rand.NewPCG(8, 9))
	x := make([]float32, rows*V)
	for i := range x {
		if r.IntN(200) == 0 {
			x[i] = 1
		}
	}
	m, _ := NewRBM(V, H, 0.05, 4)
	m.SetEngine(testEngine(t, Generic, 2))
	if err := m.InitVisibleBias(x); err != nil {
		t.Fatal(err)
	}
	src := toCSR(t, x, V)
	ctx := context.Background()
	want, _ := m.Transform(x)
	got := make([]float32, rows*H)
	if err := m.TransformRows(ctx, src, got); err != nil || !bytes.Equal(f32bytes(got), f32bytes(want)) {
		t.Errorf("TransformRows differs from Transform (%v)", err)
	}
	for name, pair := range map[string][2]func(dst []float32) error{
		"free energy": {func(d []float32) error { return m.FreeEnergy(d, x) }, func(d []float32) error { return m.FreeEnergyRows(ctx, src, d) }},
		"reconstruction": {func(d []float32) error { return m.ReconstructionError(d, x) },
			func(d []float32) error { return m.ReconstructionErrorRows(ctx, src, d) }},
		"pseudo-likelihood": {func(d []float32) error { return m.PseudoLogLikelihood(d, x, 3) },
			func(d []float32) error { return m.PseudoLogLikelihoodRows(ctx, src, d, 3) }},
	} {
		a, b := make([]float32, rows), make([]float32, rows)
		if err := pair[0](a); err != nil {
			t.Fatal(err)
		}
		if err := pair[1](b); err != nil || !bytes.Equal(f32bytes(a), f32bytes(b)) {
			t.Errorf("%s: the CSR rows' scores differ (%v)", name, err)
		}
	}
	b1, _ := BaseRateVisibleBias(x, V)
	b2, err := BaseRateVisibleBiasRows(src)
	if err != nil || !bytes.Equal(f32bytes(b1), f32bytes(b2)) {
		t.Errorf("base rates differ (%v)", err)
	}
	m1, _ := MeanVisibleBias(x, V)
	m2, err := MeanVisibleBiasRows(src)
	if err != nil || !bytes.Equal(f32bytes(m1), f32bytes(m2)) || bytes.Equal(f32bytes(m1), f32bytes(b1)) {
		t.Errorf("mean base rates differ from the dense ones, or equal the smoothed ones (%v)", err)
	}
	if err := m.FreeEnergyRows(ctx, src, make([]float32, rows-1)); !errors.Is(err, ErrShape) {
		t.Errorf("short dst: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := m.TransformRows(cancelled, src, got); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestCSRChecks(t *testing.T) {
	for _, c := range []struct {
		rows, cols int
		indptr     []int64
		idx        []int32
		val        []float32
		want       error
	}{
		{1, 4, []int64{0, 2}, []int32{2, 1}, nil, ErrShape},
		{1, 4, []int64{0, 2}, []int32{1, 1}, nil, ErrShape},
		{1, 2, []int64{0, 1}, []int32{2}, nil, ErrShape},
		{2, 4, []int64{0, 2, 1}, []int32{0, 1}, nil, ErrShape},
		{1, 4, []int64{0, 3}, []int32{0}, nil, ErrShape},
		{2, 4, []int64{0, 1}, []int32{0}, nil, ErrShape},
		{1, 4, []int64{0, 1}, []int32{0}, []float32{1.5}, ErrValue},
		{1, 4, []int64{0, 1}, []int32{0}, []float32{1, 1}, ErrShape},
		{1, 0, []int64{0, 0}, nil, nil, ErrShape},
	} {
		if _, err := CSR(c.rows, c.cols, c.indptr, c.idx, c.val); !errors.Is(err, c.want) {
			t.Errorf("%+v: %v, want %v", c, err, c.want)
		}
	}
	s, err := CSR(2, 3, []int64{0, 1, 3}, []int32{2, 0, 1}, []float32{0.5, 1, 0.25})
	if err != nil {
		t.Fatal(err)
	}
	row := []float32{9, 9, 9}
	if err := s.ReadRow(1, row); err != nil || fmt.Sprint(row) != "[1 0.25 0]" {
		t.Errorf("ReadRow(1) = %v, %v", row, err)
	}
	if err := s.ReadRow(2, row); !errors.Is(err, ErrShape) {
		t.Errorf("ReadRow(2): %v", err)
	}
}
