package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// resumeCases are the configurations the resume tests cover: every piece
// of trainer state (velocities, sparsity average, persistent chains) in use.
var resumeCases = []struct {
	name string
	mod  func(*Config)
}{
	{"cd1", func(c *Config) {}},
	{"pcd2-sparse", func(c *Config) { c.PCD, c.K, c.Chains, c.SparsityTarget = true, 2, 7, 0.1 }},
}

// resumeSetup returns a fresh model and config for the resume tests, on the
// generic kernel.
func resumeSetup(t *testing.T, mod func(*Config), workers int) (*RBM, Config) {
	return resumeSetupOn(t, Generic, mod, workers)
}

// resumeSetupOn is resumeSetup on kernel k.
func resumeSetupOn(t *testing.T, k Kernel, mod func(*Config), workers int) (*RBM, Config) {
	t.Helper()
	m, err := NewRBM(30, 11, 0.01, 5)
	if err != nil {
		t.Fatal(err)
	}
	m.SetEngine(testEngine(t, k, workers))
	cfg := DefaultConfig()
	cfg.Epochs, cfg.BatchSize, cfg.Seed, cfg.MomentumEpochs = 4, 9, 11, 2
	mod(&cfg)
	return m, cfg
}

// checkpointBytes serialises t's checkpoint.
func checkpointBytes(t *testing.T, tr *Trainer) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := tr.WriteCheckpoint(&buf, map[string]string{"note": "test"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestResumeBitwise interrupts training at an epoch boundary and in the
// middle of an epoch (several times over), writes a checkpoint, reads it
// into a new trainer on an engine with another worker count, and checks
// that the finished model and state equal the uninterrupted run's bit for
// bit, for every built-in kernel and asm level.
func TestResumeBitwise(t *testing.T) {
	for _, k := range builtinKernels(t) {
		t.Run(KernelID(k), func(t *testing.T) { testResumeBitwise(t, k) })
	}
}

func testResumeBitwise(t *testing.T, k Kernel) {
	data := patterns(100, 30, 4) // 12 minibatches of 9 rows, the last one of 1
	for _, tc := range resumeCases {
		m, cfg := resumeSetupOn(t, k, tc.mod, 1)
		m.InitVisibleBias(data)
		ref, _ := NewTrainer(m, cfg)
		if err := ref.Fit(context.Background(), data, FitOptions{}); err != nil {
			t.Fatal(err)
		}
		refCk, err := ReadCheckpoint(bytes.NewReader(checkpointBytes(t, ref)), int64(len(checkpointBytes(t, ref))))
		if err != nil {
			t.Fatal(err)
		}
		stops := map[string][]int{ // steps after which the run is interrupted
			"epoch-boundary": {12, 24},
			"mid-epoch":      {5},
			"last-batch":     {11},
			"many":           {1, 2, 13, 30, 31, 47},
		}
		for name, at := range stops {
			m2, cfg2 := resumeSetupOn(t, k, tc.mod, 3)
			m2.InitVisibleBias(data)
			tr, _ := NewTrainer(m2, cfg2)
			workers := []int{2, 1, 4}
			for i := 0; ; i++ {
				ctx, cancel := context.WithCancel(context.Background())
				err := tr.Fit(ctx, data, FitOptions{OnBatch: func(e, b, n int) {
					for _, s := range at {
						if tr.Steps() == uint64(s) {
							cancel()
						}
					}
				}})
				cancel()
				if err == nil {
					break
				}
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("%s/%s: %v", tc.name, name, err)
				}
				if i > len(at) {
					t.Fatalf("%s/%s: too many interruptions", tc.name, name)
				}
				raw := checkpointBytes(t, tr)
				ck, err := ReadCheckpoint(bytes.NewReader(raw), int64(len(raw)))
				if err != nil {
					t.Fatalf("%s/%s: %v", tc.name, name, err)
				}
				if ck.Step != tr.Steps() || ck.Epoch != tr.Epoch() || ck.Batch != tr.Batch() || ck.Meta["note"] != "test" {
					t.Fatalf("%s/%s: checkpoint at step %d epoch %d batch %d, trainer at %d %d %d", tc.name, name, ck.Step, ck.Epoch, ck.Batch, tr.Steps(), tr.Epoch(), tr.Batch())
				}
				if tr, err = ck.Resume(testEngine(t, k, workers[i%len(workers)])); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(modelBytes(tr.Model()), modelBytes(ref.Model())) {
				t.Errorf("%s/%s: resumed model differs from the uninterrupted one", tc.name, name)
			}
			raw := checkpointBytes(t, tr)
			ck, err := ReadCheckpoint(bytes.NewReader(raw), int64(len(raw)))
			if err != nil {
				t.Fatal(err)
			}
			if !ck.equalState(refCk) {
				t.Errorf("%s/%s: resumed trainer state differs from the uninterrupted one", tc.name, name)
			}
		}
	}
}

// TestCheckpointDir trains with a checkpoint every few steps into a
// directory, checks that it keeps the newest two, then resumes from the
// directory with more epochs and compares with a longer uninterrupted run.
func TestCheckpointDir(t *testing.T) {
	data := patterns(100, 30, 4)
	dir := t.TempDir()
	m, cfg := resumeSetup(t, resumeCases[1].mod, 2)
	cfg.Epochs = 2
	tr, _ := NewTrainer(m, cfg)
	saves := 0
	var every []Every
	every = append(every, Every{Steps: 5}, Every{Epochs: 1}, Every{Interval: 1})
	for _, ev := range every {
		saves = 0
		dir = t.TempDir()
		m, cfg := resumeSetup(t, resumeCases[1].mod, 2)
		cfg.Epochs = 2
		tr, _ = NewTrainer(m, cfg)
		err := tr.Fit(context.Background(), data, FitOptions{Every: ev, Checkpoint: func(tr *Trainer) error {
			saves++
			if tr.Batch() == 12 {
				t.Errorf("%+v: checkpoint at the end of an epoch before its metrics", ev)
			}
			_, err := SaveCheckpointDir(dir, tr, nil, 2)
			return err
		}})
		if err != nil {
			t.Fatal(err)
		}
		files, _ := CheckpointFiles(dir)
		want := map[Every]int{{Steps: 5}: 4, {Epochs: 1}: 2, {Interval: 1}: 24}[ev]
		if saves != want || len(files) != 2 {
			t.Errorf("%+v: %d checkpoints written, %d kept; want %d and 2", ev, saves, len(files), want)
		}
	}
	// The directory now holds steps 23 and 24 (Interval 1ns: every step, the
	// one after the last minibatch moved to the epoch end).
	ck, path, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != CheckpointName(24) || ck.Epoch != 2 || ck.Batch != 0 {
		t.Fatalf("latest checkpoint %s at epoch %d batch %d", path, ck.Epoch, ck.Batch)
	}
	ck.Config.Epochs = 4
	tr2, err := ck.Resume(testEngine(t, Generic, 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := tr2.Fit(context.Background(), data, FitOptions{}); err != nil {
		t.Fatal(err)
	}
	m3, cfg3 := resumeSetup(t, resumeCases[1].mod, 1)
	ref, _ := NewTrainer(m3, cfg3)
	if err := ref.Fit(context.Background(), data, FitOptions{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(modelBytes(tr2.Model()), modelBytes(ref.Model())) {
		t.Error("2 epochs, checkpoint, 2 more epochs differs from 4 epochs")
	}

	// A corrupted newest checkpoint: LoadCheckpoint falls back to the older
	// one and says so.
	files, _ := CheckpointFiles(dir)
	raw, _ := os.ReadFile(files[1])
	raw[len(raw)-3] ^= 1
	os.WriteFile(files[1], raw, 0o644)
	ck, path, err = LoadCheckpoint(dir)
	if err != nil || path != files[0] || len(ck.Skipped) != 1 || !errors.Is(ck.Skipped[0], ErrCheckpoint) {
		t.Errorf("fallback: %v %s %v", err, path, ck)
	}
	os.WriteFile(files[0], raw[:100], 0o644)
	if _, _, err := LoadCheckpoint(dir); !errors.Is(err, ErrNoCheckpoint) || strings.Contains(err.Error(), "\n") {
		t.Errorf("no valid checkpoint: %v", err)
	}
	if _, _, err := LoadCheckpoint(t.TempDir()); !errors.Is(err, ErrNoCheckpoint) {
		t.Errorf("empty directory: %v", err)
	}
}

// TestDivergenceKeepsLastGood trains with an absurd learning rate and a
// checkpoint after every step: Fit must stop with ErrDiverged naming the
// epoch, the step and the likely cause, and the directory must hold only
// finite checkpoints that load.
func TestDivergenceKeepsLastGood(t *testing.T) {
	data := patterns(100, 30, 4)
	for _, lr := range []float64{1e30, 1e6} {
		dir := t.TempDir()
		m, cfg := resumeSetup(t, func(c *Config) {}, 2)
		cfg.LearningRate, cfg.Epochs = lr, 50
		tr, _ := NewTrainer(m, cfg)
		err := tr.Fit(context.Background(), data, FitOptions{Every: Every{Steps: 1}, Checkpoint: func(tr *Trainer) error {
			_, err := SaveCheckpointDir(dir, tr, nil, 2)
			return err
		}})
		if !errors.Is(err, ErrDiverged) {
			t.Fatalf("lr %g: err = %v, want ErrDiverged", lr, err)
		}
		msg := err.Error()
		for _, w := range []string{"epoch ", fmt.Sprintf("step %d", tr.Steps()), "learning rate", fmt.Sprint(lr)} {
			if !strings.Contains(msg, w) {
				t.Errorf("lr %g: error %q does not mention %q", lr, msg, w)
			}
		}
		t.Logf("lr %g: %v", lr, err)
		files, _ := CheckpointFiles(dir)
		if len(files) == 0 {
			t.Fatalf("lr %g: no checkpoint kept", lr)
		}
		for _, f := range files {
			ck, err := ReadCheckpointFile(f)
			if err != nil {
				t.Errorf("lr %g: kept checkpoint does not load: %v", lr, err)
				continue
			}
			if ck.Step >= tr.Steps() {
				t.Errorf("lr %g: checkpoint at step %d, divergence at %d", lr, ck.Step, tr.Steps())
			}
		}
		// The diverged state itself is refused.
		if err := tr.WriteCheckpoint(io_discard{}, nil); !errors.Is(err, ErrDiverged) {
			t.Errorf("lr %g: writing a diverged checkpoint: %v", lr, err)
		}
	}
}

type io_discard struct{}

func (io_discard) Write(p []byte) (int, error) { return len(p), nil }

// goodCheckpoint returns the bytes of a valid PCD checkpoint with sparsity.
func goodCheckpoint(t testing.TB) []byte {
	m := tiny(t, 5, 3, 0.3, 2, Generic, 1)
	cfg := DefaultConfig()
	cfg.Epochs, cfg.BatchSize, cfg.PCD, cfg.Chains, cfg.SparsityTarget = 2, 4, true, 5, 0.2
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Fit(context.Background(), patterns(10, 5, 1), FitOptions{}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tr.WriteCheckpoint(&buf, map[string]string{"cli": "{}"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCheckpointRejects feeds ReadCheckpoint the hostile files of the
// corruption table, every truncation and every single-byte flip of a valid
// checkpoint: each must give a one-line error (or, for a flip in text the
// format does not check, the same state), never a panic.
func TestCheckpointRejects(t *testing.T) {
	good := goodCheckpoint(t)
	ref, err := ReadCheckpoint(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	for name, raw := range hostileFiles(t, good, true) {
		ck, err := ReadCheckpoint(bytes.NewReader(raw), int64(len(raw)))
		switch {
		case err == nil && name != "pad header":
			t.Errorf("%s: loaded without error (%+v)", name, ck.Config)
		case err != nil && strings.ContainsAny(err.Error(), "\r\n"):
			t.Errorf("%s: multi-line error %q", name, err)
		case err != nil && !errors.Is(err, ErrCheckpoint) && !isFormatErr(err):
			t.Errorf("%s: error %v wraps neither ErrCheckpoint nor safetensors.ErrFormat", name, err)
		}
	}
	for n := 0; n < len(good); n++ {
		if _, err := ReadCheckpoint(bytes.NewReader(good[:n]), int64(n)); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
	}
	flipped := 0
	for i := range good {
		raw := bytes.Clone(good)
		raw[i] ^= 0x04
		ck, err := ReadCheckpoint(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			flipped++
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("flip at %d: multi-line error %q", i, err)
			}
			continue
		}
		if !ck.equalState(ref) {
			t.Fatalf("flip at %d: loaded a different state without error", i)
		}
	}
	if flipped != len(good) {
		t.Errorf("%d of %d single-byte flips rejected, want all", flipped, len(good))
	}
}

// TestModelRejectsHostile is the table of corrupted model files of the
// issue: a flipped byte, truncated, wrong dtype, wrong shape, missing or
// extra tensors, a header claiming petabytes, negative or overflowing
// offsets. Each gives a one-line error wrapping ErrModelFile or
// safetensors.ErrFormat.
func TestModelRejectsHostile(t *testing.T) {
	m := tiny(t, 5, 3, 0.3, 2, Generic, 1)
	var buf bytes.Buffer
	if err := m.Save(&buf, map[string]string{"config": "{}"}); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	for name, raw := range hostileFiles(t, good, false) {
		got, _, err := Load(bytes.NewReader(raw), int64(len(raw)))
		switch {
		case err == nil && name == "pad header":
			if !bytes.Equal(modelBytes(got), modelBytes(m)) {
				t.Errorf("%s: different model", name)
			}
		case err == nil:
			t.Errorf("%s: loaded without error", name)
		case strings.ContainsAny(err.Error(), "\r\n"):
			t.Errorf("%s: multi-line error %q", name, err)
		case !errors.Is(err, ErrModelFile) && !isFormatErr(err):
			t.Errorf("%s: error %v wraps neither ErrModelFile nor safetensors.ErrFormat", name, err)
		}
	}
	for i := range good {
		raw := bytes.Clone(good)
		raw[i] ^= 0x04
		got, _, err := Load(bytes.NewReader(raw), int64(len(raw)))
		if err == nil && !bytes.Equal(modelBytes(got), modelBytes(m)) {
			t.Fatalf("flip at %d: loaded a different model without error", i)
		}
	}
}

func isFormatErr(err error) bool {
	return err != nil && strings.Contains(err.Error(), "safetensors: bad format")
}

// TestCheckpointResumeChecks: a checkpoint's position must fit the data.
func TestCheckpointResumeChecks(t *testing.T) {
	data := patterns(100, 30, 4)
	m, cfg := resumeSetup(t, func(c *Config) {}, 1)
	tr, _ := NewTrainer(m, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	tr.Fit(ctx, data, FitOptions{OnBatch: func(e, b, n int) {
		if b == 10 {
			cancel()
		}
	}})
	raw := checkpointBytes(t, tr)
	ck, err := ReadCheckpoint(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	tr2, err := ck.Resume(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr2.m.SetEngine(testEngine(t, Generic, 1))
	// 50 rows make 6 minibatches; the checkpoint stands at minibatch 11.
	if err := tr2.Fit(context.Background(), data[:50*30], FitOptions{}); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "different data") {
		t.Errorf("resume on fewer rows: %v", err)
	}
	ck.Config.Epochs = 0
	if _, err := ck.Resume(nil); !errors.Is(err, ErrConfig) {
		t.Errorf("resume beyond the epochs: %v", err)
	}
}
