package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/engine"
)

var bigData = flag.Int("boltz.bigdata", 0, "TestTrainBigMapped: train on a memory-mapped NPY file of this many GB")

// npyU8 writes a rows×cols |u1 .npy file of noisy prototype patterns.
func npyU8(t *testing.T, path string, rows, cols int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	protos := make([][]byte, 5)
	for p := range protos {
		protos[p] = make([]byte, cols)
		for j := range protos[p] {
			protos[p][j] = byte(r.IntN(256))
		}
	}
	body := make([]byte, 0, rows*cols)
	for i := 0; i < rows; i++ {
		p := protos[r.IntN(len(protos))]
		for j := 0; j < cols; j++ {
			v := p[j]
			if r.IntN(20) == 0 {
				v = 255 - v
			}
			body = append(body, v)
		}
	}
	writeNPYU8(t, path, rows, cols, body)
}

func writeNPYU8(t *testing.T, path string, rows, cols int, body []byte) {
	t.Helper()
	dict := fmt.Sprintf("{'descr': '|u1', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols)
	n := 10 + len(dict) + 1
	hdr := dict + strings.Repeat(" ", (64-n%64)%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	b.WriteString(hdr)
	b.Write(body)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTrainCheckpointUsageErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.safetensors")
	npy := filepath.Join(dir, "d.npy")
	npyU8(t, npy, 300, 20, 1)
	base := []string{"train", "--data", npy, "--hidden", "5", "--epochs", "2", "--batch", "20", "--quiet", "--out", out}
	ck := filepath.Join(dir, "ck")
	if code, _, stderr := runCmd(t, append(base, "--checkpoint", ck)...); code != 0 {
		t.Fatalf("setup run: %d %s", code, stderr)
	}
	os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o644)
	os.Mkdir(filepath.Join(dir, "empty"), 0o755)
	other := filepath.Join(dir, "other.npy")
	npyU8(t, other, 300, 20, 2)
	cases := [][]string{
		append(base, "--checkpoint-every", "0"),
		append(base, "--checkpoint-every", "-2", "--checkpoint", filepath.Join(dir, "c2")),
		append(base, "--checkpoint-every", "soon", "--checkpoint", filepath.Join(dir, "c2")),
		append(base, "--checkpoint-every", "0steps", "--checkpoint", filepath.Join(dir, "c2")),
		append(base, "--checkpoint-every", "-5m", "--checkpoint", filepath.Join(dir, "c2")),
		append(base, "--checkpoint-every", "10m"), // no --checkpoint
		append(base, "--checkpoint", filepath.Join(dir, "file")),
		append(base, "--checkpoint", filepath.Join(dir, "missing", "ck")),
		append(base, "--checkpoint", ck), // holds another run's checkpoints
		append(base, "--mmap", "sometimes"),
		{"train", "--data", "mnist", "--mmap", "on", "--limit", "100", "--epochs", "1", "--hidden", "2", "--out", out},
		{"train", "--resume", filepath.Join(dir, "nope"), "--out", out},
		{"train", "--resume", filepath.Join(dir, "empty"), "--out", out},
		{"train", "--resume", filepath.Join(dir, "file"), "--out", out},
		{"train", "--resume", ck, "--lr", "0.2", "--out", out},
		{"train", "--resume", ck, "--hidden", "6", "--out", out},
		{"train", "--resume", ck, "--limit", "100", "--out", out},
		{"train", "--resume", ck, "--pcd", "--out", out},
		{"train", "--resume", ck, "--epochs", "1", "--out", out},
		{"train", "--resume", ck, "--data", other, "--out", out},
		{"train", "--resume", ck, "--out", filepath.Join(dir, "missing", "m.safetensors")},
		{"train", "--resume", ck, "--checkpoint", filepath.Join(dir, "file"), "--out", out},
	}
	before, _ := os.ReadFile(out)
	for _, args := range cases {
		code, _, stderr := runCmd(t, args...)
		if code != exitUsage || strings.Count(stderr, "\n") != 1 {
			t.Errorf("boltz %s: exit %d, want 2 and one line (stderr %q)", strings.Join(args[1:], " "), code, stderr)
		}
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Error("a refused command wrote the model file")
	}
	// Different data under the same name: the fingerprint catches it.
	npyU8(t, npy, 300, 20, 3)
	code, _, stderr := runCmd(t, "train", "--resume", ck, "--out", out)
	if code != exitUsage || !strings.Contains(stderr, "differ from the checkpoint") {
		t.Errorf("resume on changed data: exit %d: %s", code, stderr)
	}
}

// TestResumeMoreEpochs: 2 epochs with checkpoints, then --resume with
// --epochs 4, equals 4 epochs at once (model file byte for byte), and the
// metrics file gets the lines of the resumed epochs appended.
func TestResumeMoreEpochs(t *testing.T) {
	dir := t.TempDir()
	npy := filepath.Join(dir, "d.npy")
	npyU8(t, npy, 1000, 40, 4)
	run := func(out string, extra ...string) {
		t.Helper()
		args := append([]string{"train", "--data", npy, "--hidden", "12", "--batch", "30", "--pcd", "--k", "2",
			"--sparsity", "0.1", "--quiet", "--out", out, "--workers", "2"}, extra...)
		if code, _, stderr := runCmd(t, args...); code != 0 {
			t.Fatalf("boltz %s: exit %d: %s", strings.Join(args, " "), code, stderr)
		}
	}
	ref := filepath.Join(dir, "ref.safetensors")
	run(ref, "--epochs", "4")
	ck := filepath.Join(dir, "ck")
	out := filepath.Join(dir, "m.safetensors")
	metrics := filepath.Join(dir, "m.jsonl")
	run(out, "--epochs", "2", "--checkpoint", ck, "--checkpoint-every", "7steps", "--metrics", metrics)
	code, _, stderr := runCmd(t, "train", "--resume", ck, "--epochs", "4", "--out", out, "--quiet", "--workers", "2", "--metrics", metrics)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	a, _ := os.ReadFile(ref)
	b, _ := os.ReadFile(out)
	if !bytes.Equal(a, b) {
		t.Error("2 + 2 resumed epochs differ from 4 epochs")
	}
	f, _ := os.Open(metrics)
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); n++ {
	}
	if n != 4 {
		t.Errorf("%d metrics lines after 2 + 2 epochs, want 4", n)
	}
	files, _ := engine.CheckpointFiles(ck)
	if len(files) != 2 {
		t.Errorf("%d checkpoints kept, want 2", len(files))
	}
}

