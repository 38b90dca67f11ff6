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

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/engine"
	"github.com/boltzgo/boltz/viz"
)

// smallModel writes a random V×H model with weights of order scale and a CSV
// file of rows binary rows, and returns their paths and the model.
func smallModel(t *testing.T, V, H, rows int, scale float64) (modelPath, csvPath string, m *engine.RBM) {
	t.Helper()
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(uint64(V*1000+H), 5))
	m = &engine.RBM{Visible: V, Hidden: H, W: make([]float32, V*H), B: make([]float32, V), C: make([]float32, H)}
	for i := range m.W {
		m.W[i] = float32(scale * r.NormFloat64())
	}
	for i := range m.B {
		m.B[i] = float32(scale * r.NormFloat64())
	}
	for i := range m.C {
		m.C[i] = float32(scale * r.NormFloat64())
	}
	modelPath = filepath.Join(dir, "m.safetensors")
	if err := m.SaveFile(modelPath, nil); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for i := 0; i < rows; i++ {
		for j := 0; j < V; j++ {
			if j > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "%d", r.IntN(2))
		}
		sb.WriteByte('\n')
	}
	csvPath = filepath.Join(dir, "d.csv")
	if err := os.WriteFile(csvPath, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return modelPath, csvPath, m
}

func evalOut(t *testing.T, args ...string) (map[string]any, string) {
	t.Helper()
	code, stdout, stderr := runCmd(t, append([]string{"eval", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("eval %v: exit %d: %s", args, code, stderr)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("eval --json output %q: %v", stdout, err)
	}
	return res, stderr
}

func num(t *testing.T, res map[string]any, k string) float64 {
	t.Helper()
	x, ok := res[k].(float64)
	if !ok {
		t.Fatalf("%s = %v (%T), want a number", k, res[k], res[k])
	}
	return x
}

func TestEvalLogZ(t *testing.T) {
	modelPath, csvPath, m := smallModel(t, 16, 9, 40, 0.6)
	exact, err := m.LogZExact(0)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := evalOut(t, "--model", modelPath, "--data", csvPath)
	for _, k := range []string{"n", "recon_cross_entropy", "free_energy_mean", "pseudo_log_likelihood"} {
		num(t, res, k)
	}
	if _, ok := res["log_z"]; ok {
		t.Error("log_z without --logz")
	}

	res, _ = evalOut(t, "--model", modelPath, "--data", csvPath, "--logz", "exact")
	lz := num(t, res, "log_z")
	if math.Abs(lz-exact) > 1e-9 || res["log_z_method"] != "exact" || num(t, res, "log_z_lower") != lz || num(t, res, "log_z_upper") != lz {
		t.Errorf("exact: %v, want log Z %v with equal bounds", res, exact)
	}
	if ll := num(t, res, "log_likelihood_mean"); math.Abs(ll-(-num(t, res, "free_energy_mean")-lz)) > 1e-9 {
		t.Errorf("log_likelihood_mean %v is not −free_energy_mean − log_z", ll)
	}

	res, _ = evalOut(t, "--model", modelPath, "--data", csvPath, "--logz", "ais", "--ais-runs", "60", "--ais-betas", "1000", "--seed", "3")
	if res["log_z_method"] != "ais" || num(t, res, "ais_runs") != 60 || num(t, res, "ais_temperatures") < 990 {
		t.Errorf("ais: %v", res)
	}
	if a := num(t, res, "log_z"); math.Abs(a-exact) > 0.1 || !(num(t, res, "log_z_lower") <= exact && exact <= num(t, res, "log_z_upper")) {
		t.Errorf("AIS log Z %v [%v, %v], exact %v", a, res["log_z_lower"], res["log_z_upper"], exact)
	}

	// The text output names the same things.
	code, stdout, stderr := runCmd(t, "eval", "--model", modelPath, "--data", csvPath, "--logz", "exact")
	if code != 0 || !strings.Contains(stdout, "log_likelihood_mean") || !strings.Contains(stdout, "pseudo_log_likelihood") {
		t.Errorf("text output: %d %q %q", code, stdout, stderr)
	}
}

// Where 3σ̂ ≥ Ẑ the lower bound is null, with a warning.
func TestEvalAISNoLowerBound(t *testing.T) {
	modelPath, csvPath, _ := smallModel(t, 30, 30, 10, 3)
	res, stderr := evalOut(t, "--model", modelPath, "--data", csvPath, "--logz", "ais", "--ais-runs", "3", "--ais-betas", "3")
	if v, ok := res["log_z_lower"]; !ok || v != nil {
		t.Errorf("log_z_lower = %v (present %v), want null", v, ok)
	}
	if !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "--ais-runs") {
		t.Errorf("no warning: %q", stderr)
	}
	num(t, res, "log_z_upper")
}

func TestEvalUsage(t *testing.T) {
	modelPath, csvPath, _ := smallModel(t, 30, 28, 10, 0.3)
	for _, args := range [][]string{
		{"eval", "--model", modelPath, "--data", csvPath, "--logz", "maybe"},
		{"eval", "--model", modelPath, "--data", csvPath, "--logz", "exact", "--logz-max-bits", "20"},
		{"eval", "--model", modelPath, "--data", csvPath, "--logz-max-bits", "0"},
		{"eval", "--model", modelPath, "--data", csvPath, "--logz", "ais", "--ais-runs", "1"},
		{"eval", "--model", modelPath, "--data", csvPath, "--logz", "ais", "--ais-betas", "-4"},
	} {
		if code, _, stderr := runCmd(t, args...); code != exitUsage || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2", args, code, stderr)
		}
	}
}

