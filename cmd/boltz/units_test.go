package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boltzgo/boltz/engine"
)

// writeMixture writes rows of a 2-D mixture of two Laplacian sources as CSV.
func writeMixture(t *testing.T, dir string, rows int) string {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	lap := func() float64 {
		u := r.Float64() - 0.5
		return -math.Copysign(1, u) * math.Log(1-2*math.Abs(u))
	}
	var b strings.Builder
	b.WriteString("x,y\n")
	for i := 0; i < rows; i++ {
		s0, s1 := lap()+1, lap()+1
		fmt.Fprintf(&b, "%g,%g\n", 3+0.3*s0-0.45*s1, -2+0.2*s0+0.4*s1)
	}
	p := filepath.Join(dir, "mix.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeFamily writes an aligned FASTA file of a toy family: two groups of
// sequences of 10 positions.
func writeFamily(t *testing.T, dir string, records int) string {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	for i := 0; i < records; i++ {
		fmt.Fprintf(&b, ">seq%d group %d\n", i, i%2)
		for j := 0; j < 10; j++ {
			c := "AC-"
			if (i+j)%2 == 0 {
				c = "DEW"
			}
			b.WriteByte(c[r.IntN(3)])
		}
		b.WriteByte('\n')
	}
	p := filepath.Join(dir, "fam.fasta")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTrainGaussianCLI trains a Gaussian model with learned σ and ZCA
// whitening from the command line, checks the file (units, σ, whitening),
// evaluates it with the exact log Z, transforms and samples with it.
func TestTrainGaussianCLI(t *testing.T) {
	dir := t.TempDir()
	csv := writeMixture(t, dir, 2000)
	model := filepath.Join(dir, "g.safetensors")
	code, _, stderr := runCmd(t, "train", "--visible", "gaussian", "--learn-sigma", "--whiten", "--data", csv,
		"--hidden", "4", "--epochs", "3", "--batch", "50", "--out", model, "--quiet")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "gaussian RBM") || !strings.Contains(stderr, "train SE") {
		t.Errorf("train output does not name the units and the squared error: %s", stderr)
	}
	m, meta, err := engine.LoadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	if m.VisibleUnits != engine.Gaussian || m.Input == nil || m.Input.Whitening == nil || meta["visible_units"] != "gaussian" {
		t.Fatalf("model: units %v, input %+v, meta %v", m.VisibleUnits, m.Input, meta)
	}
	moved := false
	for _, s := range m.Sigma {
		moved = moved || math.Abs(float64(s)-1) > 1e-3
	}
	if !moved {
		t.Errorf("--learn-sigma left σ = %v", m.Sigma)
	}
	code, out, stderr := runCmd(t, "eval", "--model", model, "--data", csv, "--logz", "exact", "--json")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res["visible_units"] != "gaussian" || res["recon_squared_error"] == nil || res["pseudo_log_likelihood"] != nil {
		t.Errorf("eval JSON %v", res)
	}
	// The whitened data have about unit covariance: the log-likelihood is
	// near that of a standard normal, −log 2π − 1 = −2.84.
	if ll, _ := res["log_likelihood_mean"].(float64); !(ll > -3.5 && ll < -2.2) {
		t.Errorf("log-likelihood %v of whitened 2-D data", res["log_likelihood_mean"])
	}
	feat := filepath.Join(dir, "f.npy")
	if code, _, stderr := runCmd(t, "transform", "--model", model, "--data", csv, "--out", feat); code != 0 {
		t.Fatalf("transform: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "sample", "--model", model, "--chains", "3", "--steps", "5", "--out", filepath.Join(dir, "s.npy")); code != 0 {
		t.Fatalf("sample: exit %d: %s", code, stderr)
	}
	code, out, stderr = runCmd(t, "eval", "--model", model, "--data", csv, "--logz", "ais", "--ais-betas", "2000", "--json")
	if code != 0 {
		t.Fatalf("eval --logz ais: exit %d: %s", code, stderr)
	}
	var ais map[string]any
	if err := json.Unmarshal([]byte(out), &ais); err != nil {
		t.Fatal(err)
	}
	if ais["log_z_method"] != "ais" || math.Abs(ais["log_z"].(float64)-res["log_z"].(float64)) > 0.2 {
		t.Errorf("AIS log Z %v, exact %v", ais["log_z"], res["log_z"])
	}
}

// TestTrainCategoricalCLI trains a categorical model on FASTA, evaluates it
// with the exact log Z, and resumes an interrupted run bit for bit.
func TestTrainCategoricalCLI(t *testing.T) {
	dir := t.TempDir()
	fa := writeFamily(t, dir, 200)
	model := filepath.Join(dir, "c.safetensors")
	ck := filepath.Join(dir, "ck")
	args := []string{"train", "--visible", "categorical", "--data", fa, "--hidden", "6", "--batch", "20", "--pcd", "--quiet"}
	code, _, stderr := runCmd(t, append(args, "--epochs", "4", "--out", model)...)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "10 positions × 21 states") {
		t.Errorf("train output: %s", stderr)
	}
	m, _, err := engine.LoadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	if m.VisibleUnits != engine.Categorical || m.States != 21 || m.Visible != 210 {
		t.Fatalf("model: %v, %d states, %d visible", m.VisibleUnits, m.States, m.Visible)
	}
	code, out, stderr := runCmd(t, "eval", "--model", model, "--data", fa, "--logz", "exact")
	if code != 0 || !strings.Contains(out, "recon_cross_entropy") || !strings.Contains(out, "log_likelihood_mean") {
		t.Fatalf("eval: exit %d: %s %s", code, out, stderr)
	}
	// Two epochs, then two more from the checkpoint: the model of four.
	model2 := filepath.Join(dir, "c2.safetensors")
	if code, _, stderr := runCmd(t, append(args, "--epochs", "2", "--out", model2, "--checkpoint", ck)...); code != 0 {
		t.Fatalf("train 2 epochs: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "train", "--resume", ck, "--epochs", "4", "--quiet"); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	m2, _, err := engine.LoadFile(model2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.W {
		if m.W[i] != m2.W[i] {
			t.Fatalf("resumed categorical model differs from the uninterrupted one at weight %d", i)
		}
	}
	if code, _, stderr := runCmd(t, "train", "--resume", ck, "--epochs", "5", "--visible", "gaussian", "--quiet"); code != exitUsage {
		t.Errorf("resume with another --visible: exit %d (%s), want 2", code, stderr)
	}
}

// TestUnitsUsageErrors: impossible unit flags are usage errors (exit 2)
// with one line; bad data are errors (exit 1) naming the problem.
func TestUnitsUsageErrors(t *testing.T) {
	dir := t.TempDir()
	fa := writeFamily(t, dir, 30)
	csv := writeMixture(t, dir, 100)
	out := filepath.Join(dir, "m.safetensors")
	for _, args := range [][]string{
		{"--visible", "potts"},
		{"--learn-sigma"},
		{"--visible", "gaussian", "--sigma-lr", "0.1"},
		{"--visible", "gaussian", "--learn-sigma", "--sigma-lr", "-1"},
		{"--standardize"},
		{"--visible", "gaussian", "--standardize", "--whiten"},
		{"--visible", "categorical", "--states", "1"},
		{"--states", "4"},
		{"--visible", "gaussian", "--binarize", "none"},
		{"--visible", "gaussian", "--pll"},
		{"--visible", "gaussian", "--logz-every", "1"},
		{"--visible", "categorical", "--mmap", "on"},
		{"--visible", "categorical", "--data", "mnist"},
	} {
		full := append([]string{"train", "--data", csv, "--out", out, "--hidden", "2", "--batch", "10", "--epochs", "1"}, args...)
		code, _, stderr := runCmd(t, full...)
		if code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("train %v: exit %d, stderr %q; want 2 and one line", args, code, stderr)
		}
	}
	bad := filepath.Join(dir, "bad.fasta")
	os.WriteFile(bad, []byte(">a\nACDE\n>b broken\nACXE\n"), 0o644)
	code, _, stderr := runCmd(t, "train", "--visible", "categorical", "--data", bad, "--out", out, "--hidden", "2", "--batch", "1", "--val-frac", "0")
	if code != 1 || !strings.Contains(stderr, `record 2 ("b broken")`) {
		t.Errorf("bad FASTA: exit %d, %q", code, stderr)
	}
	nan := filepath.Join(dir, "nan.csv")
	os.WriteFile(nan, []byte("1,2\n3,nan\n"), 0o644)
	code, _, stderr = runCmd(t, "train", "--visible", "gaussian", "--data", nan, "--out", out, "--hidden", "2", "--batch", "1", "--val-frac", "0")
	if code != 1 || !strings.Contains(stderr, "NaN") {
		t.Errorf("NaN data: exit %d, %q", code, stderr)
	}
	// States beyond --states are an error naming the row.
	code, _, stderr = runCmd(t, "train", "--visible", "categorical", "--states", "5", "--data", fa, "--out", out, "--hidden", "2", "--batch", "5")
	if code != 1 || !strings.Contains(stderr, "not below the 5 states") {
		t.Errorf("--states 5 on FASTA: exit %d, %q", code, stderr)
	}
}

// TestGRBM2DDefaults is PyDeep's GRBM_2D problem: a 2-D mixture of two
// Laplacian sources, ZCA-whitened, 4 hidden units, CD-1, learned σ, with
// boltz's defaults otherwise. The Gaussian solution has the test
// log-likelihood −log 2π − 1 = −2.838 nats on whitened data; PyDeep reports
// −2.736 for its trained GRBM (and −2.736 for ICA). With the defaults and
// seed 1 boltz gets clearly away from the Gaussian solution (the runs of
// other seeds end between −2.80 and −2.74: some stop in a local optimum
// where two hidden units share a direction).
func TestGRBM2DDefaults(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(42, 7))
	lap := func() float64 {
		u := r.Float64() - 0.5
		return 1 - math.Copysign(1, u)*math.Log(1-2*math.Abs(u))
	}
	a := [2][2]float64{{r.Float64() - 0.5, r.Float64() - 0.5}, {r.Float64() - 0.5, r.Float64() - 0.5}}
	write := func(name string, n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			s0, s1 := lap(), lap()
			fmt.Fprintf(&b, "%g,%g\n", a[0][0]*s0+a[0][1]*s1, a[1][0]*s0+a[1][1]*s1)
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(b.String()), 0o644)
		return p
	}
	train, test := write("train.csv", 50000), write("test.csv", 20000)
	model := filepath.Join(dir, "g.safetensors")
	if code, _, stderr := runCmd(t, "train", "--visible", "gaussian", "--whiten", "--learn-sigma", "--hidden", "4",
		"--data", train, "--val", test, "--epochs", "20", "--out", model, "--quiet"); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	code, out, stderr := runCmd(t, "eval", "--model", model, "--data", test, "--logz", "exact", "--json")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	ll, _ := res["log_likelihood_mean"].(float64)
	gauss := -math.Log(2*math.Pi) - 1
	if !(ll > gauss+0.03) {
		t.Errorf("test log-likelihood %v: not clearly above the Gaussian solution's %v (PyDeep: −2.736)", ll, gauss)
	}
	t.Logf("test log-likelihood %v (Gaussian %v)", ll, gauss)
}

