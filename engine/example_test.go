package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"sync/atomic"

	"github.com/boltzgo/boltz/engine"
)

// bars returns rows×8 binary rows, each one of two complementary patterns
// (the left or the right half on) with one deterministic bit flipped in every
// third row: a tiny data set an RBM with two hidden units learns in a few
// epochs.
func bars(rows int) []float32 {
	const V = 8
	x := make([]float32, rows*V)
	for r := 0; r < rows; r++ {
		row := x[r*V : (r+1)*V]
		for j := range row {
			if (j < V/2) == (r%2 == 0) {
				row[j] = 1
			}
		}
		if r%3 == 0 {
			j := (r / 3) % V
			row[j] = 1 - row[j]
		}
	}
	return x
}

// meanCE is the mean reconstruction cross-entropy of the rows of x.
func meanCE(m *engine.RBM, x []float32) float64 {
	rows := len(x) / m.Visible
	ce := make([]float32, rows)
	if err := m.ReconstructionCrossEntropy(ce, x); err != nil {
		log.Fatal(err)
	}
	var s float64
	for _, v := range ce {
		s += float64(v)
	}
	return s / float64(rows)
}

// Training from a flat row-major []float32: a model, its visible biases set
// from the data, a trainer with the default CD-1 configuration, and Fit.
func ExampleTrainer_Fit() {
	x := bars(200) // 200 rows × 8 visible units, values in {0, 1}

	m, err := engine.NewRBM(8, 4, 0.01, 1) // V, H, σ of the initial weights, seed
	if err != nil {
		log.Fatal(err)
	}
	if err := m.InitVisibleBias(x); err != nil {
		log.Fatal(err)
	}
	before := meanCE(m, x)

	cfg := engine.DefaultConfig()
	cfg.Epochs = 20
	cfg.BatchSize = 10
	tr, err := engine.NewTrainer(m, cfg)
	if err != nil {
		log.Fatal(err)
	}
	epochs := 0
	err = tr.Fit(context.Background(), x, engine.FitOptions{
		OnEpoch: func(e engine.EpochMetrics) error { epochs++; return nil },
	})
	if err != nil {
		log.Fatal(err)
	}
	after := meanCE(m, x)
	fmt.Println("epochs:", epochs, "steps:", tr.Steps())
	fmt.Println("reconstruction improved:", after < before/2)
	// Output:
	// epochs: 20 steps: 400
	// reconstruction improved: true
}

// The online API: Step takes one caller-supplied minibatch at a time (from a
// stream, a queue, ...) and allocates nothing after the first call.
func ExampleTrainer_Step() {
	x := bars(100)
	m, err := engine.NewRBM(8, 4, 0.01, 2)
	if err != nil {
		log.Fatal(err)
	}
	cfg := engine.DefaultConfig()
	cfg.BatchSize = 10
	tr, err := engine.NewTrainer(m, cfg)
	if err != nil {
		log.Fatal(err)
	}
	before := meanCE(m, x)
	for pass := 0; pass < 20; pass++ {
		tr.SetEpoch(pass) // selects the momentum
		for r := 0; r < 100; r += 10 {
			if err := tr.Step(x[r*8 : (r+10)*8]); err != nil {
				log.Fatal(err)
			}
		}
	}
	fmt.Println("steps:", tr.Steps())
	fmt.Println("reconstruction improved:", meanCE(m, x) < before/2)
	// Output:
	// steps: 200
	// reconstruction improved: true
}

// trained returns a model fitted to bars.
func trained() *engine.RBM {
	x := bars(200)
	m, err := engine.NewRBM(8, 4, 0.01, 1)
	if err != nil {
		log.Fatal(err)
	}
	if err := m.InitVisibleBias(x); err != nil {
		log.Fatal(err)
	}
	cfg := engine.DefaultConfig()
	cfg.Epochs = 30
	cfg.BatchSize = 10
	tr, err := engine.NewTrainer(m, cfg)
	if err != nil {
		log.Fatal(err)
	}
	if err := tr.Fit(context.Background(), x, engine.FitOptions{}); err != nil {
		log.Fatal(err)
	}
	return m
}

// Transform gives p(h=1|v) for every row: features for a downstream model.
// The two patterns of the data map to clearly different feature vectors.
func ExampleRBM_Transform() {
	m := trained()
	left := []float32{1, 1, 1, 1, 0, 0, 0, 0}
	right := []float32{0, 0, 0, 0, 1, 1, 1, 1}
	f, err := m.Transform(append(left, right...)) // 2 rows
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("features:", len(f)/m.Hidden, "rows ×", m.Hidden)
	var dist float64
	for i := 0; i < m.Hidden; i++ {
		d := float64(f[i] - f[m.Hidden+i])
		dist += d * d
	}
	fmt.Println("patterns separated:", dist > 0.5)
	// Output:
	// features: 2 rows × 4
	// patterns separated: true
}

