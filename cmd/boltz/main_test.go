package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/engine"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.safetensors")
	cases := [][]string{
		{},
		{"frobnicate"},
		{"train", "--hidden", "0", "--out", out},
		{"train", "--hidden", "-5", "--out", out},
		{"train", "--epochs", "0", "--out", out},
		{"train", "--batch", "0", "--out", out},
		{"train", "--k", "0", "--out", out},
		{"train", "--lr", "NaN", "--out", out},
		{"train", "--lr", "+Inf", "--out", out},
		{"train", "--lr", "-0.1", "--out", out},
		{"train", "--momentum", "1", "--out", out},
		{"train", "--kernel", "nope", "--out", out},
		{"train", "--workers", "-1", "--out", out},
		{"train", "--binarize", "maybe", "--out", out},
		{"train", "--out", filepath.Join(dir, "missing", "m.safetensors")},
		{"train", "--out", dir},
		{"train", "--limit", "50", "--batch", "100", "--out", out},
		{"train", "--chains", "5", "--out", out},
		{"train", "--no-such-flag"},
		{"train", "stray"},
		{"eval"},
		{"eval", "--model", out, "--limit", "-1"},
	}
	for _, args := range cases {
		code, _, stderr := runCmd(t, args...)
		if code != exitUsage {
			t.Errorf("boltz %s: exit %d, want 2 (stderr %q)", strings.Join(args, " "), code, stderr)
		}
		if stderr == "" {
			t.Errorf("boltz %s: no message on stderr", strings.Join(args, " "))
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused command wrote the model file")
	}
}

func TestHelp(t *testing.T) {
	for _, c := range []string{"train", "eval", "info"} {
		code, _, stderr := runCmd(t, c, "--help")
		if code != exitOK || !strings.Contains(stderr, "Usage: boltz "+c) {
			t.Errorf("%s --help: exit %d, output %q", c, code, stderr)
		}
	}
	code, stdout, _ := runCmd(t, "help")
	if code != 0 || !strings.Contains(stdout, "train") {
		t.Errorf("help: %d %q", code, stdout)
	}
	_, _, stderr := runCmd(t, "eval", "--help")
	if !strings.Contains(stderr, "softplus") || !strings.Contains(stderr, "p(h|v)") {
		t.Error("eval --help does not say how the cross-entropy is computed")
	}
}

// TestTrainEvalMNIST trains a small model on the first MNIST rows and checks
// that its test reconstruction cross-entropy is far below an untrained
// model's, that the metrics file has a line per epoch, and that the model
// file loads.
func TestTrainEvalMNIST(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.safetensors")
	metrics := filepath.Join(dir, "metrics.jsonl")
	code, _, stderr := runCmd(t, "train", "--limit", "3000", "--hidden", "50", "--epochs", "3", "--batch", "50",
		"--out", out, "--metrics", metrics, "--workers", "2")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "epoch 3/3") {
		t.Errorf("no metrics line for epoch 3 in %q", stderr)
	}
	f, err := os.Open(metrics)
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for sc := bufio.NewScanner(f); sc.Scan(); lines++ {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("metrics line %d: %v", lines+1, err)
		}
		for _, k := range []string{"train_recon_cross_entropy", "val_recon_cross_entropy", "train_free_energy", "val_free_energy", "seconds"} {
			if _, ok := m[k]; !ok {
				t.Errorf("metrics line %d lacks %s", lines+1, k)
			}
		}
	}
	f.Close()
	if lines != 3 {
		t.Errorf("%d metrics lines, want 3", lines)
	}

	trained := evalJSON(t, out)
	// The untrained model: same initialisation, no training.
	set, err := data.Load("mnist", data.Options{Limit: 2500})
	if err != nil {
		t.Fatal(err)
	}
	m0, _ := engine.NewRBM(784, 50, 0.01, 1)
	if err := m0.InitVisibleBias(set.X.Data); err != nil {
		t.Fatal(err)
	}
	untrainedPath := filepath.Join(dir, "untrained.safetensors")
	if err := m0.SaveFile(untrainedPath, nil); err != nil {
		t.Fatal(err)
	}
	untrained := evalJSON(t, untrainedPath)
	if trained["n"] != 500.0 {
		t.Errorf("n = %v, want 500", trained["n"])
	}
	t.Logf("test recon CE: untrained %.1f, trained %.1f", untrained["recon_cross_entropy"], trained["recon_cross_entropy"])
	if !(trained["recon_cross_entropy"] < 0.75*untrained["recon_cross_entropy"]) {
		t.Errorf("trained CE %v is not far below the untrained %v", trained["recon_cross_entropy"], untrained["recon_cross_entropy"])
	}
}

func evalJSON(t *testing.T, model string) map[string]float64 {
	t.Helper()
	code, stdout, stderr := runCmd(t, "eval", "--model", model, "--data", "mnist-test", "--limit", "500", "--json")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	var res map[string]float64
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("eval --json output %q: %v", stdout, err)
	}
	return res
}

func TestEvalBadModel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.safetensors")
	os.WriteFile(path, []byte("\x10\x00\x00\x00\x00\x00\x00\x00{not json}      "), 0o644)
	code, _, stderr := runCmd(t, "eval", "--model", path)
	if code != exitError || !strings.Contains(stderr, path) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("bad model: exit %d, stderr %q: want 1 and one line naming the file", code, stderr)
	}
}

func TestInfo(t *testing.T) {
	code, stdout, _ := runCmd(t, "info")
	if code != 0 || !strings.Contains(stdout, "kernel:") || !strings.Contains(stdout, "workers:") {
		t.Errorf("info: %d %q", code, stdout)
	}
	if code, _, _ := runCmd(t, "info", "--kernel", "generic"); code != 0 {
		t.Error("info --kernel generic failed")
	}
}
