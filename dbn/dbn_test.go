package dbn

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boltzgo/boltz/engine"
	"github.com/boltzgo/boltz/safetensors"
)

// tinyData returns rows of V binary values from a few prototypes with noise.
func tinyData(rows, V int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	protos := make([][]float32, 4)
	for p := range protos {
		protos[p] = make([]float32, V)
		for j := range protos[p] {
			if r.Float64() < 0.5 {
				protos[p][j] = 1
			}
		}
	}
	x := make([]float32, rows*V)
	for i := 0; i < rows; i++ {
		p := protos[i%4]
		for j := 0; j < V; j++ {
			v := p[j]
			if r.Float64() < 0.05 {
				v = 1 - v
			}
			x[i*V+j] = v
		}
	}
	return x
}

func layers(sizes []int, epochs, batch int) []Layer {
	var out []Layer
	for i, h := range sizes {
		cfg := engine.DefaultConfig()
		cfg.Epochs, cfg.BatchSize, cfg.Seed = epochs, batch, uint64(10+i)
		out = append(out, Layer{Hidden: h, Config: cfg})
	}
	return out
}

// trainStack trains a stack V→sizes on x with the given worker count.
func trainStack(t *testing.T, x []float32, V int, sizes []int, workers int, opt Options) *Stack {
	t.Helper()
	eng, err := engine.New(engine.WithWorkers(workers))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	bottom, err := engine.NewRBM(V, sizes[0], 0.01, 3)
	if err != nil {
		t.Fatal(err)
	}
	bottom.SetEngine(eng)
	if err := bottom.InitVisibleBias(x); err != nil {
		t.Fatal(err)
	}
	s, err := Train(context.Background(), engine.Dense(x, V), bottom, layers(sizes, 3, 20), opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Layers) != len(sizes) {
		t.Fatalf("%d layers, want %d", len(s.Layers), len(sizes))
	}
	return s
}