func TestEvalHelpPseudoLikelihood(t *testing.T) {
	_, stderr, _ := runCmd(t, "eval", "--help")
	for _, s := range []string{"scikit-learn", "V·log σ(F(ṽ) − F(v))", "scales with", "--logz", "3σ̂"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("eval --help does not mention %q", s)
		}
	}
}

func TestSampleFiltersTransform(t *testing.T) {
	modelPath, csvPath, m := smallModel(t, 16, 6, 12, 0.8)
	dir := t.TempDir()
	png := func(name string) string { return filepath.Join(dir, name) }
	check := func(path string, n int, opt viz.GridOptions) {
		t.Helper()
		img, err := viz.ReadPNG(path)
		if err != nil {
			t.Fatal(err)
		}
		w, h := viz.GridSize(n, opt)
		if img.Bounds().Dx() != w || img.Bounds().Dy() != h {
			t.Errorf("%s is %v, want %d×%d", path, img.Bounds(), w, h)
		}
	}
	// 16 visible units are 4×4 tiles; 7 chains lay out as 3 columns × 3 rows.
	if code, _, stderr := runCmd(t, "sample", "--model", modelPath, "--chains", "7", "--steps", "5", "--scale", "3", "--caption=false", "--out", png("s.png")); code != 0 {
		t.Fatalf("sample: %d %s", code, stderr)
	}
	check(png("s.png"), 7, viz.GridOptions{TileRows: 4, TileCols: 4, Scale: 3, Pad: 1})
	if code, _, stderr := runCmd(t, "sample", "--model", modelPath, "--chains", "4", "--steps", "2", "--init", "data", "--data", csvPath,
		"--shape", "2x8", "--cols", "4", "--caption=false", "--out", png("d.png")); code != 0 {
		t.Fatalf("sample --init data: %d %s", code, stderr)
	}
	// Tiles 2 values high get the automatic scale 4: 8 pixels.
	check(png("d.png"), 4, viz.GridOptions{TileRows: 2, TileCols: 8, Columns: 4, Scale: 4, Pad: 1})
	if code, _, stderr := runCmd(t, "filters", "--model", modelPath, "--caption=false", "--out", png("f.png")); code != 0 {
		t.Fatalf("filters: %d %s", code, stderr)
	}
	check(png("f.png"), 6, viz.GridOptions{TileRows: 4, TileCols: 4, Scale: 2, Pad: 1})

	npy := filepath.Join(dir, "features.npy")
	if code, _, stderr := runCmd(t, "transform", "--model", modelPath, "--data", csvPath, "--out", npy); code != 0 {
		t.Fatalf("transform: %d %s", code, stderr)
	}
	got, err := data.ReadNPY(npy, data.Options{Binarize: data.None})
	if err != nil {
		t.Fatal(err)
	}
	set, _ := data.Load(csvPath, data.Options{})
	want, _ := m.Transform(set.X.Data)
	if got.X.Rows != 12 || got.X.Cols != 6 {
		t.Fatalf("features are %d×%d, want 12×6", got.X.Rows, got.X.Cols)
	}
	for i := range want {
		if got.X.Data[i] != want[i] {
			t.Fatalf("feature %d = %v, want %v", i, got.X.Data[i], want[i])
		}
	}
}

