package engine

import (
	"bytes"
	"context"
	"math"
	"testing"
)

// TestPackedWeights checks, for every built-in kernel with packed weights
// (kernel.Packer: asm at each level), that training with W kept packed
// between steps (Fit) or packed once a step (Step) gives bitwise the model
// of the same kernel packing W in every call, also when the caller changes W between
// steps (in Fit's per-batch and per-epoch callbacks, and between Steps),
// for CD-1, PCD-2 and shapes whose last panel is partial, with 1, 2 and 3
// workers.
func TestPackedWeights(t *testing.T) {
	for _, k := range asmLevels() {
		t.Run(KernelID(k), func(t *testing.T) { testPackedWeights(t, k) })
	}
}

func testPackedWeights(t *testing.T, k Kernel) {
	shapes := []struct{ V, H, B int }{{50, 37, 10}, {33, 64, 7}, {20, 100, 40}}
	mods := []struct {
		name string
		mod  func(*Config)
	}{
		{"cd1", func(c *Config) {}},
		{"pcd2", func(c *Config) { c.PCD, c.K, c.Chains = true, 2, 9 }},
	}
	// edit changes W as a user's callback might.
	edit := func(m *RBM, n int) {
		for i := n % 7; i < len(m.W); i += 7 {
			m.W[i] = -0.5 * m.W[i]
		}
	}
	for _, sh := range shapes {
		data := patterns(6*sh.B+3, sh.V, uint64(sh.V))
		for _, md := range mods {
			for _, workers := range []int{1, 2, 3} {
				var models [2][][]byte
				for v := range 2 { // 0: packed weights, 1: every projection packs W
					for mode := range 3 {
						m, err := NewRBM(sh.V, sh.H, 0.1, 3)
						if err != nil {
							t.Fatal(err)
						}
						m.SetEngine(testEngine(t, k, workers))
						cfg := DefaultConfig()
						cfg.Epochs, cfg.BatchSize, cfg.Seed = 2, sh.B, 9
						md.mod(&cfg)
						tr, err := NewTrainer(m, cfg)
						if err != nil {
							t.Fatal(err)
						}
						if tr.pk == nil {
							t.Fatalf("no packed weights on the %s kernel", KernelID(k))
						}
						if v == 1 {
							tr.pk, tr.packFn = nil, nil
						}
						switch mode {
						case 0: // Fit, W untouched by the caller
							err = tr.Fit(context.Background(), data, FitOptions{})
						case 1: // Fit with callbacks that change W
							n := 0
							err = tr.Fit(context.Background(), data, FitOptions{
								OnBatch: func(epoch, b, batches int) {
									if n++; n%4 == 1 {
										edit(m, n)
									}
								},
								OnEpoch: func(EpochMetrics) error { edit(m, 100); return nil },
							})
						case 2: // Steps, with W changed between some of them
							for s := 0; s < 8 && err == nil; s++ {
								if s%3 == 2 {
									edit(m, s)
								}
								r0 := s * sh.B % (len(data)/sh.V - sh.B)
								err = tr.Step(data[r0*sh.V : (r0+sh.B)*sh.V])
							}
						}
						if err != nil {
							t.Fatal(err)
						}
						models[v] = append(models[v], modelBytes(m))
					}
				}
				for mode := range models[0] {
					if !bytes.Equal(models[0][mode], models[1][mode]) {
						t.Errorf("V=%d H=%d B=%d %s workers=%d mode %d: packed weights change the model",
							sh.V, sh.H, sh.B, md.name, workers, mode)
					}
				}
			}
		}
	}
}

// TestFusedBiasesMatchGeneric checks each fused path (the asm trainer at
// every level: bias steps from the update's packed operands, the update
// write-back, packed weights) against the engine's plain path on the same
// kernel (its three methods only, then kernel.BiasSteps) and against the
// generic kernel, over a few steps of CD-1, CD-2 with sparsity and PCD-2 with
// as many chains as rows or more: the parameters agree to float32 rounding.
func TestFusedBiasesMatchGeneric(t *testing.T) {
	for _, k := range asmLevels() {
		for _, ref := range []Kernel{plain{k}, Generic} {
			t.Run(KernelID(k)+"/"+ref.Name(), func(t *testing.T) { testFusedBiases(t, k, ref) })
		}
	}
}

func testFusedBiases(t *testing.T, fused, ref Kernel) {
	const V, H, B = 45, 70, 9
	data := patterns(5*B, V, 11)
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"cd1", func(c *Config) {}},
		{"cd2-sparse", func(c *Config) { c.K, c.SparsityTarget = 2, 0.05 }},
		{"pcd2-13", func(c *Config) { c.PCD, c.K, c.Chains = true, 2, 13 }},
		{"pcd1-9", func(c *Config) { c.PCD, c.Chains = true, 9 }},
	} {
		var ms [2]*RBM
		for v, k := range []Kernel{fused, ref} {
			m, err := NewRBM(V, H, 0.1, 5)
			if err != nil {
				t.Fatal(err)
			}
			m.SetEngine(testEngine(t, k, 2))
			cfg := DefaultConfig()
			cfg.Epochs, cfg.BatchSize, cfg.Seed, cfg.WeightDecay = 1, B, 3, 0.01
			tc.mod(&cfg)
			tr, err := NewTrainer(m, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.Fit(context.Background(), data, FitOptions{}); err != nil {
				t.Fatal(err)
			}
			ms[v] = m
		}
		for _, p := range []struct {
			name string
			a, b []float32
		}{{"W", ms[0].W, ms[1].W}, {"b", ms[0].B, ms[1].B}, {"c", ms[0].C, ms[1].C}} {
			for i := range p.a {
				if d := math.Abs(float64(p.a[i] - p.b[i])); d > 1e-4*(1+math.Abs(float64(p.b[i]))) {
					t.Fatalf("%s: %s[%d] = %g with %s, %g with %s", tc.name, p.name, i, p.a[i], KernelID(fused), p.b[i], ref.Name())
				}
			}
		}
	}
}
