package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/engine"
)

// probeData writes rows of V binary pixels in two classes that a linear
// classifier separates (class 0 lights pixels 0..3, class 1 pixels 4..7,
// the rest is noise): x.csv (with the label as last column), xs.csv (pixels
// only) and labels.npy (the labels, 1-D int32).
func probeData(t *testing.T, dir, prefix string, rows, V int, seed uint64) (withLabels, plain, labels string) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 2))
	var a, b strings.Builder
	lab := make([]byte, 0, 4*rows)
	for i := 0; i < rows; i++ {
		c := i % 2
		for j := 0; j < V; j++ {
			v := r.IntN(2)
			if j < 8 {
				v = 0
				if j/4 == c {
					v = 1
				}
			}
			if j > 0 {
				a.WriteByte(',')
				b.WriteByte(',')
			}
			fmt.Fprint(&a, v)
			fmt.Fprint(&b, v)
		}
		fmt.Fprintf(&a, ",%d\n", c)
		b.WriteByte('\n')
		lab = append(lab, byte(c), 0, 0, 0)
	}
	withLabels = filepath.Join(dir, prefix+"x.csv")
	plain = filepath.Join(dir, prefix+"xs.csv")
	labels = filepath.Join(dir, prefix+"labels.npy")
	hdr := fmt.Sprintf("{'descr': '<i4', 'fortran_order': False, 'shape': (%d,), }", rows)
	hdr += strings.Repeat(" ", (64-(10+len(hdr)+1)%64)%64) + "\n"
	npy := append([]byte("\x93NUMPY\x01\x00"), byte(len(hdr)), byte(len(hdr)>>8))
	npy = append(append(npy, hdr...), lab...)
	for p, b := range map[string][]byte{withLabels: []byte(a.String()), plain: []byte(b.String()), labels: npy} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return withLabels, plain, labels
}