func saved(t *testing.T, s *Stack, meta map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := s.Save(&b, meta); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sameFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func TestFileRoundTripBitwise(t *testing.T) {
	x := tinyData(200, 24, 1)
	s := trainStack(t, x, 24, []int{16, 8}, 0, Options{})
	path := filepath.Join(t.TempDir(), "s.safetensors")
	if err := s.SaveFile(path, map[string]string{"command": "test"}); err != nil {
		t.Fatal(err)
	}
	back, meta, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta["command"] != "test" || meta["format"] != FileFormat || meta["sizes"] != "24,16,8" || meta["layers"] != "2" {
		t.Fatalf("metadata %v", meta)
	}
	for k := range s.Layers {
		a, b := s.Layers[k], back.Layers[k]
		if !sameFloats(a.W, b.W) || !sameFloats(a.B, b.B) || !sameFloats(a.C, b.C) {
			t.Fatalf("layer %d differs after the round trip", k+1)
		}
	}
	orig, _ := os.ReadFile(path)
	if again := saved(t, back, map[string]string{"command": "test"}); !bytes.Equal(orig, again) {
		t.Fatal("saving the loaded stack gives other bytes")
	}
	// The metadata Load returns may be saved again, to the same bytes.
	if again := saved(t, back, meta); !bytes.Equal(orig, again) {
		t.Fatal("saving the loaded stack with its loaded metadata gives other bytes")
	}
	// Every layer's own metadata is there, under its prefix.
	f, err := safetensors.ReadFile(path, safetensors.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"layer1.format", "layer2.format", "layer1.tensor_sha256", "layer2.weight"} {
		if _, ok := f.Metadata[k]; !ok {
			if _, ok := f.Tensors[k]; !ok {
				t.Errorf("no %s in the file", k)
			}
		}
	}
	if f.Metadata["layer1.format"] != engine.FileFormat {
		t.Errorf("layer1.format = %q", f.Metadata["layer1.format"])
	}
}

func TestTransformEqualsLayerByLayer(t *testing.T) {
	x := tinyData(300, 24, 2)
	s := trainStack(t, x, 24, []int{16, 12, 8}, 0, Options{})
	in := x
	for k := 1; k <= 3; k++ {
		h, err := s.Layers[k-1].Transform(in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Transform(x, k)
		if err != nil {
			t.Fatal(err)
		}
		if !sameFloats(got, h) {
			t.Fatalf("Transform through %d layers differs from layer by layer", k)
		}
		// The per-row source gives the same rows.
		rs, err := s.Rows(engine.Dense(x, 24), k)
		if err != nil {
			t.Fatal(err)
		}
		row := make([]float32, rs.Cols())
		for _, i := range []int{0, 17, 299} {
			if err := rs.ReadRow(i, row); err != nil {
				t.Fatal(err)
			}
			if !sameFloats(row, h[i*rs.Cols():(i+1)*rs.Cols()]) {
				t.Fatalf("Rows(%d) row %d differs from Transform", k, i)
			}
		}
		in = h
	}
	// Chunking: more rows than a chunk, and the top is k = 0.
	big := tinyData(chunkRows+77, 24, 3)
	a, err := s.Transform(big, 0)
	if err != nil {
		t.Fatal(err)
	}
	h1, _ := s.Layers[0].Transform(big)
	h2, _ := s.Layers[1].Transform(h1)
	h3, _ := s.Layers[2].Transform(h2)
	if !sameFloats(a, h3) {
		t.Fatal("chunked Transform differs")
	}
	if _, err := s.Transform(x, 4); !errors.Is(err, ErrStack) {
		t.Fatalf("layer 4 of 3: %v", err)
	}
	if _, err := s.Transform(x[:25], 1); err == nil {
		t.Fatal("ragged rows accepted")
	}
}

func TestTrainReproducibleAcrossWorkers(t *testing.T) {
	// Big enough that the engine splits the products among the workers.
	x := tinyData(480, 160, 4)
	for _, samples := range []bool{false, true} {
		var ref []byte
		for _, w := range []int{1, 2, 3} {
			s := trainStack(t, x, 160, []int{128, 96}, w, Options{Samples: samples})
			b := saved(t, s, nil)
			if ref == nil {
				ref = b
			} else if !bytes.Equal(ref, b) {
				t.Fatalf("samples=%v: %d workers give another stack than 1", samples, w)
			}
		}
	}
	// Samples and probabilities train different upper layers.
	a := trainStack(t, x, 160, []int{128, 96}, 0, Options{})
	b := trainStack(t, x, 160, []int{128, 96}, 0, Options{Samples: true})
	if !sameFloats(a.Layers[0].W, b.Layers[0].W) {
		t.Fatal("the bottom layer depends on Samples")
	}
	if sameFloats(a.Layers[1].W, b.Layers[1].W) {
		t.Fatal("Samples did not change layer 2")
	}
}

func TestGrowLearns(t *testing.T) {
	x := tinyData(400, 40, 5)
	var ces []float64
	opt := Options{OnEpoch: func(k int, m engine.EpochMetrics) error {
		if k == 2 {
			ces = append(ces, m.TrainCE)
		}
		if math.IsNaN(m.TrainCE) || m.Epoch < 1 {
			t.Errorf("layer %d metrics %+v", k, m)
		}
		return nil
	}}
	trainStack(t, x, 40, []int{32, 24}, 0, opt)
	if len(ces) != 3 || !(ces[2] < ces[0]) {
		t.Fatalf("layer 2 reconstruction cross-entropy per epoch %v: want 3 epochs, falling", ces)
	}
	// Validation data: every layer's metrics have them; validating on the
	// training rows themselves gives the training values.
	var val []engine.EpochMetrics
	vopt := Options{Val: engine.Dense(x, 40), OnEpoch: func(k int, m engine.EpochMetrics) error {
		val = append(val, m)
		return nil
	}}
	trainStack(t, x, 40, []int{32, 24}, 0, vopt)
	if len(val) != 6 {
		t.Fatalf("%d epochs of metrics, want 6", len(val))
	}
	for i, m := range val {
		if m.ValRows != 400 || math.Abs(m.ValCE-m.TrainCE) > 1e-9*math.Abs(m.TrainCE) || math.Abs(m.ValFE-m.TrainFE) > 1e-9*math.Abs(m.TrainFE) {
			t.Fatalf("epoch %d: validation on the training rows %+v", i, m)
		}
	}
	// OnEpoch's error stops training.
	stop := errors.New("stop")
	bottom, _ := engine.NewRBM(40, 32, 0.01, 3)
	_, err := Train(context.Background(), engine.Dense(x, 40), bottom, layers([]int{32, 24}, 3, 20),
		Options{OnEpoch: func(k int, m engine.EpochMetrics) error {
			if k == 2 {
				return stop
			}
			return nil
		}})
	if !errors.Is(err, stop) {
		t.Fatalf("error %v, want the callback's", err)
	}
}

func TestGenerate(t *testing.T) {
	x := tinyData(300, 24, 6)
	s := trainStack(t, x, 24, []int{16, 8}, 0, Options{})
	top := s.RandomTop(5, 1)
	if len(top) != 5*16 {
		t.Fatalf("%d top values", len(top))
	}
	v, err := s.Generate(append([]float32(nil), top...), 10, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(v) != 5*24 {
		t.Fatalf("%d generated values, want 5×24", len(v))
	}
	for _, p := range v {
		if !(p >= 0 && p <= 1) {
			t.Fatalf("generated value %v outside [0,1]", p)
		}
	}
	// It is the top RBM's Gibbs chain, then one top-down pass of probabilities.
	want := append([]float32(nil), top...)
	if err := s.Layers[1].Gibbs(want, 10, 2, true); err != nil {
		t.Fatal(err)
	}
	down := make([]float32, 5*24)
	if err := s.Layers[0].VisibleProbs(down, want); err != nil {
		t.Fatal(err)
	}
	if !sameFloats(v, down) {
		t.Fatal("Generate is not Gibbs in the top RBM then a top-down pass")
	}
	if _, err := s.Generate(top[:3], 1, 1); err == nil {
		t.Fatal("ragged top accepted")
	}
}

func TestGaussianBottom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	V := 6
	x := make([]float32, 300*V)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	bottom, _ := engine.NewRBM(V, 8, 0.01, 3)
	if err := bottom.SetVisibleUnits(engine.Gaussian, 0); err != nil {
		t.Fatal(err)
	}
	if err := bottom.InitVisibleBias(x); err != nil {
		t.Fatal(err)
	}
	ls := layers([]int{8, 4}, 2, 20)
	ls[0].Config.LearningRate = 0.01
	s, err := Train(context.Background(), engine.Dense(x, V), bottom, ls, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := saved(t, s, nil)
	back, _, err := Load(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if back.Layers[0].VisibleUnits != engine.Gaussian || !sameFloats(back.Layers[0].Sigma, s.Layers[0].Sigma) {
		t.Fatal("the Gaussian bottom did not survive the file")
	}
	if _, err := New(s.Layers[1], s.Layers[0]); !errors.Is(err, ErrStack) {
		t.Fatalf("a stack with mismatched widths: %v", err)
	}
}

func TestLoadRejects(t *testing.T) {
	x := tinyData(200, 24, 1)
	s := trainStack(t, x, 24, []int{16, 8}, 0, Options{})
	good := saved(t, s, nil)
	f, err := safetensors.Read(bytes.NewReader(good), int64(len(good)), safetensors.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(change func(f *safetensors.File)) []byte {
		g := &safetensors.File{Metadata: map[string]string{}, Tensors: map[string]safetensors.Tensor{}}
		for k, v := range f.Metadata {
			g.Metadata[k] = v
		}
		for k, v := range f.Tensors {
			g.Tensors[k] = v
		}
		change(g)
		var b bytes.Buffer
		if err := safetensors.Write(&b, g); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	cases := map[string][]byte{
		"truncated":      good[:len(good)-10],
		"text":           []byte("hello"),
		"no layer 2":     mutate(func(g *safetensors.File) { delete(g.Tensors, "layer2.weight") }),
		"layer 3 tensor": mutate(func(g *safetensors.File) { g.Tensors["layer3.weight"] = g.Tensors["layer2.weight"] }),
		"stray tensor":   mutate(func(g *safetensors.File) { g.Tensors["weight"] = g.Tensors["layer2.weight"] }),
		"layers 0":       mutate(func(g *safetensors.File) { g.Metadata["layers"] = "0" }),
		"layers 1":       mutate(func(g *safetensors.File) { g.Metadata["layers"] = "1" }),
		"sizes":          mutate(func(g *safetensors.File) { g.Metadata["sizes"] = "24,16,9" }),
		"version":        mutate(func(g *safetensors.File) { g.Metadata["format_version"] = "9" }),
		"checksum":       mutate(func(g *safetensors.File) { g.Metadata["layer1.tensor_sha256"] = strings.Repeat("0", 64) }),
		"swapped": mutate(func(g *safetensors.File) {
			g.Tensors["layer1.weight"], g.Tensors["layer2.weight"] = g.Tensors["layer2.weight"], g.Tensors["layer1.weight"]
		}),
	}
	for name, b := range cases {
		_, _, err := Load(bytes.NewReader(b), int64(len(b)))
		if !errors.Is(err, ErrFile) {
			t.Errorf("%s: error %v, want ErrFile", name, err)
		}
	}
	// A single RBM is not a stack, but LoadAny reads it as one layer.
	path := filepath.Join(t.TempDir(), "rbm.safetensors")
	if err := s.Layers[0].SaveFile(path, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadFile(path); !errors.Is(err, ErrNotStack) {
		t.Fatalf("an RBM file: %v, want ErrNotStack", err)
	}
	one, _, single, err := LoadAny(path)
	if err != nil || !single || len(one.Layers) != 1 || !sameFloats(one.Layers[0].W, s.Layers[0].W) {
		t.Fatalf("LoadAny of an RBM file: %v, single %v", err, single)
	}
	if err := s.Save(&bytes.Buffer{}, map[string]string{"layer1.x": "y"}); !errors.Is(err, ErrStack) {
		t.Fatalf("reserved metadata key: %v", err)
	}
}

func TestCategoricalBottom(t *testing.T) {
	// 4 positions of 3 states, one-hot: 12 visible units.
	r := rand.New(rand.NewPCG(2, 2))
	const n, q = 4, 3
	x := make([]float32, 200*n*q)
	for i := 0; i < 200; i++ {
		for p := 0; p < n; p++ {
			s := (i + p) % q
			if r.Float64() < 0.2 {
				s = r.IntN(q)
			}
			x[i*n*q+p*q+s] = 1
		}
	}
	bottom, _ := engine.NewRBM(n*q, 6, 0.01, 3)
	if err := bottom.SetVisibleUnits(engine.Categorical, q); err != nil {
		t.Fatal(err)
	}
	if err := bottom.InitVisibleBias(x); err != nil {
		t.Fatal(err)
	}
	s, err := Train(context.Background(), engine.Dense(x, n*q), bottom, layers([]int{6, 4}, 2, 20), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := saved(t, s, nil)
	back, _, err := Load(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if back.Layers[0].VisibleUnits != engine.Categorical || back.Layers[0].States != q || back.Layers[1].VisibleUnits != engine.Bernoulli {
		t.Fatalf("layer types after the file: %v (%d states), %v", back.Layers[0].VisibleUnits, back.Layers[0].States, back.Layers[1].VisibleUnits)
	}
	// Generation ends in state probabilities: each position sums to 1.
	v, err := back.Generate(back.RandomTop(3, 1), 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3*n; i++ {
		var sum float64
		for _, p := range v[i*q : (i+1)*q] {
			sum += float64(p)
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Fatalf("position %d of the generated rows sums to %v", i, sum)
		}
	}
}
