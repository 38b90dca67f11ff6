package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
	for _, c := range []string{"train", "eval", "info", "sample", "filters", "transform", "bench"} {
		for _, h := range []string{"--help", "-h"} {
			code, stdout, stderr := runCmd(t, c, h)
			if code != exitOK || !strings.Contains(stdout, "Usage: boltz "+c) || stderr != "" {
				t.Errorf("%s %s: exit %d, stdout %q, stderr %q; want the usage on stdout", c, h, code, stdout, stderr)
			}
		}
		// boltz help CMD is CMD --help.
		code, stdout, _ := runCmd(t, "help", c)
		if code != exitOK || !strings.Contains(stdout, "Usage: boltz "+c) {
			t.Errorf("help %s: exit %d, stdout %q", c, code, stdout)
		}
	}
	code, stdout, _ := runCmd(t, "help")
	if code != 0 || !strings.Contains(stdout, "train") {
		t.Errorf("help: %d %q", code, stdout)
	}
	if code, _, stderr := runCmd(t, "help", "nope"); code != exitUsage || !strings.Contains(stderr, "nope") {
		t.Errorf("help nope: exit %d, stderr %q", code, stderr)
	}
	_, stdout, _ = runCmd(t, "eval", "--help")
	if !strings.Contains(stdout, "softplus") || !strings.Contains(stdout, "p(h|v)") {
		t.Error("eval --help does not say how the cross-entropy is computed")
	}
	_, stdout, _ = runCmd(t, "train", "--help")
	if !strings.Contains(stdout, "-lr") {
		t.Error("train --help | grep lr finds nothing")
	}
	if strings.Contains(stdout, "0.16666666666666666") || !strings.Contains(stdout, "0.1667") {
		t.Error("train --help shows the --val-frac default with 17 digits")
	}
}

// TestFlagErrorsOneLine: a bad flag value, an unknown flag and a stray
// argument are one line on stderr, prefixed with the command, exit 2.
func TestFlagErrorsOneLine(t *testing.T) {
	for _, args := range [][]string{
		{"train", "--hidden", "abc"},
		{"train", "--no-such-flag"},
		{"eval", "--model"},
		{"sample", "stray"},
		{"info", "--workers", "x"},
	} {
		code, stdout, stderr := runCmd(t, args...)
		if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "boltz "+args[0]+": ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and one line starting \"boltz %s: \"", args, code, stdout, stderr, args[0])
		}
	}
}

