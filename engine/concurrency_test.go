package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/boltzgo/boltz/internal/floats"
	"math"
	"sync"
	"sync/atomic"
	"testing"
)

// inferenceResults runs every inference method once on v.
func inferenceResults(m *RBM, v []float32) ([][]float32, error) {
	rows := len(v) / m.Visible
	ph := make([]float32, rows*m.Hidden)
	if err := m.HiddenProbs(ph, v); err != nil {
		return nil, err
	}
	fe := make([]float32, rows)
	if err := m.FreeEnergy(fe, v); err != nil {
		return nil, err
	}
	ce := make([]float32, rows)
	if err := m.ReconstructionCrossEntropy(ce, v); err != nil {
		return nil, err
	}
	tr, err := m.Transform(v)
	if err != nil {
		return nil, err
	}
	pv := make([]float32, rows*m.Visible)
	if err := m.VisibleProbs(pv, ph); err != nil {
		return nil, err
	}
	sh := make([]float32, rows*m.Hidden)
	if err := m.SampleHidden(sh, v, 3, 4); err != nil {
		return nil, err
	}
	g := append([]float32(nil), v...)
	if err := m.Gibbs(g, 2, 5, true); err != nil {
		return nil, err
	}
	return [][]float32{ph, fe, ce, tr, pv, sh, g}, nil
}

// TestInferenceConcurrent calls the inference methods from 8 goroutines at
// once on one model (and one engine) and demands the serial results bit for
// bit. Run it with -race.
func TestInferenceConcurrent(t *testing.T) {
	for _, k := range builtinKernels(t) {
		m := tiny(t, 40, 24, 0.3, 6, k, 2)
		v := patterns(300, 40, 8)
		want, err := inferenceResults(m, v)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for it := 0; it < 5; it++ {
					got, err := inferenceResults(m, v)
					if err != nil {
						errs <- err
						return
					}
					for i := range got {
						if !floats.SameBits(got[i], want[i]) {
							errs <- fmt.Errorf("goroutine %d, iteration %d: result %d differs from the serial one", g, it, i)
							return
						}
					}
				}
			}(g)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("%s: %v", k.Name(), err)
		}
	}
}

// TestTrainWhileInfer runs Fit while four goroutines use the same model for
// inference, Clone and checkpoint-free reads: no data race (under -race),
// finite answers, and a trained model identical to a run without them.
func TestTrainWhileInfer(t *testing.T) {
	const V, H = 30, 16
	data := patterns(200, V, 3)
	train := func(concurrent bool) []byte {
		m, _ := NewRBM(V, H, 0.01, 2)
		m.SetEngine(testEngine(t, Generic, 2))
		cfg := DefaultConfig()
		cfg.Epochs, cfg.BatchSize, cfg.PCD = 4, 10, true
		tr, _ := NewTrainer(m, cfg)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var calls atomic.Int64
		errs := make(chan error, 4)
		if concurrent {
			for g := 0; g < 4; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					v := data[g*V*10 : (g+1)*V*10]
					for ctx.Err() == nil {
						res, err := inferenceResults(m, v)
						if err != nil {
							errs <- err
							return
						}
						for _, r := range res {
							if i := firstNonFinite(r); i >= 0 {
								errs <- fmt.Errorf("inference gave %v", r[i])
								return
							}
						}
						if c := m.Clone(); c.Validate() != nil {
							errs <- errors.New("clone during training is invalid")
							return
						}
						calls.Add(1)
					}
				}(g)
			}
		}
		err := tr.Fit(context.Background(), data, FitOptions{})
		cancel()
		wg.Wait()
		close(errs)
		if err != nil {
			t.Fatal(err)
		}
		for err := range errs {
			t.Error(err)
		}
		if concurrent {
			t.Logf("%d inference rounds during training", calls.Load())
		}
		return modelBytes(m)
	}
	if !bytes.Equal(train(false), train(true)) {
		t.Error("inference during training changed the trained model")
	}
}