// TestTrainDivergesCLI: an absurd learning rate stops training with exit 1
// and a one-line error naming the epoch, the step and the cause; the model
// is not written and the last good checkpoint loads.
func TestTrainDivergesCLI(t *testing.T) {
	dir := t.TempDir()
	npy := filepath.Join(dir, "d.npy")
	npyU8(t, npy, 600, 30, 5)
	ck := filepath.Join(dir, "ck")
	out := filepath.Join(dir, "m.safetensors")
	code, _, stderr := runCmd(t, "train", "--data", npy, "--hidden", "10", "--batch", "20", "--lr", "1e30", "--epochs", "5",
		"--checkpoint", ck, "--checkpoint-every", "1steps", "--quiet", "--out", out)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	if code != exitError {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	for _, w := range []string{"diverged", "epoch 1", "step ", "learning rate 1e+30", "last good checkpoint"} {
		if !strings.Contains(last, w) {
			t.Errorf("error %q does not mention %q", last, w)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("the diverged model was written")
	}
	c, path, err := engine.LoadCheckpoint(ck)
	if err != nil {
		t.Fatalf("last good checkpoint: %v", err)
	}
	if !strings.Contains(last, path) {
		t.Errorf("error does not name the last good checkpoint %s", path)
	}
	t.Logf("%s (checkpoint at step %d)", last, c.Step)
}

// TestTrainMappedMatchesLoaded: --mmap on reads the NPY file a minibatch at
// a time and gives the model --mmap off gives, byte for byte; also resumed
// across the two.
func TestTrainMappedMatchesLoaded(t *testing.T) {
	dir := t.TempDir()
	npy := filepath.Join(dir, "d.npy")
	npyU8(t, npy, 2000, 50, 6)
	val := filepath.Join(dir, "v.npy")
	npyU8(t, val, 300, 50, 7)
	for _, extra := range [][]string{nil, {"--val", val}, {"--binarize", "stochastic"}} {
		var files [2][]byte
		for i, mode := range []string{"off", "on"} {
			out := filepath.Join(dir, mode+".safetensors")
			args := append([]string{"train", "--data", npy, "--hidden", "16", "--epochs", "2", "--batch", "40", "--quiet",
				"--mmap", mode, "--out", out, "--workers", "2"}, extra...)
			code, _, stderr := runCmd(t, args...)
			if code != 0 {
				t.Fatalf("%v: exit %d: %s", args, code, stderr)
			}
			if mapped := strings.Contains(stderr, "memory-mapped"); mapped != (mode == "on") {
				t.Errorf("--mmap %s: header line %q", mode, strings.SplitN(stderr, "\n", 2)[0])
			}
			files[i], _ = os.ReadFile(out)
		}
		if !bytes.Equal(files[0], files[1]) {
			t.Errorf("%v: the memory-mapped run gives another model", extra)
		}
	}
}

// vmRSS returns the resident set of this process in bytes.
func vmRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestTrainBigMapped trains one epoch on a memory-mapped NPY file of
// -boltz.bigdata GB (sparse: mostly zeros, a few patterns) and checks that
// the resident set grows by far less than the file.
func TestTrainBigMapped(t *testing.T) {
	if *bigData <= 0 {
		t.Skip("set -boltz.bigdata=GB to train on a file of that size")
	}
	if vmRSS() == 0 {
		t.Skip("no /proc/self/status")
	}
	const cols = 1024
	rows := *bigData << 30 / cols
	dir := t.TempDir()
	npy := filepath.Join(dir, "big.npy")
	dict := fmt.Sprintf("{'descr': '|u1', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols)
	n := 10 + len(dict) + 1
	hdr := "\x93NUMPY\x01\x00" + string([]byte{0, 0}) + dict + strings.Repeat(" ", (64-n%64)%64) + "\n"
	hb := []byte(hdr)
	binary.LittleEndian.PutUint16(hb[8:], uint16(len(hdr)-10))
	fh, err := os.Create(npy)
	if err != nil {
		t.Fatal(err)
	}
	fh.Write(hb)
	fh.Truncate(int64(len(hb)) + int64(rows)*cols)
	pat := bytes.Repeat([]byte{255, 0, 0, 255}, cols/4)
	for r := 0; r < rows; r += 997 {
		fh.WriteAt(pat, int64(len(hb))+int64(r)*cols)
	}
	fh.Close()
	before := vmRSS()
	peak := before
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				peak = max(peak, vmRSS())
			}
		}
	}()
	start := time.Now()
	code, _, stderr := runCmd(t, "train", "--data", npy, "--mmap", "on", "--hidden", "2", "--epochs", "1", "--batch", "2000",
		"--val-frac", "0", "--monitor-rows", "2000", "--quiet", "--out", filepath.Join(dir, "m.safetensors"))
	close(stop)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	growth := peak - before
	size := int64(rows) * cols
	t.Logf("%d GB file (%d rows): trained in %v; resident set %d MB before, peak growth %d MB", *bigData, rows, time.Since(start).Round(time.Second), before>>20, growth>>20)
	if growth > size/8 || growth > 512<<20 {
		t.Errorf("resident set grew by %d MB training on a %d MB mapped file", growth>>20, size>>20)
	}
	_ = data.ErrNotMappable
}