func TestVersion(t *testing.T) {
	code, stdout, stderr := runCmd(t, "version")
	if code != exitOK || !strings.HasPrefix(stdout, "boltz ") || !strings.Contains(stdout, "go1.") || strings.Count(stdout, "\n") != 1 {
		t.Errorf("version: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, _, _ := runCmd(t, "version", "x"); code != exitUsage {
		t.Errorf("version x: exit %d, want 2", code)
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

func TestMessage(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"engine: invalid configuration: batch 0", "invalid configuration: batch 0"},
		{"x.csv: data: bad format: line 2", "x.csv: bad format: line 2"},
		{"--out m is not writable: atomicfile: cannot write m: no such file", "--out m is not writable: cannot write m: no such file"},
		{"m: engine: not a valid boltz model file: not in the safetensors format (safetensors: bad format: header length 9)", "m: not a valid boltz model file: not in the safetensors format (bad format: header length 9)"},
		{"data: data: bad format: x", "data: bad format: x"}, // a file named data
		{"viz: shape 3x3\nsecond line", "shape 3x3 second line"},
		{"open data: no such file", "open data: no such file"},
	} {
		if got := message(errors.New(c.in)); got != c.want {
			t.Errorf("message(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestFirstHourMessages: the messages a new user meets name the flag or the
// file at fault, without the library's package prefixes, in one line.
func TestFirstHourMessages(t *testing.T) {
	dir := t.TempDir()
	txt := filepath.Join(dir, "notes.txt")
	os.WriteFile(txt, []byte("hello, this is text\n"), 0o644)
	modelPath, csvPath, _ := smallModel(t, 16, 4, 10, 0.3)
	out := filepath.Join(dir, "m.safetensors")
	m784, _ := engine.NewRBM(784, 3, 0.1, 1)
	mnistModel := filepath.Join(dir, "784.safetensors")
	if err := m784.SaveFile(mnistModel, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args    []string
		code    int
		want    string
		notWant []string
	}{
		{[]string{"eval", "--model", txt}, exitError, "not a valid boltz model file: not in the safetensors format", []string{"engine:", "safetensors:"}},
		{[]string{"train", "--data", csvPath, "--val-frac", "0.95", "--batch", "1", "--out", out}, exitUsage, "--val-frac 0.95 holds out 10 of the 10 rows", nil},
		{[]string{"train", "--data", csvPath, "--val-frac", "0.5", "--batch", "6", "--out", out}, exitUsage, "--batch 6 is larger than the 5 training rows (--val-frac 0.5", nil},
		{[]string{"train", "--data", csvPath, "--out", filepath.Join(dir, "no", "m.safetensors")}, exitUsage, "is not writable", []string{"atomicfile:"}},
		{[]string{"sample", "--model", mnistModel, "--chains", "100000", "--out", filepath.Join(dir, "s.png")}, exitUsage, "lower --chains or --scale", []string{"viz:"}},
		{[]string{"filters", "--model", modelPath, "--shape", "2x7", "--out", filepath.Join(dir, "f.png")}, exitUsage, "shape 2x7", []string{"viz:"}},
	} {
		code, _, stderr := runCmd(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want %d and one line with %q", c.args, code, stderr, c.code, c.want)
		}
		for _, w := range c.notWant {
			if strings.Contains(stderr, w) {
				t.Errorf("%v: stderr %q contains %q", c.args, stderr, w)
			}
		}
	}
	// Singulars, and PCD called PCD.
	code, _, stderr := runCmd(t, "train", "--data", csvPath, "--hidden", "3", "--epochs", "1", "--batch", "5", "--val-frac", "0", "--workers", "1", "--pcd", "--quiet", "--out", out)
	for _, w := range []string{"1 worker, PCD-1", "trained 1 epoch in"} {
		if code != 0 || !strings.Contains(stderr, w) {
			t.Errorf("train: exit %d, stderr %q lacks %q", code, stderr, w)
		}
	}
	_, stdout, _ := runCmd(t, "info")
	if strings.Contains(stdout, "))") {
		t.Errorf("info nests parentheses: %q", stdout)
	}
}

// TestDefaultOutputsIgnored: every file the commands write by default (and
// train's checkpoint on interruption) is in .gitignore, so a first try in a
// checkout leaves git status clean.
func TestDefaultOutputsIgnored(t *testing.T) {
	raw, err := os.ReadFile("../../.gitignore")
	if err != nil {
		t.Fatal(err)
	}
	ignored := map[string]bool{}
	for _, l := range strings.Split(string(raw), "\n") {
		ignored[strings.TrimSpace(l)] = true
	}
	re := regexp.MustCompile(`-out string\n[^\n]*\(default "([^"]+)"\)`)
	for _, c := range []string{"train", "sample", "filters", "transform"} {
		_, help, _ := runCmd(t, c, "--help")
		m := re.FindStringSubmatch(help)
		if m == nil {
			t.Fatalf("%s --help shows no default --out", c)
		}
		names := []string{m[1]}
		if c == "train" {
			names = append(names, strings.TrimSuffix(m[1], ".safetensors")+".ckpt.safetensors")
		}
		for _, n := range names {
			if !ignored["/"+n] {
				t.Errorf(".gitignore lacks /%s (%s's default output)", n, c)
			}
		}
	}
}

// TestReadmeRealUse: the README keeps go run for the first try but shows a
// build for real use, where the exit statuses hold, and says why.
func TestReadmeRealUse(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, w := range []string{"go run ./cmd/boltz train", "go build -o boltz ./cmd/boltz", "exit status 1", "./boltz version"} {
		if !strings.Contains(s, w) {
			t.Errorf("README.md does not show %q", w)
		}
	}
	// The child-process test shows what a built binary does: status 2 survives.
	cmd := exec.Command(os.Args[0], "train", "--hidden", "abc")
	cmd.Env = append(os.Environ(), "BOLTZ_TEST_MAIN=1")
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitUsage {
		t.Errorf("a built boltz with a bad flag: %v, want exit status 2", err)
	}
}
