package engine

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/boltzgo/boltz/safetensors"
)

// unitsModels returns a trained Gaussian (learned σ, with a stored ZCA
// whitening) and a categorical model.
func unitsModels(t *testing.T) []*RBM {
	t.Helper()
	var ms []*RBM
	for _, tc := range []struct {
		u    UnitType
		V, q int
	}{{Gaussian, 6, 0}, {Categorical, 12, 4}} {
		data := unitData(tc.u, 50, tc.V, tc.q, 1)
		m, _ := NewRBM(tc.V, 5, 0.05, 2)
		if err := m.SetVisibleUnits(tc.u, tc.q); err != nil {
			t.Fatal(err)
		}
		if tc.u == Gaussian {
			st, err := FitStandardization(data, tc.V, true)
			if err != nil {
				t.Fatal(err)
			}
			m.Input = st
			if data, err = st.Apply(data); err != nil {
				t.Fatal(err)
			}
		}
		m.InitVisibleBias(data)
		cfg := DefaultConfig()
		cfg.Epochs, cfg.BatchSize, cfg.LearnSigma = 2, 10, tc.u == Gaussian
		tr, _ := NewTrainer(m, cfg)
		if err := tr.Fit(context.Background(), data, FitOptions{}); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return ms
}

// TestUnitsModelFileRoundTrip saves and loads Gaussian and categorical
// models (format version 2) and checks every parameter, the units and the
// standardisation bit for bit.
func TestUnitsModelFileRoundTrip(t *testing.T) {
	for _, m := range unitsModels(t) {
		var buf bytes.Buffer
		if err := m.Save(&buf, map[string]string{"visible_states": "99"}); err != nil {
			t.Fatal(err)
		}
		got, meta, err := Load(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatalf("%s: %v", m.VisibleUnits, err)
		}
		if meta["format_version"] != "2" || meta["visible_units"] != m.VisibleUnits.String() {
			t.Errorf("%s: metadata %v", m.VisibleUnits, meta)
		}
		if got.VisibleUnits != m.VisibleUnits || got.States != m.States || !bytes.Equal(unitBytes(got), unitBytes(m)) {
			t.Errorf("%s: loaded model differs", m.VisibleUnits)
		}
		if (m.Input == nil) != (got.Input == nil) {
			t.Fatalf("%s: standardisation lost", m.VisibleUnits)
		}
		if m.Input != nil {
			x := unitData(Gaussian, 3, m.Visible, 0, 9)
			a, _ := m.Input.Apply(x)
			b, _ := got.Input.Apply(x)
			if !bytes.Equal(f32bytes(a), f32bytes(b)) || got.Input.Whitening == nil {
				t.Errorf("%s: the loaded standardisation differs", m.VisibleUnits)
			}
		}
	}
}

// TestUnitsModelFileRejects: hostile version-2 files are one-line errors
// wrapping ErrModelFile: σ ≤ 0, NaN or Inf, wrong shapes, bad unit names and
// states, unit entries in a version-1 file, missing or extra tensors.
func TestUnitsModelFileRejects(t *testing.T) {
	ms := unitsModels(t)
	g, c := ms[0], ms[1]
	encode := func(m *RBM, edit func(f *safetensors.File)) []byte {
		f, err := m.file(nil)
		if err != nil {
			t.Fatal(err)
		}
		edit(f)
		var buf bytes.Buffer
		if err := safetensors.Write(&buf, f); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	sigma := func(x float32) func(*safetensors.File) {
		return func(f *safetensors.File) {
			s := append([]float32(nil), g.Sigma...)
			s[2] = x
			f.Tensors["visible_sigma"] = safetensors.FromFloat32([]int{len(s)}, s)
			delete(f.Metadata, "tensor_sha256")
		}
	}
	cases := map[string][]byte{
		"σ = 0":       encode(g, sigma(0)),
		"σ < 0":       encode(g, sigma(-1)),
		"σ NaN":       encode(g, sigma(float32(math.NaN()))),
		"σ Inf":       encode(g, sigma(float32(math.Inf(1)))),
		"σ corrupted": encode(g, func(f *safetensors.File) { sigma(2)(f); f.Metadata["tensor_sha256"] = g.checksum() }),
		"no σ":        encode(g, func(f *safetensors.File) { delete(f.Tensors, "visible_sigma") }),
		"σ shape": encode(g, func(f *safetensors.File) {
			f.Tensors["visible_sigma"] = safetensors.FromFloat32([]int{2}, []float32{1, 1})
		}),
		"bad units": encode(g, func(f *safetensors.File) { f.Metadata["visible_units"] = "relu" }),
		"no units":  encode(g, func(f *safetensors.File) { delete(f.Metadata, "visible_units") }),
		"σ on cat": encode(c, func(f *safetensors.File) {
			f.Tensors["visible_sigma"] = safetensors.FromFloat32([]int{12}, make([]float32, 12))
		}),
		"states 5":      encode(c, func(f *safetensors.File) { f.Metadata["visible_states"] = "5" }),
		"states 1":      encode(c, func(f *safetensors.File) { f.Metadata["visible_states"] = "1" }),
		"no states":     encode(c, func(f *safetensors.File) { delete(f.Metadata, "visible_states") }),
		"states gauss":  encode(g, func(f *safetensors.File) { f.Metadata["visible_states"] = "2" }),
		"v1 with units": encode(c, func(f *safetensors.File) { f.Metadata["format_version"] = "1" }),
		"extra tensor":  encode(c, func(f *safetensors.File) { f.Tensors["x"] = safetensors.FromFloat32([]int{1}, []float32{1}) }),
		"scale 0": encode(g, func(f *safetensors.File) {
			s := make([]float32, g.Visible)
			f.Tensors["input_scale"] = safetensors.FromFloat32([]int{len(s)}, s)
			delete(f.Metadata, "tensor_sha256")
		}),
		"whitening shape": encode(g, func(f *safetensors.File) {
			f.Tensors["input_whitening"] = safetensors.FromFloat32([]int{2, 3}, make([]float32, 6))
		}),
		"mean only": encode(c, func(f *safetensors.File) {
			f.Tensors["input_mean"] = safetensors.FromFloat32([]int{12}, make([]float32, 12))
		}),
	}
	for name, raw := range cases {
		_, _, err := Load(bytes.NewReader(raw), int64(len(raw)))
		if !errors.Is(err, ErrModelFile) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want a one-line ErrModelFile", name, err)
		}
	}
}

// TestUnitsResumeBitwise interrupts Gaussian (learned σ, CD and PCD) and
// categorical (PCD) training several times, resumes each time from a
// checkpoint on another worker count, and demands the uninterrupted model
// bit for bit, for every built-in kernel.
func TestUnitsResumeBitwise(t *testing.T) {
	cases := []struct {
		name string
		u    UnitType
		V, q int
		mod  func(*Config)
	}{
		{"gauss-sigma", Gaussian, 12, 0, func(c *Config) { c.LearnSigma = true }},
		{"gauss-sigma-pcd", Gaussian, 12, 0, func(c *Config) { c.LearnSigma = true; c.PCD = true; c.Chains = 4 }},
		{"cat-pcd", Categorical, 15, 3, func(c *Config) { c.PCD = true; c.K = 2 }},
	}
	for _, k := range builtinKernels(t) {
		for _, tc := range cases {
			data := unitData(tc.u, 50, tc.V, tc.q, 4)
			setup := func(workers int) *Trainer {
				m, _ := NewRBM(tc.V, 7, 0.05, 3)
				m.SetVisibleUnits(tc.u, tc.q)
				m.SetEngine(testEngine(t, k, workers))
				m.InitVisibleBias(data)
				cfg := DefaultConfig()
				cfg.Epochs, cfg.BatchSize, cfg.LearningRate, cfg.MomentumEpochs = 3, 8, 0.02, 1
				tc.mod(&cfg)
				tr, err := NewTrainer(m, cfg)
				if err != nil {
					t.Fatal(err)
				}
				return tr
			}
			ref := setup(1)
			if err := ref.Fit(context.Background(), data, FitOptions{}); err != nil {
				t.Fatal(err)
			}
			tr := setup(2)
			for i, stop := range []uint64{3, 7, 8, 15} {
				ctx, cancel := context.WithCancel(context.Background())
				err := tr.Fit(ctx, data, FitOptions{OnBatch: func(e, b, n int) {
					if tr.Steps() == stop {
						cancel()
					}
				}})
				cancel()
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("%s/%s: stop at %d: %v", KernelID(k), tc.name, stop, err)
				}
				raw := checkpointBytes(t, tr)
				ck, err := ReadCheckpoint(bytes.NewReader(raw), int64(len(raw)))
				if err != nil {
					t.Fatalf("%s/%s: %v", KernelID(k), tc.name, err)
				}
				if ck.Model.VisibleUnits != tc.u || ck.Meta["format_version"] != "2" {
					t.Fatalf("%s/%s: checkpoint of %s units, version %s", KernelID(k), tc.name, ck.Model.VisibleUnits, ck.Meta["format_version"])
				}
				if tr, err = ck.Resume(testEngine(t, k, []int{3, 1, 4, 2}[i])); err != nil {
					t.Fatal(err)
				}
			}
			if err := tr.Fit(context.Background(), data, FitOptions{}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(unitBytes(tr.Model()), unitBytes(ref.Model())) {
				t.Errorf("%s/%s: resumed model differs from the uninterrupted one", KernelID(k), tc.name)
			}
		}
	}
}

// TestUnitsCheckpointRejects: every truncation and every single-byte flip
// of Gaussian and categorical checkpoints (format version 2) is a one-line
// error wrapping ErrCheckpoint or safetensors.ErrFormat, never a panic.
func TestUnitsCheckpointRejects(t *testing.T) {
	for _, good := range [][]byte{unitsCheckpoint(t, Gaussian, 4, 0), unitsCheckpoint(t, Categorical, 6, 3)} {
		if _, err := ReadCheckpoint(bytes.NewReader(good), int64(len(good))); err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(good); n++ {
			if _, err := ReadCheckpoint(bytes.NewReader(good[:n]), int64(n)); err == nil {
				t.Fatalf("truncated to %d bytes: no error", n)
			}
		}
		for i := range good {
			raw := bytes.Clone(good)
			raw[i] ^= 0x04
			_, err := ReadCheckpoint(bytes.NewReader(raw), int64(len(raw)))
			if err == nil {
				t.Fatalf("flip at %d: no error", i)
			}
			if strings.ContainsAny(err.Error(), "\r\n") || !errors.Is(err, ErrCheckpoint) && !isFormatErr(err) {
				t.Fatalf("flip at %d: %q", i, err)
			}
		}
	}
}
