package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScheduleFlagErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.safetensors")
	npy := filepath.Join(dir, "d.npy")
	npyU8(t, npy, 200, 20, 1)
	base := []string{"train", "--data", npy, "--hidden", "4", "--epochs", "1", "--batch", "20", "--quiet", "--out", out}
	for _, extra := range [][]string{
		{"--lr-schedule", "cosine"},
		{"--lr-schedule", "exp"},
		{"--lr-schedule", "exp", "--lr-decay", "1.5"},
		{"--lr-schedule", "exp", "--lr-decay", "NaN"},
		{"--lr-decay", "0.5"},
		{"--momentum-schedule", "linear", "--momentum-decay", "0.5"},
		{"--momentum-schedule", "exp", "--momentum-decay", "0"},
		{"--offset-rate", "0.1"},
		{"--centered", "--offset-rate", "-0.1"},
		{"--centered", "--offset-rate", "2"},
		{"--centered", "--visible", "gaussian"},
	} {
		args := append(append([]string{}, base...), extra...)
		code, _, stderr := runCmd(t, args...)
		if code != exitUsage || !strings.HasPrefix(stderr, "boltz train: ") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q; want 2 and one line", strings.Join(extra, " "), code, stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused command wrote the model file")
	}
}

// TestResumeCenteredScheduled: a centred run with exp schedules, trained
// 2 epochs with checkpoints and resumed to 4, gives the model of 4 epochs
// straight; without the flags the model differs.
func TestResumeCenteredScheduled(t *testing.T) {
	dir := t.TempDir()
	npy := filepath.Join(dir, "d.npy")
	npyU8(t, npy, 600, 30, 4)
	flags := []string{"--centered", "--offset-rate", "0.05", "--lr-schedule", "exp", "--lr-decay", "0.8",
		"--momentum-schedule", "exp", "--momentum-decay", "0.9"}
	run := func(out string, extra ...string) {
		t.Helper()
		args := append([]string{"train", "--data", npy, "--hidden", "8", "--batch", "30", "--pcd",
			"--quiet", "--out", out, "--workers", "2"}, extra...)
		if code, _, stderr := runCmd(t, args...); code != 0 {
			t.Fatalf("boltz %s: exit %d: %s", strings.Join(args, " "), code, stderr)
		}
	}
	ref := filepath.Join(dir, "ref.safetensors")
	run(ref, append([]string{"--epochs", "4"}, flags...)...)
	plain := filepath.Join(dir, "plain.safetensors")
	run(plain, "--epochs", "4")
	ck := filepath.Join(dir, "ck")
	out := filepath.Join(dir, "m.safetensors")
	run(out, append([]string{"--epochs", "2", "--checkpoint", ck, "--checkpoint-every", "7steps"}, flags...)...)
	if code, _, stderr := runCmd(t, "train", "--resume", ck, "--epochs", "4", "--out", out, "--quiet", "--workers", "2"); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	a, _ := os.ReadFile(ref)
	b, _ := os.ReadFile(out)
	c, _ := os.ReadFile(plain)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("2 + 2 resumed centred epochs differ from 4 epochs")
	}
	if bytes.Equal(a, c) {
		t.Error("the centred, scheduled model equals the plain one")
	}
	if code, _, stderr := runCmd(t, "train", "--resume", ck, "--epochs", "4", "--out", out, "--quiet", "--offset-rate", "0.1"); code != exitUsage {
		t.Errorf("resume with another --offset-rate: exit %d (%s), want 2", code, stderr)
	}
}