// TestResumeCarriesOutputs: a run resumed with nothing but --resume DIR
// writes to the first run's --out, --metrics and --plot; the metrics lines
// of epochs after the checkpoint (left by an interruption that lost its
// newest checkpoint) are replaced, not repeated; the plot's curves start at
// epoch 1.
func TestResumeCarriesOutputs(t *testing.T) {
	dir := t.TempDir()
	npy := filepath.Join(dir, "d.npy")
	npyU8(t, npy, 600, 36, 9)
	ck := filepath.Join(dir, "ck")
	out, metrics, plot := filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "m.jsonl"), filepath.Join(dir, "c.png")
	if code, _, stderr := runCmd(t, "train", "--data", npy, "--hidden", "8", "--batch", "30", "--epochs", "3", "--quiet",
		"--out", out, "--metrics", metrics, "--plot", plot, "--checkpoint", ck); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	files, _ := engine.CheckpointFiles(ck)
	if len(files) != 2 {
		t.Fatalf("%d checkpoints, want 2", len(files))
	}
	os.Remove(files[1]) // back to the end of epoch 2; the metrics file has epoch 3
	os.Remove(out)
	os.Remove(plot)
	t.Chdir(t.TempDir())
	code, _, stderr := runCmd(t, "train", "--resume", ck, "--epochs", "4", "--quiet")
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	if _, _, err := engine.LoadFile(out); err != nil {
		t.Errorf("the resumed run did not write --out %s: %v", out, err)
	}
	if _, err := os.Stat(plot); err != nil {
		t.Errorf("the resumed run did not draw --plot %s: %v", plot, err)
	}
	if _, err := os.Stat("model.safetensors"); err == nil {
		t.Error("the resumed run wrote ./model.safetensors")
	}
	raw, _ := os.ReadFile(metrics)
	var epochs []int
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var m metricsJSON
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("metrics line %q: %v", l, err)
		}
		epochs = append(epochs, m.Epoch)
	}
	if fmt.Sprint(epochs) != "[1 2 3 4]" {
		t.Errorf("metrics epochs %v, want [1 2 3 4]", epochs)
	}
}

