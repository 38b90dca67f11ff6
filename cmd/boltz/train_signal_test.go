package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/boltzgo/boltz/engine"
)

// TestMain lets the signal tests run boltz as a child process: the test
// binary itself, started with BOLTZ_TEST_MAIN=1, is boltz.
func TestMain(m *testing.M) {
	if os.Getenv("BOLTZ_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// child is a boltz process started by a test.
type child struct {
	cmd    *exec.Cmd
	lines  chan string // stderr, line by line
	stderr bytes.Buffer
	done   chan struct{}
}

func startBoltz(t *testing.T, args ...string) *child {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs POSIX signals")
	}
	c := &child{cmd: exec.Command(os.Args[0], args...), lines: make(chan string, 100), done: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), "BOLTZ_TEST_MAIN=1")
	pipe, err := c.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(io.TeeReader(pipe, &c.stderr))
		for sc.Scan() {
			select {
			case c.lines <- sc.Text():
			default:
			}
		}
		io.Copy(&c.stderr, pipe) // the rest of a line too long to scan
	}()
	t.Cleanup(func() { c.cmd.Process.Kill(); c.cmd.Wait() })
	return c
}

// waitLine waits for a stderr line containing s.
func (c *child) waitLine(t *testing.T, s string) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case l := <-c.lines:
			if strings.Contains(l, s) {
				return
			}
		case <-c.done:
			t.Fatalf("boltz ended before printing %q: %s", s, c.stderr.String())
		case <-timeout:
			t.Fatalf("no line %q within a minute: %s", s, c.stderr.String())
		}
	}
}

// wait returns the exit status and the whole stderr.
func (c *child) wait(t *testing.T) (int, string) {
	t.Helper()
	<-c.done // all of stderr read: Wait closes the pipe
	err := c.cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, c.stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), c.stderr.String()
	}
	t.Fatal(err)
	return -1, ""
}

// signalRows is the size of the signal tests' data; their runs hold out
// a sixth for validation and take minibatches of 40 rows.
func signalRows() (rows, cols, hidden, batchesPerEpoch int) {
	if raceEnabled {
		return 600, 64, 8, 13
	}
	return 2400, 196, 32, 50
}

// signalRun is the training run of the signal tests, on a generated NPY
// file in dir, with scale times the base hidden units: small enough for
// every test run, long enough (8 epochs) that a signal sent early in epoch 2
// lands well before the end.
func signalRun(t *testing.T, dir, out string, scale int, extra ...string) []string {
	rows, cols, hidden, _ := signalRows()
	npy := filepath.Join(dir, "signal.npy")
	if _, err := os.Stat(npy); err != nil {
		npyU8(t, npy, rows, cols, 11)
	}
	return append([]string{"train", "--data", npy, "--hidden", strconv.Itoa(hidden * scale), "--epochs", "8", "--batch", "40",
		"--workers", "2", "--seed", "3", "--monitor-rows", "300", "--quiet", "--out", out}, extra...)
}

// interrupt runs boltz with args(scale) as a child, sends sig (twice with
// double) when ready(child) returns (after the first epoch's line when
// ready is nil), and returns the exit status, stderr and the scale used.
// When the child finishes before the signal (a faster machine or kernel),
// it tries again with a model four times larger.
func interrupt(t *testing.T, args func(scale int) []string, ready func(*child), sig os.Signal, double bool) (int, string, int) {
	t.Helper()
	for scale := 1; ; scale *= 4 {
		c := startBoltz(t, args(scale)...)
		if ready != nil {
			ready(c)
		} else {
			c.waitLine(t, "epoch 1/8")
		}
		c.cmd.Process.Signal(sig)
		if double {
			time.Sleep(2 * time.Millisecond) // two signals, not one merged pending signal
			c.cmd.Process.Signal(sig)
		}
		code, stderr := c.wait(t)
		if code != 0 || scale >= 64 {
			return code, stderr, scale
		}
		t.Logf("training finished before the signal at scale %d; again with a larger model", scale)
	}
}

// waitCheckpoint waits until ckDir holds a checkpoint of a step in
// [lo, hi], or the child has ended.
func waitCheckpoint(t *testing.T, c *child, ckDir string, lo, hi uint64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		files, _ := engine.CheckpointFiles(ckDir)
		for _, f := range files {
			if step, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "ckpt-"), ".safetensors"), 10, 64); err == nil && step >= lo && step <= hi {
				return
			}
		}
		select {
		case <-c.done:
			return
		case <-time.After(time.Millisecond):
		}
	}
	t.Fatalf("no checkpoint of a step in [%d, %d] within a minute", lo, hi)
}

