package engine

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/boltzgo/boltz/internal/floats"
)

// withBinaryLimit runs f with both crossover densities at limit: -1
// turns the binary form off, 1 chooses it for every binary input.
func withBinaryLimit(limit float64, f func()) {
	up, down := binaryMaxDensityUp, binaryMaxDensityDown
	binaryMaxDensityUp, binaryMaxDensityDown = limit, limit
	defer func() { binaryMaxDensityUp, binaryMaxDensityDown = up, down }()
	f()
}

// binaryData returns rows×V binary data with about density ones.
func binaryData(rows, V int, density float64, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 3))
	x := make([]float32, rows*V)
	for i := range x {
		if r.Float64() < density {
			x[i] = 1
		}
	}
	return x
}

// TestBinaryListChoice checks the lister's choice: binary inputs below the
// crossover are listed, probabilities and dense binary inputs are not.
func TestBinaryListChoice(t *testing.T) {
	e, err := New(WithWorkers(3))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	l := newBinaryLister(e.Workers(), 2, 2)
	sparse := mat(binaryData(37, 50, 0.1, 1), 37, 50)
	a := l.list(e.Pool(), sparse, 1, false)
	if a == nil || a.Rows() != 37 {
		t.Fatal("a sparse binary input was not listed")
	}
	n := 0
	for r := range 37 {
		for _, j := range a.Row(r) {
			if sparse.Row(r)[j] != 1 {
				t.Fatalf("row %d lists %d, a zero", r, j)
			}
			n++
		}
	}
	want := 0
	for _, v := range sparse.Data {
		want += int(v)
	}
	if n != want {
		t.Fatalf("%d nonzeros listed, want %d", n, want)
	}
	if l.list(e.Pool(), mat(binaryData(37, 50, 0.9, 2), 37, 50), 1, true) != nil {
		t.Fatal("a dense binary input was listed")
	}
	probs := binaryData(20, 30, 0.1, 3)
	probs[len(probs)-1] = 0.5 // one value in the last part
	if l.list(e.Pool(), mat(probs, 20, 30), 1, false) != nil {
		t.Fatal("an input with a 0.5 was listed")
	}
}

// TestBinaryFormBitwise trains with and without the binary form (CD-1 on
// binary data, PCD, CD-2; asm and generic; 1 and 3 workers) and requires
// the same model bit for bit: the choice of form changes no result.
func TestBinaryFormBitwise(t *testing.T) {
	x := binaryData(96, 60, 0.13, 4)
	for _, kn := range []string{"asm", "generic"} {
		k, err := KernelByName(kn)
		if err != nil {
			t.Fatal(err)
		}
		for _, pcd := range []bool{false, true} {
			var ref *RBM
			for _, workers := range []int{1, 3} {
				for _, off := range []bool{false, true} {
					m, _ := NewRBM(60, 40, 0.1, 1)
					m.SetEngine(testEngine(t, k, workers))
					m.InitVisibleBias(x)
					cfg := DefaultConfig()
					cfg.BatchSize, cfg.Epochs, cfg.PCD, cfg.K = 16, 2, pcd, 2
					tr, err := NewTrainer(m, cfg)
					if err != nil {
						t.Fatal(err)
					}
					fit := func() {
						if err := tr.Fit(context.Background(), x, FitOptions{}); err != nil {
							t.Fatal(err)
						}
					}
					if off {
						withBinaryLimit(-1, fit)
					} else {
						withBinaryLimit(1, fit)
					}
					if ref == nil {
						ref = m
						continue
					}
					if !floats.SameBits(m.W, ref.W) || !floats.SameBits(m.B, ref.B) || !floats.SameBits(m.C, ref.C) {
						t.Fatalf("%s pcd=%v workers=%d binary off=%v: model differs", kn, pcd, workers, off)
					}
				}
			}
		}
	}
}

// TestBinaryAISBitwise: AIS with the binary form for every product (v and
// β·h) and without it, bit for bit.
func TestBinaryAISBitwise(t *testing.T) {
	for _, workers := range []int{1, 2} {
		m := aisModel(t, 40, 24, 0.3, 2, workers)
		opt := AISOptions{Runs: 16, Betas: AISBetas(200), Seed: 3}
		var on, off AISResult
		var err error
		withBinaryLimit(1, func() { on, err = m.AIS(context.Background(), opt) })
		if err != nil {
			t.Fatal(err)
		}
		withBinaryLimit(-1, func() { off, err = m.AIS(context.Background(), opt) })
		if err != nil {
			t.Fatal(err)
		}
		if on.LogZ != off.LogZ || len(on.LogWeights) != len(off.LogWeights) {
			t.Fatalf("workers=%d: log Z %v with the binary form, %v without", workers, on.LogZ, off.LogZ)
		}
		for i := range on.LogWeights {
			if on.LogWeights[i] != off.LogWeights[i] {
				t.Fatalf("workers=%d: log-weight %d differs", workers, i)
			}
		}
	}
}

// BenchmarkBinaryForm times a CD-1 and a PCD-1 (100 chains) step, V=784
// H=500 B=100, and an AIS temperature (100 runs) with the binary form
// chosen as usual (form=auto) and turned off (form=dense), on binary data
// of 13 % ones and a model whose hidden units are about 12 % on (hidden
// biases −2, as after training), in one process so that -count alternates
// the two forms on a shared machine.
func BenchmarkBinaryForm(b *testing.B) {
	const V, H, B = 784, 500, 100
	x := binaryData(B, V, 0.13, 5)
	for _, what := range []string{"cd1", "pcd1", "ais"} {
		for _, form := range []string{"auto", "dense"} {
			b.Run("step="+what+"/form="+form, func(b *testing.B) {
				limit := binaryMaxDensityUp
				if form == "dense" {
					limit = -1
				}
				m, _ := NewRBM(V, H, 0.01, 1)
				for i := range m.C {
					m.C[i] = -2
				}
				withBinaryLimit(limit, func() {
					if what == "ais" {
						e, err := m.Engine()
						if err != nil {
							b.Fatal(err)
						}
						s := newAISState(m, e, 100, m.B, 1)
						s.init()
						k := 0
						for b.Loop() {
							k++
							s.step(k, 0.5, 0.5+1e-5, true)
						}
						return
					}
					cfg := DefaultConfig()
					cfg.BatchSize, cfg.PCD, cfg.Chains = B, what == "pcd1", 100
					tr, err := NewTrainer(m, cfg)
					if err != nil {
						b.Fatal(err)
					}
					tr.Step(x)
					for b.Loop() {
						tr.Step(x)
					}
				})
			})
		}
	}
}