func TestSampleMNISTShape(t *testing.T) {
	m, _ := engine.NewRBM(784, 5, 0.1, 1)
	dir := t.TempDir()
	modelPath := filepath.Join(dir, "m.safetensors")
	if err := m.SaveFile(modelPath, nil); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "f.png")
	if code, _, stderr := runCmd(t, "filters", "--model", modelPath, "--out", out, "--scale", "1", "--caption=false"); code != 0 {
		t.Fatalf("filters: %d %s", code, stderr)
	}
	img, err := viz.ReadPNG(out)
	if err != nil {
		t.Fatal(err)
	}
	// 5 tiles of 28×28: 3 columns, 2 rows, 1-pixel separators.
	if img.Bounds().Dx() != 3*28+4 || img.Bounds().Dy() != 2*28+3 {
		t.Errorf("filters.png is %v", img.Bounds())
	}
}

func TestPictureUsage(t *testing.T) {
	modelPath, csvPath, _ := smallModel(t, 30, 4, 5, 0.3)
	dir := t.TempDir()
	out := filepath.Join(dir, "x.png")
	for _, args := range [][]string{
		{"sample"},
		{"sample", "--model", modelPath, "--out", out},                   // 30 is not square: needs --shape
		{"sample", "--model", modelPath, "--shape", "4x8", "--out", out}, // 32 ≠ 30
		{"sample", "--model", modelPath, "--shape", "5x6", "--chains", "0", "--out", out},
		{"sample", "--model", modelPath, "--shape", "5x6", "--steps", "0", "--out", out},
		{"sample", "--model", modelPath, "--shape", "5x6", "--init", "noise", "--out", out},
		{"sample", "--model", modelPath, "--shape", "5x6", "--init", "data", "--data", csvPath, "--chains", "6", "--out", out},
		{"sample", "--model", modelPath, "--shape", "5x6", "--out", filepath.Join(dir, "no", "x.png")},
		{"filters"},
		{"filters", "--model", modelPath, "--out", out},
		{"filters", "--model", modelPath, "--shape", "5x6", "--scale", "-1", "--out", out},
		{"filters", "--model", modelPath, "--shape", "5x6", "--max", "-1", "--out", out},
		{"transform", "--model", modelPath},
		{"transform", "--data", csvPath},
		{"transform", "--model", modelPath, "--data", csvPath, "--out", filepath.Join(dir, "no", "f.npy")},
	} {
		if code, _, stderr := runCmd(t, args...); code != exitUsage || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2", args, code, stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused command wrote its output")
	}
	for _, c := range []string{"sample", "filters", "transform"} {
		if code, stdout, _ := runCmd(t, c, "--help"); code != 0 || !strings.Contains(stdout, "Usage: boltz "+c) {
			t.Errorf("%s --help: %d %q", c, code, stdout)
		}
	}
}