// TestSIGINTCheckpointResume interrupts training with SIGINT in the middle
// of epoch 2 (once a checkpoint there shows it got that far), checks status
// 130, the message, the checkpoint and the model, then resumes and demands
// the model file of an uninterrupted run, byte for byte.
func TestSIGINTCheckpointResume(t *testing.T) {
	dir := t.TempDir()
	ckDir := filepath.Join(dir, "ck")
	out := filepath.Join(dir, "m.safetensors")
	_, _, _, bpe := signalRows()
	code, stderr, scale := interrupt(t, func(scale int) []string {
		os.RemoveAll(ckDir)
		return signalRun(t, dir, out, scale, "--checkpoint", ckDir, "--checkpoint-every", "3steps")
	}, func(c *child) { waitCheckpoint(t, c, ckDir, uint64(bpe+1), uint64(bpe+bpe/2)) }, os.Interrupt, false)
	if code != 130 {
		t.Fatalf("exit %d after SIGINT, want 130: %s", code, stderr)
	}
	for _, w := range []string{"interrupted in epoch", out, ckDir, "--resume " + ckDir} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr does not mention %q: %s", w, stderr)
		}
	}
	ck, path, err := engine.LoadCheckpoint(ckDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := engine.LoadFile(out); err != nil {
		t.Fatalf("model written at the interruption: %v", err)
	}
	t.Logf("interrupted at epoch %d, minibatch %d, step %d (%s)", ck.Epoch+1, ck.Batch, ck.Step, filepath.Base(path))
	if ck.Epoch != 1 || ck.Batch == 0 {
		t.Errorf("interrupted at epoch %d, minibatch %d: want the middle of epoch 2", ck.Epoch+1, ck.Batch)
	}
	if files, _ := engine.CheckpointFiles(ckDir); len(files) < 1 || len(files) > 2 {
		t.Errorf("%d checkpoints kept, want the newest 2", len(files))
	}

	code, _, stderr = runCmd(t, "train", "--resume", ckDir, "--out", out, "--quiet", "--workers", "2")
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "resuming from") {
		t.Errorf("resume does not say where it resumes: %s", stderr)
	}
	ref := filepath.Join(dir, "ref.safetensors")
	if code, _, stderr := runCmd(t, signalRun(t, dir, ref, scale)...); code != 0 {
		t.Fatalf("uninterrupted run: exit %d: %s", code, stderr)
	}
	a, _ := os.ReadFile(ref)
	b, _ := os.ReadFile(out)
	if !bytes.Equal(a, b) {
		t.Error("interrupted and resumed model file differs from the uninterrupted one")
	}
}

// TestSIGTERMWithoutCheckpointDir: SIGTERM exits with 143, and without
// --checkpoint the checkpoint goes next to the model, from where the printed
// "boltz train --resume FILE", run from another directory, continues to the
// uninterrupted result: the same --out and --metrics files, from the
// checkpoint.
func TestSIGTERMWithoutCheckpointDir(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.safetensors")
	metrics := filepath.Join(dir, "m.jsonl")
	code, stderr, scale := interrupt(t, func(scale int) []string { return signalRun(t, dir, out, scale, "--metrics", metrics) }, nil, syscall.SIGTERM, false)
	ckFile := filepath.Join(dir, "m.ckpt.safetensors")
	if code != 143 || !strings.Contains(stderr, ckFile) || !strings.Contains(stderr, "boltz train --resume "+ckFile) {
		t.Fatalf("exit %d after SIGTERM, want 143 and a message naming %s: %s", code, ckFile, stderr)
	}
	ref := filepath.Join(dir, "ref.safetensors")
	if code, _, stderr := runCmd(t, signalRun(t, dir, ref, scale)...); code != 0 {
		t.Fatalf("uninterrupted run: exit %d: %s", code, stderr)
	}
	elsewhere := t.TempDir()
	t.Chdir(elsewhere)
	if code, _, stderr := runCmd(t, "train", "--resume", ckFile, "--quiet", "--workers", "2"); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	a, _ := os.ReadFile(ref)
	b, _ := os.ReadFile(out)
	if !bytes.Equal(a, b) {
		t.Error("resumed model (in the original --out) differs from the uninterrupted one")
	}
	if _, err := os.Stat(filepath.Join(elsewhere, "model.safetensors")); err == nil {
		t.Error("the resumed run wrote ./model.safetensors instead of its --out")
	}
	raw, err := os.ReadFile(metrics)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	for i, l := range lines {
		if want := `{"epoch":` + strconv.Itoa(i+1) + `,`; !strings.HasPrefix(l, want) {
			t.Errorf("metrics line %d is %q, want it to start %s", i+1, l, want)
		}
	}
	if len(lines) != 8 {
		t.Errorf("%d metrics lines after the resumed run, want 8", len(lines))
	}
}

// TestDoubleSIGINT: a second SIGINT stops at once with status 130, and
// every file left is whole: the checkpoints and the model load (or are
// absent).
func TestDoubleSIGINT(t *testing.T) {
	dir := t.TempDir()
	ckDir := filepath.Join(dir, "ck")
	out := filepath.Join(dir, "m.safetensors")
	code, stderr, _ := interrupt(t, func(scale int) []string {
		os.RemoveAll(ckDir)
		return signalRun(t, dir, out, scale, "--checkpoint", ckDir, "--checkpoint-every", "4steps")
	}, nil, os.Interrupt, true)
	if code != 130 {
		t.Fatalf("exit %d after two SIGINTs, want 130: %s", code, stderr)
	}
	if strings.Contains(stderr, "again: stopping at once") {
		t.Log("the second SIGINT stopped boltz at once")
	} else {
		t.Log("boltz had saved and exited before the second SIGINT")
	}
	files, _ := engine.CheckpointFiles(ckDir)
	if len(files) == 0 {
		t.Fatal("no checkpoint at all")
	}
	for _, f := range files {
		if _, err := engine.ReadCheckpointFile(f); err != nil {
			t.Errorf("checkpoint left corrupted: %v", err)
		}
	}
	if _, err := os.Stat(out); err == nil {
		if _, _, err := engine.LoadFile(out); err != nil {
			t.Errorf("model left corrupted: %v", err)
		}
	}
	if _, _, err := engine.LoadCheckpoint(ckDir); err != nil {
		t.Errorf("cannot resume: %v", err)
	}
}