// TestMonitorsHistory: the epochs before a resume come first in the plotted
// curves.
func TestMonitorsHistory(t *testing.T) {
	dir := t.TempDir()
	m, _ := engine.NewRBM(4, 2, 0.1, 1)
	f := &trainFlags{plot: filepath.Join(dir, "c.png")}
	mon := &monitors{f: f, m: m}
	ce := 3.0
	pll := -7.0
	mon.addHistory([]metricsJSON{{Epoch: 1, TrainCE: 5, TrainFE: -1}, {Epoch: 2, TrainCE: 4, ValCE: &ce, TrainFE: -2, extraMetrics: extraMetrics{PLL: &pll}}})
	if _, err := mon.epoch(engine.EpochMetrics{Epoch: 3, TrainCE: 3, TrainFE: -3}); err != nil {
		t.Fatal(err)
	}
	if len(mon.curve) != 3 || mon.curve[0].Epoch != 1 || mon.curve[2].Epoch != 3 || mon.curve[1].ValCE != 3 || !math.IsNaN(mon.curve[0].ValCE) || mon.curve[1].PLL != -7 {
		t.Errorf("curve %+v, want epochs 1, 2 (from the metrics file) and 3", mon.curve)
	}
}

// TestTrainCSVPixelRule: a 0/1 CSV with a trailing label column, used
// without --label-column, is refused with exit 2 and a one-line message
// that names the column; data that binarise to all zeros (0..255 pixels all
// below 128) are refused as nothing to learn, naming the 0..255 rule.
func TestTrainCSVPixelRule(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(3, 3))
	var labelled, dark strings.Builder
	for i := 0; i < 50; i++ {
		for j := 0; j < 10; j++ {
			fmt.Fprintf(&labelled, "%d,", r.IntN(2))
			fmt.Fprintf(&dark, "%d", r.IntN(100))
			if j < 9 {
				dark.WriteByte(',')
			}
		}
		fmt.Fprintf(&labelled, "%d\n", r.IntN(4))
		dark.WriteByte('\n')
	}
	lp, dp := filepath.Join(dir, "labelled.csv"), filepath.Join(dir, "dark.csv")
	os.WriteFile(lp, []byte(labelled.String()), 0o644)
	os.WriteFile(dp, []byte(dark.String()), 0o644)
	out := filepath.Join(dir, "m.safetensors")
	for _, c := range []struct {
		path string
		code int
		want []string
	}{
		{lp, exitError, []string{"column 11", "--label-column"}}, // a malformed file, like a malformed model
		{dp, exitUsage, []string{"all zeros", "0..255", "line 1, column 1"}},
	} {
		code, _, stderr := runCmd(t, "train", "--data", c.path, "--hidden", "4", "--epochs", "1", "--batch", "10", "--quiet", "--out", out)
		if code != c.code || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want %d and one line", c.path, code, stderr, c.code)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr %q does not mention %q", c.path, stderr, w)
			}
		}
	}
	if code, _, stderr := runCmd(t, "train", "--data", lp, "--label-column", "--hidden", "4", "--epochs", "1", "--batch", "10", "--quiet", "--out", out); code != 0 {
		t.Errorf("--label-column: exit %d: %s", code, stderr)
	}
	// Identical rows that are not all zeros or ones are refused too, but a
	// single row is not.
	same := filepath.Join(dir, "same.csv")
	os.WriteFile(same, []byte(strings.Repeat("0,1,1,0\n", 6)), 0o644)
	if code, _, stderr := runCmd(t, "train", "--data", same, "--hidden", "2", "--epochs", "1", "--batch", "2", "--val-frac", "0", "--quiet", "--out", out); code != exitUsage || !strings.Contains(stderr, "the same row") {
		t.Errorf("identical rows: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCmd(t, "train", "--data", same, "--limit", "1", "--hidden", "2", "--epochs", "1", "--batch", "1", "--val-frac", "0", "--quiet", "--out", out); code != 0 {
		t.Errorf("one row: exit %d, stderr %q", code, stderr)
	}
}
