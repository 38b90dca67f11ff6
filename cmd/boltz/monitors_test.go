package main

import (
	"bufio"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// TestTrainMonitors checks --plot (a PNG that decodes), --pll on every epoch
// and --logz-every 2 (an AIS log-likelihood on epoch 2 only) in the metrics.
func TestTrainMonitors(t *testing.T) {
	dir := t.TempDir()
	plot, metrics := filepath.Join(dir, "curves.png"), filepath.Join(dir, "m.jsonl")
	code, _, stderr := runCmd(t, "train", "--limit", "1000", "--hidden", "10", "--epochs", "2", "--batch", "50",
		"--pll", "--logz-every", "2", "--ais-betas", "300", "--ais-runs", "20", "--plot", plot,
		"--out", filepath.Join(dir, "m.safetensors"), "--metrics", metrics)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	fh, err := os.Open(plot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(fh)
	fh.Close()
	if err != nil || img.Bounds().Dx() < 200 {
		t.Fatalf("plot: %v %v", err, img)
	}
	f, _ := os.Open(metrics)
	defer f.Close()
	var lines []map[string]any
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 {
		t.Fatalf("%d metrics lines", len(lines))
	}
	for i, m := range lines {
		pll, ok := m["pseudo_log_likelihood"].(float64)
		if !ok || !(pll < 0) {
			t.Errorf("epoch %d: pseudo_log_likelihood %v", i+1, m["pseudo_log_likelihood"])
		}
		_, hasLL := m["log_likelihood_mean"]
		if hasLL != (i == 1) {
			t.Errorf("epoch %d: log_likelihood_mean present = %v", i+1, hasLL)
		}
	}
	if ll := lines[1]["log_likelihood_mean"].(float64); !(ll < 0 && ll > -784*0.7) {
		t.Errorf("log-likelihood %v nats is not plausible for MNIST", ll)
	}
	if code, _, _ := runCmd(t, "train", "--ais-runs", "1", "--out", filepath.Join(dir, "x.safetensors")); code != exitUsage {
		t.Errorf("--ais-runs 1: exit %d, want 2", code)
	}
}