func probeJSON(t *testing.T, args ...string) probeResult {
	t.Helper()
	code, stdout, stderr := runCmd(t, append([]string{"probe", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("probe %v: exit %d: %s", args, code, stderr)
	}
	var res probeResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("probe --json output %q: %v", stdout, err)
	}
	return res
}

func TestProbeSeparable(t *testing.T) {
	dir := t.TempDir()
	trX, trPlain, trLab := probeData(t, dir, "tr", 200, 16, 1)
	teX, tePlain, teLab := probeData(t, dir, "te", 100, 16, 2)
	a := probeJSON(t, "--data", trX, "--test", teX, "--label-column")
	if a.TestError > 0.01 || a.TrainError > 0.01 {
		t.Fatalf("separable classes: test error %v, train error %v", a.TestError, a.TrainError)
	}
	if a.Classes != 2 || a.Features != 16 || a.TrainRows != 200 || a.TestRows != 100 {
		t.Fatalf("result %+v", a)
	}
	// The same rows with the labels in NPY files give the same probe.
	b := probeJSON(t, "--data", trPlain, "--labels", trLab, "--test", tePlain, "--test-labels", teLab)
	if b.Objective != a.Objective || b.TestError != a.TestError || b.Iterations != a.Iterations {
		t.Fatalf("labels from NPY files: %+v, from the label column: %+v", b, a)
	}
	// A stronger penalty (smaller C) raises the objective's minimum.
	c := probeJSON(t, "--data", trX, "--test", teX, "--label-column", "--C", "0.01")
	if !(c.Objective > a.Objective) {
		t.Fatalf("objective with C = 0.01 is %v, with C = 1 %v", c.Objective, a.Objective)
	}
	// The text form names both errors.
	code, stdout, stderr := runCmd(t, "probe", "--data", trX, "--test", teX, "--label-column")
	if code != 0 || !strings.Contains(stdout, "test_error") || !strings.Contains(stdout, "train_error") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestProbeModelFeatures(t *testing.T) {
	dir := t.TempDir()
	trX, _, _ := probeData(t, dir, "tr", 200, 16, 1)
	teX, _, _ := probeData(t, dir, "te", 100, 16, 2)
	set, err := data.Load(trX, data.Options{LabelColumn: true})
	if err != nil {
		t.Fatal(err)
	}
	m, err := engine.NewRBM(16, 12, 0.1, 3)
	if err != nil {
		t.Fatal(err)
	}
	cfg := engine.DefaultConfig()
	cfg.Epochs, cfg.BatchSize = 20, 20
	tr, err := engine.NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Fit(t.Context(), set.X.Data, engine.FitOptions{}); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "m.safetensors")
	if err := m.SaveFile(model, nil); err != nil {
		t.Fatal(err)
	}
	res := probeJSON(t, "--model", model, "--data", trX, "--test", teX, "--label-column")
	if res.Features != 12 || res.Layer != 1 {
		t.Fatalf("features %d, layer %d: want the model's 12 hidden units, layer 1", res.Features, res.Layer)
	}
	if res.TestError > 0.05 {
		t.Fatalf("test error %v on the features of separable data", res.TestError)
	}
	if code, _, stderr := runCmd(t, "probe", "--model", model, "--layer", "2", "--data", trX, "--test", teX, "--label-column"); code != exitUsage || !strings.Contains(stderr, "layer") {
		t.Fatalf("--layer 2 of a single RBM: exit %d, %q", code, stderr)
	}
}

func TestProbeBadInput(t *testing.T) {
	dir := t.TempDir()
	trX, trPlain, trLab := probeData(t, dir, "tr", 200, 16, 1)
	teX, tePlain, teLab := probeData(t, dir, "te", 100, 16, 2)
	negLab := filepath.Join(dir, "neg.csv")
	os.WriteFile(negLab, []byte(strings.Repeat("1\n", 99)+"-1\n"), 0o644)
	threeLab := filepath.Join(dir, "three.csv")
	os.WriteFile(threeLab, []byte(strings.Repeat("2\n", 100)), 0o644)
	wide := filepath.Join(dir, "wide.csv")
	os.WriteFile(wide, []byte(strings.Repeat("1,0,1\n", 100)), 0o644)
	cases := []struct {
		code int
		args []string
		msg  string
	}{
		{exitUsage, []string{"--data", trPlain, "--test", tePlain}, "no labels"},
		{exitUsage, []string{"--data", trPlain, "--labels", teLab, "--test", teX, "--label-column"}, "200 rows but 100 labels"},
		{exitUsage, []string{"--data", trX, "--label-column"}, "--test is required"},
		{exitUsage, []string{"--data", trX, "--test", teX, "--test-labels", threeLab, "--label-column"}, "class"},
		{exitUsage, []string{"--data", trX, "--test", wide, "--test-labels", teLab, "--label-column"}, "features"},
		{exitUsage, []string{"--data", trX, "--test", teX, "--label-column", "--C", "0"}, "--C"},
		{exitUsage, []string{"--data", trX, "--test", teX, "--label-column", "--max-iter", "0"}, "--max-iter"},
		{exitUsage, []string{"--layer", "2", "--data", trX, "--test", teX}, "--layer needs --model"},
		{exitError, []string{"--data", trPlain, "--labels", trLab, "--test", tePlain, "--test-labels", negLab}, "neg.csv"},
		{exitError, []string{"--data", trPlain, "--labels", filepath.Join(dir, "none.npy"), "--test", tePlain}, "none.npy"},
		{exitError, []string{"--model", filepath.Join(dir, "none.safetensors"), "--data", trX, "--test", teX, "--label-column"}, "none.safetensors"},
	}
	for _, c := range cases {
		code, _, stderr := runCmd(t, append([]string{"probe"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.msg) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("probe %v: exit %d (want %d), stderr %q (want %q)", c.args, code, c.code, stderr, c.msg)
		}
		if strings.Contains(stderr, "panic") {
			t.Errorf("probe %v panicked: %s", c.args, stderr)
		}
	}
}
