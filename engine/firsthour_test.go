package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// TestEpochMetricsJSON: metrics without validation data marshal (null for
// the NaN values) and read back as NaN.
func TestEpochMetricsJSON(t *testing.T) {
	m := EpochMetrics{Epoch: 1, Steps: 10, TrainCE: 40, ValCE: math.NaN(), TrainFE: -3, ValFE: math.NaN(), TrainRows: 100}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	for _, w := range []string{`"val_recon_cross_entropy":null`, `"val_free_energy":null`, `"free_energy_gap":null`, `"train_rows":100`, `"val_rows":0`} {
		if !strings.Contains(string(b), w) {
			t.Errorf("%s lacks %s", b, w)
		}
	}
	var back EpochMetrics
	if err := json.Unmarshal(b, &back); err != nil || !math.IsNaN(back.ValCE) || back.TrainCE != 40 || back.TrainRows != 100 {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	m.ValCE, m.ValFE, m.ValRows = 41, -2, 50
	b, _ = json.Marshal(m)
	if !strings.Contains(string(b), `"free_energy_gap":1`) || !strings.Contains(string(b), `"val_recon_cross_entropy":41`) {
		t.Errorf("with validation: %s", b)
	}
}

// TestFitAgain: a second Fit on a finished trainer is an error, and
// SetEpochs lets it train on, to the model of one longer Fit.
func TestFitAgain(t *testing.T) {
	x := patterns(200, 16, 3)
	cfg := DefaultConfig()
	cfg.BatchSize, cfg.Epochs = 20, 1
	newTrainer := func(epochs int) *Trainer {
		m, err := NewRBM(16, 6, 0.01, 1)
		if err != nil {
			t.Fatal(err)
		}
		c := cfg
		c.Epochs = epochs
		tr, err := NewTrainer(m, c)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	ctx := context.Background()
	tr := newTrainer(1)
	if err := tr.Fit(ctx, x, FitOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := tr.Fit(ctx, x, FitOptions{}); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "SetEpochs") {
		t.Errorf("second Fit: %v, want an error wrapping ErrConfig naming SetEpochs", err)
	}
	if err := tr.SetEpochs(0); !errors.Is(err, ErrConfig) {
		t.Errorf("SetEpochs(0) after 1 epoch: %v", err)
	}
	if err := tr.SetEpochs(2); err != nil {
		t.Fatal(err)
	}
	if err := tr.Fit(ctx, x, FitOptions{}); err != nil || tr.Epoch() != 2 || tr.Config().Epochs != 2 {
		t.Fatalf("Fit after SetEpochs(2): %v, epoch %d", err, tr.Epoch())
	}
	ref := newTrainer(2)
	if err := ref.Fit(ctx, x, FitOptions{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(modelBytes(tr.Model()), modelBytes(ref.Model())) {
		t.Error("1 + 1 epochs differ from 2 epochs")
	}
}

func TestNewRBMSigma(t *testing.T) {
	for _, s := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := NewRBM(10, 10, s, 1); !errors.Is(err, ErrConfig) {
			t.Errorf("NewRBM(σ=%v): %v, want an error wrapping ErrConfig", s, err)
		}
	}
	a, err := NewRBM(10, 10, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewRBM(10, 10, 0.01, 1)
	if !bytes.Equal(modelBytes(a), modelBytes(b)) {
		t.Error("σ 0 is not the default 0.01")
	}
}

// TestContextVariants: the ...Context methods give the plain methods'
// results and stop with the context's error when it is cancelled.
func TestContextVariants(t *testing.T) {
	for _, k := range builtinKernels(t) {
		t.Run(k.Name(), func(t *testing.T) { testContextVariants(t, k) })
	}
}

func testContextVariants(t *testing.T, k Kernel) {
	m := tiny(t, 12, 9, 0.5, 4, k, 2)
	v := patterns(5000, 12, 8) // more than one block of rows
	bg := context.Background()
	h1, err1 := m.Transform(v)
	h2, err2 := m.TransformContext(bg, v)
	if err1 != nil || err2 != nil || len(h1) != len(h2) {
		t.Fatal(err1, err2)
	}
	for i := range h1 {
		if h1[i] != h2[i] {
			t.Fatalf("TransformContext differs at %d: %v, %v", i, h2[i], h1[i])
		}
	}
	f1, f2 := make([]float32, 5000), make([]float32, 5000)
	if err := m.FreeEnergy(f1, v); err != nil {
		t.Fatal(err)
	}
	if err := m.FreeEnergyContext(bg, f2, v); err != nil || !bytes.Equal(f32bytes(f1), f32bytes(f2)) {
		t.Errorf("FreeEnergyContext: %v or different values", err)
	}
	z1, _ := m.LogZExact(0)
	if z2, err := m.LogZExactContext(bg, 0); err != nil || z1 != z2 {
		t.Errorf("LogZExactContext = %v, %v; want %v", z2, err, z1)
	}
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if _, err := m.TransformContext(ctx, v); !errors.Is(err, context.Canceled) {
		t.Errorf("TransformContext(cancelled): %v", err)
	}
	if err := m.FreeEnergyContext(ctx, f2, v); !errors.Is(err, context.Canceled) {
		t.Errorf("FreeEnergyContext(cancelled): %v", err)
	}
	if _, err := m.LogZExactContext(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("LogZExactContext(cancelled): %v", err)
	}
}

func f32bytes(x []float32) []byte {
	b := make([]byte, 0, 4*len(x))
	for _, v := range x {
		u := math.Float32bits(v)
		b = append(b, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	}
	return b
}
