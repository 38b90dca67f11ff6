package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/dbn"
	"github.com/boltzgo/boltz/engine"
)

func TestTrainStackCLI(t *testing.T) {
	dir := t.TempDir()
	trX, _, _ := probeData(t, dir, "tr", 300, 16, 1)
	teX, _, _ := probeData(t, dir, "te", 100, 16, 2)
	out := filepath.Join(dir, "s.safetensors")
	metrics := filepath.Join(dir, "m.jsonl")
	code, _, stderr := runCmd(t, "train", "--data", trX, "--label-column", "--layers", "12,8,6", "--layer-epochs", "3,2,2",
		"--batch", "20", "--val-frac", "0", "--out", out, "--metrics", metrics, "--quiet")
	if code != 0 {
		t.Fatalf("train --layers: exit %d: %s", code, stderr)
	}
	s, meta, err := dbn.LoadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if meta["sizes"] != "16,12,8,6" || len(s.Layers) != 3 {
		t.Fatalf("stack sizes %q, %d layers", meta["sizes"], len(s.Layers))
	}
	// The metrics name the layer of every epoch: 3 + 2 + 2 lines.
	b, err := os.ReadFile(metrics)
	if err != nil {
		t.Fatal(err)
	}
	var layers []int
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m struct {
			Layer int     `json:"layer"`
			CE    float64 `json:"train_recon_cross_entropy"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		layers = append(layers, m.Layer)
	}
	if got := jsonInts(layers); got != "[1,1,1,2,2,3,3]" {
		t.Fatalf("metrics layers %v", got)
	}
	// The same run with two workers gives the same file bit for bit.
	out2 := filepath.Join(dir, "s2.safetensors")
	if code, _, stderr := runCmd(t, "train", "--data", trX, "--label-column", "--layers", "12,8,6", "--layer-epochs", "3,2,2",
		"--batch", "20", "--val-frac", "0", "--out", out2, "--quiet", "--workers", "1"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	s2, _, err := dbn.LoadFile(out2)
	if err != nil {
		t.Fatal(err)
	}
	for k := range s.Layers {
		a, c := s.Layers[k], s2.Layers[k]
		if !equalF32(a.W, c.W) || !equalF32(a.B, c.B) || !equalF32(a.C, c.C) {
			t.Fatalf("layer %d: one worker trains another stack than the default count", k+1)
		}
	}

	// eval reports every layer.
	code, stdout, stderr := runCmd(t, "eval", "--model", out, "--data", teX, "--label-column", "--json")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	var ev struct {
		Layers []layerResult `json:"layers"`
	}
	if err := json.Unmarshal([]byte(stdout), &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Layers) != 3 || ev.Layers[2].Visible != 8 || ev.Layers[2].Hidden != 6 || ev.Layers[1].ReconCE == nil || ev.Layers[0].PLL == nil {
		t.Fatalf("eval of the stack: %s", stdout)
	}

	// transform --layer k is Transform through k layers.
	set, err := data.Load(teX, data.Options{LabelColumn: true})
	if err != nil {
		t.Fatal(err)
	}
	for k := 1; k <= 3; k++ {
		f := filepath.Join(dir, "f.npy")
		if code, _, stderr := runCmd(t, "transform", "--model", out, "--data", teX, "--label-column", "--layer", string(rune('0'+k)), "--out", f); code != 0 {
			t.Fatalf("transform --layer %d: exit %d: %s", k, code, stderr)
		}
		got, err := data.Load(f, data.Options{Binarize: data.None})
		if err != nil {
			t.Fatal(err)
		}
		want, err := s.Transform(set.X.Data, k)
		if err != nil {
			t.Fatal(err)
		}
		if got.X.Cols != s.Hidden(k) || !equalF32(got.X.Data, want) {
			t.Fatalf("transform --layer %d: %d columns, or other values than the stack's Transform", k, got.X.Cols)
		}
	}
	if code, _, stderr := runCmd(t, "transform", "--model", out, "--data", teX, "--label-column", "--layer", "4", "--out", filepath.Join(dir, "x.npy")); code != exitUsage || !strings.Contains(stderr, "3 layers") {
		t.Fatalf("transform --layer 4: exit %d: %s", code, stderr)
	}

	// sample generates from the stack.
	npy := filepath.Join(dir, "samples.npy")
	if code, _, stderr := runCmd(t, "sample", "--model", out, "--chains", "4", "--steps", "5", "--out", npy); code != 0 {
		t.Fatalf("sample: exit %d: %s", code, stderr)
	}
	gen, err := data.Load(npy, data.Options{Binarize: data.None})
	if err != nil {
		t.Fatal(err)
	}
	top := s.RandomTop(4, 1)
	want, err := s.Generate(top, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	if gen.X.Rows != 4 || gen.X.Cols != 16 || !equalF32(gen.X.Data, want) {
		t.Fatalf("sample of the stack: %d×%d, or other values than Generate", gen.X.Rows, gen.X.Cols)
	}

	// probe --layer k reads the stack's layer k.
	for k, want := range map[string]int{"1": 12, "3": 6} {
		res := probeJSON(t, "--model", out, "--layer", k, "--data", trX, "--test", teX, "--label-column")
		if res.Features != want {
			t.Fatalf("probe --layer %s: %d features, want %d", k, res.Features, want)
		}
	}
}

func jsonInts(x []int) string { b, _ := json.Marshal(x); return string(b) }

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTrainStackUsage(t *testing.T) {
	dir := t.TempDir()
	trX, _, _ := probeData(t, dir, "tr", 100, 16, 1)
	out := filepath.Join(dir, "s.safetensors")
	base := []string{"train", "--data", trX, "--label-column", "--batch", "10", "--val-frac", "0", "--out", out, "--quiet"}
	cases := [][]string{
		{"--layers", "12,0"},
		{"--layers", "12,x"},
		{"--layers", "12,8", "--hidden", "10"},
		{"--layers", "12,8", "--layer-epochs", "1"},
		{"--layers", "12,8", "--layer-lr", "0.1,-1"},
		{"--layers", "12,8", "--checkpoint", filepath.Join(dir, "ck")},
		{"--layer-epochs", "1,2"},
		{"--samples"},
	}
	for _, c := range cases {
		code, _, stderr := runCmd(t, append(append([]string{}, base...), c...)...)
		if code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("train %v: exit %d, stderr %q", c, code, stderr)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a refused run wrote %s", out)
	}
	// --logz on a stack is refused.
	if code, _, stderr := runCmd(t, append(append([]string{}, base...), "--layers", "8,4", "--epochs", "1")...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "eval", "--model", out, "--data", trX, "--label-column", "--logz", "exact"); code != exitUsage {
		t.Fatalf("eval --logz of a stack: exit %d: %s", code, stderr)
	}
}

func TestTrainStackResume(t *testing.T) {
	dir := t.TempDir()
	trX, _, _ := probeData(t, dir, "tr", 300, 16, 1)
	other, _, _ := probeData(t, dir, "other", 300, 16, 9)
	base := func(out string, extra ...string) []string {
		return append([]string{"train", "--data", trX, "--label-column", "--batch", "20", "--val-frac", "0", "--quiet", "--out", out}, extra...)
	}
	full := filepath.Join(dir, "full.safetensors")
	if code, _, stderr := runCmd(t, base(full, "--layers", "12,8,6", "--layer-epochs", "3,2,2")...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	part := filepath.Join(dir, "part.safetensors")
	if code, _, stderr := runCmd(t, base(part, "--layers", "12,8", "--layer-epochs", "3,2")...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	grown := filepath.Join(dir, "grown.safetensors")
	code, _, stderr := runCmd(t, base(grown, "--layers", "12,8,6", "--layer-epochs", "3,2,2", "--resume", part)...)
	if code != 0 || !strings.Contains(stderr, "resuming the stack of 2 layers") {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	a, _, err := dbn.LoadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := dbn.LoadFile(grown)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Layers) != 3 {
		t.Fatalf("resumed stack has %d layers", len(b.Layers))
	}
	for k := range a.Layers {
		if !equalF32(a.Layers[k].W, b.Layers[k].W) || !equalF32(a.Layers[k].B, b.Layers[k].B) || !equalF32(a.Layers[k].C, b.Layers[k].C) {
			t.Fatalf("layer %d of the resumed stack differs from the uninterrupted run's", k+1)
		}
	}
	// Another run's flags or data are refused.
	bad := [][]string{
		base(filepath.Join(dir, "x.safetensors"), "--layers", "12,8,6", "--layer-epochs", "3,2,2", "--resume", part, "--seed", "2"),
		base(filepath.Join(dir, "x.safetensors"), "--layers", "12,8,6", "--layer-epochs", "4,2,2", "--resume", part),
		base(filepath.Join(dir, "x.safetensors"), "--layers", "12,9,6", "--layer-epochs", "3,2,2", "--resume", part),
		base(filepath.Join(dir, "x.safetensors"), "--layers", "12", "--resume", part),
		base(filepath.Join(dir, "x.safetensors"), "--layers", "12,8,6", "--resume", filepath.Join(dir, "trx.csv")),
		{"train", "--data", other, "--label-column", "--batch", "20", "--val-frac", "0", "--quiet", "--out", filepath.Join(dir, "x.safetensors"),
			"--layers", "12,8,6", "--layer-epochs", "3,2,2", "--resume", part},
	}
	for _, args := range bad {
		code, _, stderr := runCmd(t, args...)
		if code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q", args[len(args)-6:], code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.safetensors")); !os.IsNotExist(err) {
		t.Fatal("a refused resume wrote its output")
	}
}

func TestGrowStackInterrupted(t *testing.T) {
	dir := t.TempDir()
	trX, _, _ := probeData(t, dir, "tr", 200, 16, 1)
	out := filepath.Join(dir, "two.safetensors")
	if code, _, stderr := runCmd(t, "train", "--data", trX, "--label-column", "--batch", "20", "--val-frac", "0", "--quiet",
		"--layers", "12,8", "--epochs", "1", "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	s, meta, err := dbn.LoadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	set, err := data.Load(trX, data.Options{LabelColumn: true})
	if err != nil {
		t.Fatal(err)
	}
	// Cancelled while training layer 3: the stack of the two trained
	// layers is written, with its run record, and the status is the signal's.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sf := &stackFlags{sizes: []int{12, 8, 6}, epochs: []int{1, 1, 1}, lrs: []float64{0.1, 0.1, 0.1}}
	cfg := engine.DefaultConfig()
	cfg.BatchSize, cfg.Epochs = 20, 1
	partial := filepath.Join(dir, "partial.safetensors")
	var stderr bytes.Buffer
	err = growStack(ctx, sf, cfg, s, engine.Dense(set.X.Data, 16), nil, meta, partial, nil, &stderr, func() int { return 130 })
	var ec exitCode
	if !errors.As(err, &ec) || ec.code != 130 || !strings.Contains(err.Error(), "interrupted in layer 3") {
		t.Fatalf("error %v, want exit 130 naming layer 3", err)
	}
	back, backMeta, err := dbn.LoadFile(partial)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Layers) != 2 || backMeta["stack_run"] != meta["stack_run"] || backMeta["data_fingerprint"] == "" {
		t.Fatalf("the interrupted run wrote %d layers, run record %q", len(back.Layers), backMeta["stack_run"])
	}
}

func TestTrainStackValidationMetrics(t *testing.T) {
	dir := t.TempDir()
	trX, _, _ := probeData(t, dir, "tr", 300, 16, 1)
	metrics := filepath.Join(dir, "m.jsonl")
	if code, _, stderr := runCmd(t, "train", "--data", trX, "--label-column", "--batch", "20", "--val-frac", "0.2", "--quiet",
		"--layers", "12,8", "--epochs", "2", "--out", filepath.Join(dir, "s.safetensors"), "--metrics", metrics); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(metrics)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d metrics lines, want 4", len(lines))
	}
	for _, line := range lines {
		var m struct {
			Layer   int      `json:"layer"`
			ValCE   *float64 `json:"val_recon_cross_entropy"`
			ValRows int      `json:"val_rows"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if m.ValCE == nil || m.ValRows != 60 {
			t.Fatalf("layer %d: validation %v on %d rows, want a value on the 60 held-out rows", m.Layer, m.ValCE, m.ValRows)
		}
	}
}