// TestGaussianResumeCLI: a whitened Gaussian run with learned σ, resumed
// from its checkpoint, gives the uninterrupted model bit for bit (σ and the
// stored whitening included).
func TestGaussianResumeCLI(t *testing.T) {
	dir := t.TempDir()
	csv := writeMixture(t, dir, 600)
	args := []string{"train", "--visible", "gaussian", "--learn-sigma", "--whiten", "--data", csv, "--hidden", "3", "--batch", "20", "--quiet"}
	full, part := filepath.Join(dir, "full.safetensors"), filepath.Join(dir, "part.safetensors")
	if code, _, stderr := runCmd(t, append(args, "--epochs", "4", "--out", full)...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	ck := filepath.Join(dir, "ck")
	if code, _, stderr := runCmd(t, append(args, "--epochs", "2", "--out", part, "--checkpoint", ck)...); code != 0 {
		t.Fatalf("train 2: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "train", "--resume", ck, "--epochs", "4", "--quiet"); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	a, _, err := engine.LoadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := engine.LoadFile(part)
	if err != nil {
		t.Fatal(err)
	}
	same := func(x, y []float32) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return false
			}
		}
		return true
	}
	if !same(a.W, b.W) || !same(a.B, b.B) || !same(a.C, b.C) || !same(a.Sigma, b.Sigma) ||
		b.Input == nil || !same(a.Input.Whitening, b.Input.Whitening) {
		t.Errorf("the resumed gaussian model differs from the uninterrupted one")
	}
}