// sliceRows is a RowSource that is not Dense, so Fit takes the row-by-row
// path that mapped files take.
type sliceRows struct {
	x    []float32
	cols int
	bad  int // row whose read fails (-1: none)
}

func (s *sliceRows) Rows() int { return len(s.x) / s.cols }
func (s *sliceRows) Cols() int { return s.cols }
func (s *sliceRows) ReadRow(i int, dst []float32) error {
	if i == s.bad {
		return fmt.Errorf("row %d: disk on fire", i)
	}
	copy(dst, s.x[i*s.cols:(i+1)*s.cols])
	return nil
}

// TestFitRowsMatchesDense: training from a row source gives the model and
// the metrics of training from the same rows in memory, bit for bit.
func TestFitRowsMatchesDense(t *testing.T) {
	const V, H = 25, 9
	data := patterns(2100, V, 5) // > monitorChunk rows, so the metrics read in chunks
	val := patterns(300, V, 6)
	run := func(rows bool) ([]byte, []EpochMetrics) {
		m, _ := NewRBM(V, H, 0.01, 2)
		m.SetEngine(testEngine(t, Generic, 2))
		var err error
		if rows {
			err = m.InitVisibleBiasRows(&sliceRows{data, V, -1})
		} else {
			err = m.InitVisibleBias(data)
		}
		if err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig()
		cfg.Epochs, cfg.BatchSize, cfg.MonitorRows = 2, 50, 0
		tr, _ := NewTrainer(m, cfg)
		var mets []EpochMetrics
		opt := FitOptions{OnEpoch: func(e EpochMetrics) error {
			e.Seconds, e.SamplesPerSec = 0, 0
			mets = append(mets, e)
			return nil
		}}
		if rows {
			opt.ValRows = &sliceRows{val, V, -1}
			err = tr.FitRows(context.Background(), &sliceRows{data, V, -1}, opt)
		} else {
			opt.Val = val
			err = tr.Fit(context.Background(), data, opt)
		}
		if err != nil {
			t.Fatal(err)
		}
		return modelBytes(m), mets
	}
	wm, wmet := run(false)
	gm, gmet := run(true)
	if !bytes.Equal(wm, gm) {
		t.Error("model trained from a row source differs")
	}
	if fmt.Sprint(wmet) != fmt.Sprint(gmet) {
		t.Errorf("metrics differ:\n%v\n%v", wmet, gmet)
	}
	f1, _ := DataFingerprint(Dense(data, V))
	f2, _ := DataFingerprint(&sliceRows{data, V, -1})
	f3, _ := DataFingerprint(Dense(data[:2000*V], V))
	if f1 != f2 || f1 == f3 {
		t.Errorf("fingerprints %q %q %q", f1, f2, f3)
	}

	// Failures of the source stop training with an error naming the row.
	m, _ := NewRBM(V, H, 0.01, 2)
	m.SetEngine(testEngine(t, Generic, 1))
	cfg := DefaultConfig()
	cfg.BatchSize = 50
	tr, _ := NewTrainer(m, cfg)
	if err := tr.FitRows(context.Background(), &sliceRows{data, V, 7}, FitOptions{}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("row 7")) {
		t.Errorf("failing row: %v", err)
	}
	bad := append([]float32(nil), data...)
	bad[3*V+2] = float32(math.NaN())
	tr, _ = NewTrainer(m, cfg)
	if err := tr.FitRows(context.Background(), &sliceRows{bad, V, -1}, FitOptions{}); !errors.Is(err, ErrValue) || !bytes.Contains([]byte(err.Error()), []byte("row 3")) {
		t.Errorf("NaN in row 3: %v", err)
	}
	if err := tr.FitRows(context.Background(), &sliceRows{data, V + 1, -1}, FitOptions{}); !errors.Is(err, ErrShape) {
		t.Errorf("wrong width: %v", err)
	}
}