// TestFiltersNegativeWeightsGrey: weights centred on 0 draw as a mid-grey
// picture (each tile from its minimum, black, to its maximum, white), not
// as a nearly black one.
func TestFiltersNegativeWeightsGrey(t *testing.T) {
	modelPath, _, _ := smallModel(t, 64, 9, 1, 0.5)
	out := filepath.Join(t.TempDir(), "f.png")
	if code, _, stderr := runCmd(t, "filters", "--model", modelPath, "--out", out, "--scale", "1", "--pad", "0", "--caption=false"); code != 0 {
		t.Fatalf("filters: %d %s", code, stderr)
	}
	img, err := viz.ReadPNG(out)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	var sum, n, black float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, _, _, _ := img.At(x, y).RGBA()
			g := float64(r >> 8)
			sum += g
			if g == 0 {
				black++
			}
			n++
		}
	}
	if mean := sum / n; mean < 100 || mean > 156 {
		t.Errorf("mean grey level %.1f, want about 128 for weights centred on 0", mean)
	}
	if black > 9 { // one pixel a tile is its minimum
		t.Errorf("%v black pixels, want at most one a tile", black)
	}
}

// TestDashIsStdout: --out - and --metrics - write to standard output, and
// no file named "-" appears; train refuses --out - and --plot -.
func TestDashIsStdout(t *testing.T) {
	modelPath, csvPath, _ := smallModel(t, 16, 6, 40, 0.5)
	t.Chdir(t.TempDir())
	code, stdout, stderr := runCmd(t, "transform", "--model", modelPath, "--data", csvPath, "--out", "-")
	if code != 0 || !strings.HasPrefix(stdout, "\x93NUMPY") || !strings.Contains(stderr, "standard output") {
		t.Errorf("transform --out -: exit %d, stdout %.20q, stderr %q", code, stdout, stderr)
	}
	for _, c := range []string{"filters", "sample"} {
		code, stdout, stderr := runCmd(t, c, "--model", modelPath, "--out", "-")
		if code != 0 || !strings.HasPrefix(stdout, "\x89PNG") {
			t.Errorf("%s --out -: exit %d, stdout %.20q, stderr %q", c, code, stdout, stderr)
		}
	}
	code, stdout, stderr = runCmd(t, "train", "--data", csvPath, "--hidden", "3", "--epochs", "2", "--batch", "10", "--quiet", "--metrics", "-", "--out", "m.safetensors")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[1], `{"epoch":2,`) {
		t.Errorf("train --metrics -: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for _, flag := range []string{"--out", "--plot"} {
		if code, _, stderr := runCmd(t, "train", "--data", csvPath, flag, "-"); code != exitUsage {
			t.Errorf("train %s -: exit %d, want 2: %s", flag, code, stderr)
		}
	}
	if _, err := os.Stat("-"); err == nil {
		t.Error(`a file named "-" was written`)
	}
}

// TestPictureCaptions: filters.png and samples.png say above the grid what
// they show (a white strip with black text), and a grid of thin tiles (1×17)
// gets tiles at least 8 pixels high.
func TestPictureCaptions(t *testing.T) {
	modelPath, _, _ := smallModel(t, 17, 9, 1, 0.5)
	dir := t.TempDir()
	for _, c := range []string{"filters", "sample"} {
		out := filepath.Join(dir, c+".png")
		code, _, stderr := runCmd(t, c, "--model", modelPath, "--shape", "1x17", "--out", out, "--steps", "2", "--chains", "9")
		if c == "filters" {
			code, _, stderr = runCmd(t, c, "--model", modelPath, "--shape", "1x17", "--out", out)
		}
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c, code, stderr)
		}
		img, err := viz.ReadPNG(out)
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		grey := func(x, y int) uint32 { r, _, _, _ := img.At(x, y).RGBA(); return r >> 8 }
		black, white := 0, 0
		for y := 0; y < 30; y++ {
			for x := 0; x < b.Dx(); x++ {
				switch grey(x, y) {
				case 0:
					black++
				case 255:
					white++
				}
			}
		}
		if black < 100 || white < 5*black {
			t.Errorf("%s: no caption (%d black, %d white pixels in the top 30 rows)", c, black, white)
		}
		// 9 tiles of 1×17 at the automatic scale 8: one column, 9·8+10 pixels, below the caption.
		if b.Dy() < 9*8+10+30 || b.Dx() < 17*8+2 {
			t.Errorf("%s: %v, want tiles at least 8 pixels high", c, b)
		}
	}
}