// Gibbs runs a reproducible chain in place; with meanField the last sweep
// leaves the probabilities p(v|h). Started from the left pattern, the trained
// model stays on it.
func ExampleRBM_Gibbs() {
	m := trained()
	v := []float32{1, 1, 1, 1, 0, 0, 0, 0}
	if err := m.Gibbs(v, 1, 7, true); err != nil {
		log.Fatal(err)
	}
	left, right := 0.0, 0.0
	for j, p := range v {
		if j < 4 {
			left += float64(p)
		} else {
			right += float64(p)
		}
	}
	fmt.Println("left half on:", left/4 > 0.7, "right half off:", right/4 < 0.3)

	// The same seed gives the same chain.
	a := []float32{0, 1, 0, 1, 0, 1, 0, 1}
	b := append([]float32(nil), a...)
	_ = m.Gibbs(a, 5, 42, false)
	_ = m.Gibbs(b, 5, 42, false)
	fmt.Println("reproducible:", fmt.Sprint(a) == fmt.Sprint(b))
	// Output:
	// left half on: true right half off: true
	// reproducible: true
}

// Save writes the safetensors model file to any io.Writer; Load reads it
// back from an io.ReaderAt, checking its format and checksum.
func ExampleLoad() {
	m, err := engine.NewRBM(6, 3, 0.1, 5)
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Save(&buf, map[string]string{"note": "example"}); err != nil {
		log.Fatal(err)
	}
	got, meta, err := engine.Load(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		log.Fatal(err)
	}
	same := fmt.Sprint(got.W, got.B, got.C) == fmt.Sprint(m.W, m.B, m.C)
	fmt.Println(got.Visible, got.Hidden, same)
	fmt.Println(meta["format"], meta["note"])
	// Output:
	// 6 3 true
	// boltz-rbm example
}

// An engine with a chosen kernel and worker count. Results are bitwise the
// same for any worker count; "generic" is the pure-Go kernel available
// everywhere (engine.Kernels lists those this machine runs).
func ExampleNew() {
	e, err := engine.New(engine.WithKernelName("generic"), engine.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	fmt.Println(e.Kernel().Name(), e.Workers())

	m, err := engine.NewRBM(8, 4, 0.01, 1)
	if err != nil {
		log.Fatal(err)
	}
	m.SetEngine(e)
	h := make([]float32, m.Hidden)
	if err := m.HiddenProbs(h, []float32{0, 0, 0, 0, 0, 0, 0, 0}); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.3f\n", h) // σ(0) with zero hidden biases
	// Output:
	// generic 2
	// [0.500 0.500 0.500 0.500]
}

// counting is a Kernel that wraps another one and counts the calls: the
// pattern for instrumenting or replacing the compute backend. Kernel methods
// are called concurrently from the engine's workers, so the counters are
// atomic. A real third-party kernel would be checked with package kerneltest.
type counting struct {
	engine.Kernel
	up, down, update atomic.Int64
}

func (k *counting) Name() string { return "counting-" + k.Kernel.Name() }

func (k *counting) Up(out, x, w engine.Mat, c []float32, act engine.Act, s *engine.Sample) {
	k.up.Add(1)
	k.Kernel.Up(out, x, w, c, act, s)
}

func (k *counting) Down(out, h, w engine.Mat, b []float32, act engine.Act, s *engine.Sample) {
	k.down.Add(1)
	k.Kernel.Down(out, h, w, b, act, s)
}

func (k *counting) Update(w engine.Mat, u *engine.Update, i0, i1 int) {
	k.update.Add(1)
	k.Kernel.Update(w, u, i0, i1)
}

// Plugging in your own Kernel with WithKernel.
func ExampleWithKernel() {
	k := &counting{Kernel: engine.Generic}
	e, err := engine.New(engine.WithKernel(k), engine.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()

	m, err := engine.NewRBM(8, 4, 0.01, 1)
	if err != nil {
		log.Fatal(err)
	}
	m.SetEngine(e)
	cfg := engine.DefaultConfig()
	cfg.BatchSize = 10
	tr, err := engine.NewTrainer(m, cfg)
	if err != nil {
		log.Fatal(err)
	}
	if err := tr.Step(bars(10)); err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Kernel().Name())
	fmt.Println("Up:", k.up.Load() > 0, "Down:", k.down.Load() > 0, "Update:", k.update.Load() > 0)
	// Output:
	// counting-generic
	// Up: true Down: true Update: true
}

// FreeEnergy gives F(v) for every row; a trained model gives the patterns
// it has learnt a lower free energy than an unseen one.
func ExampleRBM_FreeEnergy() {
	m := trained()
	v := []float32{
		1, 1, 1, 1, 0, 0, 0, 0, // a training pattern
		1, 0, 1, 0, 1, 0, 1, 0, // never seen
	}
	f := make([]float32, 2)
	if err := m.FreeEnergy(f, v); err != nil {
		log.Fatal(err)
	}
	fmt.Println("learnt pattern is more probable:", f[0] < f[1])
	// Output:
	// learnt pattern is more probable: true
}
