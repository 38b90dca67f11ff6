package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/engine"
	"github.com/boltzgo/boltz/viz"
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
	if img.Bounds().Dy() != 3*viz.PanelHeight {
		t.Errorf("plot is %v: want the third panel of --pll and --logz-every", img.Bounds())
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

// TestMetricsJSONKeys: a --metrics line has every key (and value) of
// engine.EpochMetrics' JSON, and log_z_lower is null, as in eval, when AIS
// gives no lower bound.
func TestMetricsJSONKeys(t *testing.T) {
	me := engine.EpochMetrics{Epoch: 2, Steps: 20, TrainCE: 50, ValCE: math.NaN(), TrainFE: -20, ValFE: math.NaN(), Seconds: 1.5, TrainRows: 300, SamplesPerSec: 200}
	eb, err := json.Marshal(me)
	if err != nil {
		t.Fatalf("json.Marshal(EpochMetrics without validation): %v", err)
	}
	var ej, cj map[string]any
	json.Unmarshal(eb, &ej)
	cb, _ := json.Marshal(jsonMetrics(me, extraMetrics{}))
	json.Unmarshal(cb, &cj)
	for k, v := range ej {
		if cv, ok := cj[k]; !ok || fmt.Sprint(cv) != fmt.Sprint(v) {
			t.Errorf("key %s: engine %v, --metrics %v (present %v)", k, v, cv, ok)
		}
	}
	if len(cj) != len(ej) {
		t.Errorf("--metrics keys %v, engine keys %v", cj, ej)
	}

	modelPath, csvPath, _ := smallModel(t, 30, 30, 10, 3)
	m, _, err := engine.LoadFile(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := data.Load(csvPath, data.Options{})
	d := &dataset{name: "d", src: engine.Dense(set.X.Data, 30)}
	f := &trainFlags{logzEvery: 1, aisRuns: 3, aisBetas: 3}
	mon, err := newMonitors(context.Background(), f, m, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	x, err := mon.epoch(engine.EpochMetrics{Epoch: 1})
	if err != nil {
		t.Fatal(err)
	}
	lb, _ := json.Marshal(jsonMetrics(me, x))
	var line map[string]any
	json.Unmarshal(lb, &line)
	if v, ok := line["log_z_lower"]; !ok || v != nil {
		t.Errorf("log_z_lower = %v (present %v) in %s, want null", v, ok, lb)
	}
	if _, ok := line["log_z_upper"].(float64); !ok {
		t.Errorf("no log_z_upper in %s", lb)
	}
}
