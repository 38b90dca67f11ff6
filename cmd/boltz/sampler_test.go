package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSamplerFlagErrors: impossible sampler flags of train and sample are
// one-line usage errors (exit 2) that write nothing.
func TestSamplerFlagErrors(t *testing.T) {
	dir := t.TempDir()
	npy := filepath.Join(dir, "d.npy")
	npyU8(t, npy, 200, 20, 1)
	out := filepath.Join(dir, "m.safetensors")
	base := []string{"train", "--data", npy, "--hidden", "5", "--epochs", "1", "--batch", "20", "--quiet", "--out", out}
	if code, _, stderr := runCmd(t, base...); code != 0 {
		t.Fatalf("setup: %d %s", code, stderr)
	}
	before, _ := os.ReadFile(out)
	png := filepath.Join(dir, "s.png")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append(base, "--sampler", "gibbs"), "--sampler"},
		{append(base, "--pcd", "--sampler", "cd"), "conflict"},
		{append(base, "--pcd", "--sampler", "pt"), "conflict"},
		{append(base, "--temperatures", "3"), "need --sampler pt"},
		{append(base, "--sampler", "pcd", "--betas", "1,0.5"), "need --sampler pt"},
		{append(base, "--sampler", "pt", "--betas", "0.9,0.5"), "exactly 1"},
		{append(base, "--sampler", "pt", "--betas", "1,0.5,0.7"), "decrease"},
		{append(base, "--sampler", "pt", "--betas", "1,-0.5"), "> 0"},
		{append(base, "--sampler", "pt", "--betas", "1,a"), "not a number"},
		{append(base, "--sampler", "pt", "--temperatures", "-1"), "--temperatures"},
		{append(base, "--sampler", "pt", "--temperatures", "3", "--betas", "1,0.5"), "--temperatures 3"},
		{append(base, "--sampler", "cd", "--chains", "5"), "--chains"},
		{[]string{"sample", "--model", out, "--out", png, "--sampler", "pcd"}, "--sampler"},
		{[]string{"sample", "--model", out, "--out", png, "--temperatures", "2"}, "need --sampler pt"},
		{[]string{"sample", "--model", out, "--out", png, "--sampler", "pt", "--betas", "1,2"}, "decrease"},
		{[]string{"sample", "--model", out, "--out", png, "--sampler", "pt", "--chains", "100000", "--temperatures", "1000"}, "at most"},
	} {
		code, _, stderr := runCmd(t, tc.args...)
		if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("boltz %s: exit %d, stderr %q; want 2 and one line about %q", strings.Join(tc.args, " "), code, stderr, tc.want)
		}
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Error("a refused command wrote the model file")
	}
	if _, err := os.Stat(png); err == nil {
		t.Error("a refused sample wrote its image")
	}
}

// TestTrainPT: --sampler pcd is --pcd byte for byte; --sampler pt writes a
// swap acceptance a neighbouring pair to every metrics line, and 2 epochs
// resumed to 4 give the 4-epoch model byte for byte; sample --sampler pt
// on the model is reproducible whatever the worker count.
func TestTrainPT(t *testing.T) {
	dir := t.TempDir()
	npy := filepath.Join(dir, "d.npy")
	npyU8(t, npy, 600, 30, 4)
	run := func(out string, extra ...string) {
		t.Helper()
		args := append([]string{"train", "--data", npy, "--hidden", "8", "--batch", "30", "--quiet", "--out", out, "--workers", "2"}, extra...)
		if code, _, stderr := runCmd(t, args...); code != 0 {
			t.Fatalf("boltz %s: exit %d: %s", strings.Join(args, " "), code, stderr)
		}
	}
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pcd, alias := filepath.Join(dir, "pcd.safetensors"), filepath.Join(dir, "alias.safetensors")
	run(pcd, "--epochs", "2", "--pcd", "--chains", "10")
	run(alias, "--epochs", "2", "--sampler", "pcd", "--chains", "10")
	if !bytes.Equal(read(pcd), read(alias)) {
		t.Error("--sampler pcd differs from --pcd")
	}
	pt := []string{"--sampler", "pt", "--betas", "1,0.7,0.4", "--chains", "10"}
	ref := filepath.Join(dir, "ref.safetensors")
	run(ref, append(pt, "--epochs", "4")...)
	ck, out, metrics := filepath.Join(dir, "ck"), filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "m.jsonl")
	run(out, append(pt, "--epochs", "2", "--checkpoint", ck, "--checkpoint-every", "7steps", "--metrics", metrics)...)
	if code, _, stderr := runCmd(t, "train", "--resume", ck, "--epochs", "4", "--out", out, "--quiet", "--workers", "2", "--metrics", metrics); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	if !bytes.Equal(read(ref), read(out)) {
		t.Error("2 + 2 resumed PT epochs differ from 4 epochs")
	}
	f, _ := os.Open(metrics)
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); n++ {
		var m struct {
			Swap []float64 `json:"swap_acceptance"`
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		if len(m.Swap) != 2 || m.Swap[0] < 0 || m.Swap[0] > 1 || m.Swap[1] < 0 || m.Swap[1] > 1 {
			t.Errorf("metrics line %d: swap acceptance %v", n+1, m.Swap)
		}
	}
	if n != 4 {
		t.Errorf("%d metrics lines, want 4", n)
	}
	if code, _, stderr := runCmd(t, "train", "--resume", ck, "--betas", "1,0.5,0.4", "--out", out); code != exitUsage {
		t.Errorf("resume with another ladder: exit %d: %s", code, stderr)
	}

	var npys [2][]byte
	for i, w := range []string{"1", "2"} {
		p := filepath.Join(dir, "s"+w+".npy")
		code, _, stderr := runCmd(t, "sample", "--model", out, "--sampler", "pt", "--temperatures", "4", "--chains", "9", "--steps", "20", "--out", p, "--workers", w)
		if code != 0 || !strings.Contains(stderr, "swap acceptance") {
			t.Fatalf("sample --sampler pt: exit %d: %s", code, stderr)
		}
		npys[i] = read(p)
	}
	if !bytes.Equal(npys[0], npys[1]) {
		t.Error("sample --sampler pt differs between 1 and 2 workers")
	}
	if code, _, stderr := runCmd(t, "sample", "--model", out, "--chains", "9", "--steps", "20", "--out", filepath.Join(dir, "g.npy")); code != 0 || bytes.Equal(read(filepath.Join(dir, "g.npy")), npys[0]) {
		t.Errorf("plain Gibbs sampling: exit %d (%s), or the same as PT", code, stderr)
	}
}
