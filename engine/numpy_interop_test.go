package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/engine"
)

// The numpy interoperability tests check boltz's files against an
// independent reader and writer: NumPy alone (struct, json, np.frombuffer,
// np.load, np.save), no boltz code and no safetensors package. CI installs
// python3-numpy and sets CI, so there a missing NumPy fails the test;
// elsewhere it is skipped.

const python = "/usr/bin/python3"

// needNumpy skips (or, under CI, fails) the test when python3 with numpy is
// not available.
func needNumpy(t *testing.T) {
	t.Helper()
	out, err := exec.Command(python, "-c", "import numpy; print(numpy.__version__)").CombinedOutput()
	if err == nil {
		return
	}
	msg := python + " with numpy is not available (" + err.Error() + ": " + string(bytes.TrimSpace(out)) + ")"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; CI must run the numpy interoperability tests (install python3-numpy)")
	}
	t.Skip(msg + "; install python3-numpy to run this test")
}

// runPython runs script with args and returns its standard output.
func runPython(t *testing.T, script string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(python, append([]string{"-c", script}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	return out
}

// synthRows returns rows×cols binary rows: three prototypes with 10% of the
// bits flipped, from a simple deterministic generator.
func synthRows(rows, cols int) []float32 {
	x := make([]float32, rows*cols)
	s := uint64(12345)
	next := func() uint64 { // xorshift64*
		s ^= s >> 12
		s ^= s << 25
		s ^= s >> 27
		return s * 2685821657736338717
	}
	for r := 0; r < rows; r++ {
		proto := r % 3
		for j := 0; j < cols; j++ {
			v := float32(0)
			if (j*3/cols) == proto || j%5 == proto {
				v = 1
			}
			if next()%10 == 0 {
				v = 1 - v
			}
			x[r*cols+j] = v
		}
	}
	return x
}

// hiddenProbsPy reads a boltz model file (safetensors) and an NPY file of
// visible rows with NumPy only and prints p(h=1|v) as JSON.
const hiddenProbsPy = `
import json, struct, sys
import numpy as np

model, rows = sys.argv[1], sys.argv[2]
with open(model, 'rb') as f:
    raw = f.read()
(n,) = struct.unpack('<Q', raw[:8])
header = json.loads(raw[8:8 + n].decode('utf-8'))
body = raw[8 + n:]
meta = header.pop('__metadata__', {})
assert meta.get('format') == 'boltz-rbm', meta

def tensor(name):
    t = header[name]
    assert t['dtype'] == 'F32', t
    lo, hi = t['data_offsets']
    return np.frombuffer(body[lo:hi], dtype='<f4').reshape(t['shape'])

W = tensor('weight').astype(np.float64)        # H×V
c = tensor('hidden_bias').astype(np.float64)   # H
b = tensor('visible_bias')                     # V
assert W.shape == (int(meta['hidden']), int(meta['visible']))
assert b.shape == (W.shape[1],) and c.shape == (W.shape[0],)
v = np.load(rows).astype(np.float64)
assert v.shape[1] == W.shape[1], (v.shape, W.shape)
p = 1.0 / (1.0 + np.exp(-(v @ W.T + c)))
print(json.dumps({'shape': list(p.shape), 'p': p.ravel().tolist()}))
`

// TestNumpyReadsModel trains a model, saves it, and checks that NumPy,
// reading the safetensors file by hand, computes the same p(h|v) as the
// model's HiddenProbs.
func TestNumpyReadsModel(t *testing.T) {
	needNumpy(t)
	const V, H, R = 24, 7, 300
	x := synthRows(R, V)
	m, err := engine.NewRBM(V, H, 0.01, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.InitVisibleBias(x); err != nil {
		t.Fatal(err)
	}
	cfg := engine.DefaultConfig()
	cfg.Epochs = 5
	cfg.BatchSize = 20
	tr, err := engine.NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Fit(context.Background(), x, engine.FitOptions{}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	modelPath := filepath.Join(dir, "model.safetensors")
	if err := m.SaveFile(modelPath, map[string]string{"note": "numpy interop"}); err != nil {
		t.Fatal(err)
	}
	const n = 12
	rows := x[:n*V]
	var npy bytes.Buffer
	if err := data.WriteNPY(&npy, data.Matrix{Rows: n, Cols: V, Data: rows}); err != nil {
		t.Fatal(err)
	}
	rowsPath := filepath.Join(dir, "rows.npy")
	if err := os.WriteFile(rowsPath, npy.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	var got struct {
		Shape []int
		P     []float64
	}
	if err := json.Unmarshal(runPython(t, hiddenProbsPy, modelPath, rowsPath), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Shape) != 2 || got.Shape[0] != n || got.Shape[1] != H || len(got.P) != n*H {
		t.Fatalf("numpy gave shape %v with %d values, want [%d %d]", got.Shape, len(got.P), n, H)
	}
	want := make([]float32, n*H)
	if err := m.HiddenProbs(want, rows); err != nil {
		t.Fatal(err)
	}
	// The model is not trivial: its hidden units respond differently.
	lo, hi := 1.0, 0.0
	for i, w := range want {
		lo, hi = math.Min(lo, float64(w)), math.Max(hi, float64(w))
		if d := math.Abs(float64(w) - got.P[i]); d > 1e-5 || math.IsNaN(d) {
			t.Errorf("p(h|v)[row %d, unit %d]: boltz %.8f, numpy %.8f (|Δ| = %.2g)", i/H, i%H, w, got.P[i], d)
		}
	}
	if hi-lo < 0.1 {
		t.Errorf("hidden probabilities all in [%g, %g]: the trained model is degenerate", lo, hi)
	}
}

// writeNpyPy writes a random binary float32 array and a random uint8 array
// with np.save and prints them as JSON.
const writeNpyPy = `
import json, sys
import numpy as np

rng = np.random.default_rng(7)
f32 = (rng.random((150, 20)) < 0.3).astype(np.float32)
u8 = rng.integers(0, 256, size=(120, 20), dtype=np.uint8)
np.save(sys.argv[1], f32)
np.save(sys.argv[2], u8)
print(json.dumps({'f32': f32.ravel().tolist(), 'u8': u8.ravel().tolist()}))
`

// TestTrainOnNumpyFiles has NumPy write NPY files (float32 and uint8), loads
// them with package data and trains on them.
func TestTrainOnNumpyFiles(t *testing.T) {
	needNumpy(t)
	dir := t.TempDir()
	f32Path, u8Path := filepath.Join(dir, "f32.npy"), filepath.Join(dir, "u8.npy")
	var want struct {
		F32 []float64
		U8  []int
	}
	if err := json.Unmarshal(runPython(t, writeNpyPy, f32Path, u8Path), &want); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		path       string
		rows, cols int
		want       func(i int) float32
	}{
		{f32Path, 150, 20, func(i int) float32 { return float32(want.F32[i]) }},
		// |u1 is scaled by 1/255, then thresholded at 0.5.
		{u8Path, 120, 20, func(i int) float32 {
			if float32(want.U8[i])/255 >= 0.5 {
				return 1
			}
			return 0
		}},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			for _, load := range []struct {
				name string
				f    func(string, data.Options) (*data.Set, error)
			}{{"Load", data.Load}, {"ReadNPY", data.ReadNPY}} {
				set, err := load.f(c.path, data.Options{})
				if err != nil {
					t.Fatalf("%s: %v", load.name, err)
				}
				if set.X.Rows != c.rows || set.X.Cols != c.cols || len(set.X.Data) != c.rows*c.cols {
					t.Fatalf("%s: %d×%d with %d values, want %d×%d", load.name, set.X.Rows, set.X.Cols, len(set.X.Data), c.rows, c.cols)
				}
				for i, v := range set.X.Data {
					if v != c.want(i) {
						t.Fatalf("%s: value %d (row %d, col %d) = %g, numpy wrote %g", load.name, i, i/c.cols, i%c.cols, v, c.want(i))
					}
				}
			}

			set, err := data.Load(c.path, data.Options{})
			if err != nil {
				t.Fatal(err)
			}
			m, err := engine.NewRBM(set.X.Cols, 8, 0.01, 1)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.InitVisibleBias(set.X.Data); err != nil {
				t.Fatal(err)
			}
			cfg := engine.DefaultConfig()
			cfg.Epochs = 3
			cfg.BatchSize = 25
			tr, err := engine.NewTrainer(m, cfg)
			if err != nil {
				t.Fatal(err)
			}
			epochs := 0
			err = tr.Fit(context.Background(), set.X.Data, engine.FitOptions{OnEpoch: func(e engine.EpochMetrics) error {
				epochs++
				if math.IsNaN(e.TrainCE) || math.IsInf(e.TrainCE, 0) || e.TrainCE <= 0 {
					t.Errorf("epoch %d: train cross-entropy %v", e.Epoch, e.TrainCE)
				}
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			if epochs != cfg.Epochs {
				t.Errorf("%d epochs reported, want %d", epochs, cfg.Epochs)
			}
			if err := m.Validate(); err != nil {
				t.Fatal(err)
			}
			f, err := m.Transform(set.X.Data)
			if err != nil {
				t.Fatal(err)
			}
			if len(f) != c.rows*8 {
				t.Errorf("Transform gave %d values, want %d×8", len(f), c.rows)
			}
		})
	}
}

// TestCIRunsNumpyTests: .ci/run sets CI (so that needNumpy fails instead of
// skipping) and stops when numpy cannot be installed.
func TestCIRunsNumpyTests(t *testing.T) {
	raw, err := os.ReadFile("../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	if !strings.Contains(s, `export CI="${CI:-1}"`) {
		t.Error(".ci/run does not set CI: the numpy interoperability tests can skip silently")
	}
	i := strings.Index(s, "apt-get install -y -qq python3-numpy")
	if i < 0 || !strings.Contains(s[i:min(len(s), i+300)], "exit 1") {
		t.Error(".ci/run goes on when python3-numpy cannot be installed")
	}
}
