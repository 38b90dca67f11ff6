package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/boltzgo/boltz/internal/atomicfile"
	"github.com/boltzgo/boltz/safetensors"
)

// Checkpoint files are safetensors files holding everything a Trainer needs
// to continue bit for bit: the model (tensors "weight" [H, V],
// "visible_bias" [V], "hidden_bias" [H]), the momentum velocities
// ("velocity_weight" [H, V], "velocity_visible_bias" [V],
// "velocity_hidden_bias" [H]), the sparsity average ("sparsity_average" [H],
// with a sparsity target only), the persistent chains ("chains" [C, H],
// PCD only; for PT all K·C of them, temperature k in rows [k·C, (k+1)·C),
// with the ladder "pt_betas" [K]) and the offsets of centering
// ("visible_offset" [V], "hidden_offset" [H], Config.Centered only), all
// F32. The metadata holds format = "boltz-checkpoint",
// format_version, visible, hidden, the position (epoch: epochs completed;
// batch: the next minibatch of the epoch in progress; step: the RNG step
// counter), the training Config as JSON under "config", whatever the caller
// adds, PT's swap counters of the epoch in progress (pt_swap_attempts and
// pt_swap_accepts, a decimal count a neighbouring pair, comma-separated),
// a SHA-256 of the tensor bytes (tensor_sha256) and a SHA-256 of all
// the other metadata (meta_sha256); both are always verified, so a changed
// byte anywhere in a checkpoint is an error.
// The random streams are counter-based (keyed by the seed, indexed by the
// step and the epoch), so they need no saved state.
const (
	CheckpointFormat        = "boltz-checkpoint"
	CheckpointFormatVersion = 2
)

// Version 2 adds what version 2 of the model file adds (unitsfile.go): the
// metadata visible_units and visible_states and the tensors visible_sigma,
// input_mean, input_scale and input_whitening, after the others in the
// checksum's order. Version-1 checkpoints resume as Bernoulli.

// ErrCheckpoint reports a checkpoint file that is not a valid boltz
// checkpoint; ErrNoCheckpoint a directory without a usable one.
var (
	ErrCheckpoint   = errors.New("engine: not a valid boltz checkpoint")
	ErrNoCheckpoint = errors.New("engine: no checkpoint")
)

// Limits on what a checkpoint may claim: the tensor bytes (two weight
// matrices and change), and the scratch a resumed Trainer would allocate for
// its minibatches and chains (floats a buffer).
const (
	maxCheckpointBytes  = 2*maxModelBytes + 1<<30
	maxCheckpointHeader = 1 << 20
	maxTrainerBuffer    = 1 << 28
)

// Checkpoint is the state of a Trainer read from a checkpoint file. Resume
// turns it into a Trainer that continues where the saved one stood.
type Checkpoint struct {
	Model  *RBM   // the parameters (on the default engine until Resume)
	Config Config // the training configuration
	Epoch  int    // epochs completed = the epoch in progress (0-based)
	Batch  int    // the next minibatch of epoch Epoch
	Step   uint64 // steps taken

	// Meta is the file's metadata, the caller's keys included.
	Meta map[string]string
	// Skipped lists the newer checkpoint files of a directory that did not
	// load (LoadCheckpoint on a directory), newest first.
	Skipped []error

	vel, velB, velC, q, chains []float32
	swapAttempts, swapAccepts  []uint64  // PT's counters
	offV, offH                 []float32 // centering's offsets (Config.Centered)
}

// ckptTensor names a tensor of a checkpoint and where the trainer keeps it.
type ckptTensor struct {
	name  string
	shape []int
	data  []float32
}

// tensors lists the tensors of t's state in the checksum's order.
func (t *Trainer) tensors() []ckptTensor {
	m := t.m
	V, H := m.Visible, m.Hidden
	ts := []ckptTensor{
		{"weight", []int{H, V}, m.W},
		{"visible_bias", []int{V}, m.B},
		{"hidden_bias", []int{H}, m.C},
		{"velocity_weight", []int{H, V}, t.vel.Data},
		{"velocity_visible_bias", []int{V}, t.velB},
		{"velocity_hidden_bias", []int{H}, t.velC},
	}
	if t.q != nil {
		ts = append(ts, ckptTensor{"sparsity_average", []int{H}, t.q})
	}
	if t.cfg.chainRows() > 0 {
		ts = append(ts, ckptTensor{"chains", []int{t.chains.Rows, H}, t.chains.Data})
	}
	ts = append(ts, t.ptTensors()...)
	if t.cen != nil {
		ts = append(ts, ckptTensor{"visible_offset", []int{V}, t.cen.mu}, ckptTensor{"hidden_offset", []int{H}, t.cen.lam})
	}
	return append(ts, m.unitTensors()...)
}

// checksumOf is the SHA-256 of the tensors' bytes, in the order given.
func checksumOf(f *safetensors.File, names []string) string {
	h := sha256.New()
	for _, n := range names {
		h.Write(f.Tensors[n].Data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// metaChecksum is the SHA-256 of the metadata other than the checksums:
// the keys in order, each key and value preceded by its length.
func metaChecksum(md map[string]string) string {
	keys := make([]string, 0, len(md))
	for k := range md {
		if k != "tensor_sha256" && k != "meta_sha256" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, k := range keys {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(k)))])
		h.Write([]byte(k))
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(md[k])))])
		h.Write([]byte(md[k]))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// WriteCheckpoint writes the trainer's whole state to w (see
// CheckpointFormat), with meta merged into the metadata (the reserved keys
// win). A state holding NaN or Inf is not written: the error wraps
// ErrDiverged. Call it between steps, from Fit's hooks or when Fit is not
// running.
func (t *Trainer) WriteCheckpoint(w io.Writer, meta map[string]string) error {
	t.m.mu.RLock()
	f, err := t.checkpointFile(meta)
	t.m.mu.RUnlock()
	if err != nil {
		return err
	}
	return safetensors.Write(w, f)
}

func (t *Trainer) checkpointFile(meta map[string]string) (*safetensors.File, error) {
	ts := t.tensors()
	f := &safetensors.File{Metadata: map[string]string{}, Tensors: map[string]safetensors.Tensor{}}
	names := make([]string, len(ts))
	for i, x := range ts {
		if j := firstNonFinite(x.data); j >= 0 {
			return nil, t.diverged(fmt.Sprintf("%s[%d] is %v; no checkpoint written", x.name, j, x.data[j]))
		}
		f.Tensors[x.name] = safetensors.FromFloat32(x.shape, x.data)
		names[i] = x.name
	}
	cfg, err := json.Marshal(t.cfg)
	if err != nil {
		return nil, err
	}
	for k, v := range meta {
		f.Metadata[k] = v
	}
	f.Metadata["format"] = CheckpointFormat
	f.Metadata["format_version"] = strconv.Itoa(CheckpointFormatVersion)
	delete(f.Metadata, "visible_states")
	t.m.setUnitMeta(f.Metadata)
	f.Metadata["visible"] = strconv.Itoa(t.m.Visible)
	f.Metadata["hidden"] = strconv.Itoa(t.m.Hidden)
	f.Metadata["epoch"] = strconv.Itoa(t.epoch)
	f.Metadata["batch"] = strconv.Itoa(t.batch)
	f.Metadata["step"] = strconv.FormatUint(t.step, 10)
	f.Metadata["config"] = string(cfg)
	t.ptMeta(f.Metadata)
	f.Metadata["tensor_sha256"] = checksumOf(f, names)
	f.Metadata["meta_sha256"] = metaChecksum(f.Metadata)
	return f, nil
}

// SaveCheckpoint writes the checkpoint to path atomically (temporary file,
// fsync, rename): path holds the old checkpoint or the new one, never a mix.
func (t *Trainer) SaveCheckpoint(path string, meta map[string]string) error {
	t.m.mu.RLock()
	f, err := t.checkpointFile(meta)
	t.m.mu.RUnlock()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, 0o644, func(w io.Writer) error { return safetensors.Write(w, f) })
}

// ReadCheckpoint reads a checkpoint written by WriteCheckpoint from r (size
// bytes). Every problem (a bad header, missing, extra or misshapen tensors,
// a checksum mismatch, NaN, an impossible configuration or position, sizes
// over the limits) is a one-line error wrapping ErrCheckpoint (and also
// safetensors.ErrFormat for a file that is not safetensors), never a panic; nothing is allocated before the
// sizes were checked against size.
func ReadCheckpoint(r io.ReaderAt, size int64) (*Checkpoint, error) {
	f, err := safetensors.Read(r, size, safetensors.Limits{MaxHeader: maxCheckpointHeader, MaxTotal: maxCheckpointBytes})
	if err != nil {
		return nil, notSafetensors(ErrCheckpoint, err)
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrCheckpoint}, a...)...)
	}
	md := f.Metadata
	if md["format"] != CheckpointFormat {
		return nil, bad("metadata format is %.40q, want %q", md["format"], CheckpointFormat)
	}
	if md["meta_sha256"] != metaChecksum(md) {
		return nil, bad("metadata checksum mismatch: the file is corrupted")
	}
	version, err := strconv.Atoi(md["format_version"])
	if err != nil || version < 1 || version > CheckpointFormatVersion {
		return nil, bad("unsupported format_version %.20q (this build reads 1..%d)", md["format_version"], CheckpointFormatVersion)
	}
	var cfg Config
	dec := json.NewDecoder(strings.NewReader(md["config"]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, bad("config: %v", oneLine(err))
	}
	if err := cfg.Validate(); err != nil {
		return nil, bad("config: %v", err)
	}
	wt, ok := f.Tensors["weight"]
	if !ok || len(wt.Shape) != 2 {
		return nil, bad("no 2-D tensor \"weight\" (tensors: %.200v)", f.Names())
	}
	H, V := wt.Shape[0], wt.Shape[1]
	if V <= 0 || H <= 0 {
		return nil, bad("empty model (%d visible, %d hidden)", V, H)
	}
	if md["visible"] != strconv.Itoa(V) || md["hidden"] != strconv.Itoa(H) {
		return nil, bad("metadata visible %.20q, hidden %.20q disagree with the weight shape [%d %d]", md["visible"], md["hidden"], H, V)
	}
	chains := cfg.chainRows()
	for _, n := range []int{cfg.BatchSize, chains} {
		if int64(n)*int64(V+H) > maxTrainerBuffer {
			return nil, bad("batch size %d and %d chains of %d+%d units are over the limit of %d values a buffer", cfg.BatchSize, chains, V, H, maxTrainerBuffer)
		}
	}
	epoch, err1 := strconv.Atoi(md["epoch"])
	batch, err2 := strconv.Atoi(md["batch"])
	step, err3 := strconv.ParseUint(md["step"], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || epoch < 0 || batch < 0 || epoch > cfg.Epochs || epoch == cfg.Epochs && batch != 0 {
		return nil, bad("bad position: epoch %.20q, batch %.20q, step %.24q (of %d epochs)", md["epoch"], md["batch"], md["step"], cfg.Epochs)
	}
	want := []ckptTensor{
		{"weight", []int{H, V}, nil},
		{"visible_bias", []int{V}, nil},
		{"hidden_bias", []int{H}, nil},
		{"velocity_weight", []int{H, V}, nil},
		{"velocity_visible_bias", []int{V}, nil},
		{"velocity_hidden_bias", []int{H}, nil},
	}
	if cfg.SparsityTarget > 0 {
		want = append(want, ckptTensor{"sparsity_average", []int{H}, nil})
	}
	if chains > 0 {
		want = append(want, ckptTensor{"chains", []int{chains, H}, nil})
	}
	if cfg.pt() {
		want = append(want, ckptTensor{"pt_betas", []int{len(cfg.ladder())}, nil})
	}
	if cfg.Centered {
		want = append(want, ckptTensor{"visible_offset", []int{V}, nil}, ckptTensor{"hidden_offset", []int{H}, nil})
	}
	names := make([]string, len(want))
	for i, w := range want {
		names[i] = w.name
	}
	units := &RBM{Visible: V, Hidden: H}
	extra, err := readUnits(units, f, version)
	if err != nil {
		return nil, bad("%v", err)
	}
	names = append(names, extra...)
	if len(f.Tensors) != len(names) {
		return nil, bad("%d tensors %.200v, want %v", len(f.Tensors), f.Names(), names)
	}
	if sum := md["tensor_sha256"]; sum != checksumOf(f, names) {
		return nil, bad("tensor checksum mismatch: the file is corrupted")
	}
	for i := range want {
		w := &want[i]
		if w.data, err = f.Float32(w.name, w.shape...); err != nil {
			return nil, bad("%v", err)
		}
		if j := firstNonFinite(w.data); j >= 0 {
			return nil, bad("%s[%d] is %v", w.name, j, w.data[j])
		}
	}
	units.W, units.B, units.C = want[0].data, want[1].data, want[2].data
	if err := units.Validate(); err != nil {
		return nil, bad("%v", err)
	}
	c := &Checkpoint{
		Model:  units,
		Config: cfg, Epoch: epoch, Batch: batch, Step: step, Meta: md,
		vel: want[3].data, velB: want[4].data, velC: want[5].data,
	}
	for _, w := range want[6:] {
		switch w.name {
		case "sparsity_average":
			c.q = w.data
		case "chains":
			for j, x := range w.data {
				if x != 0 && x != 1 {
					return nil, bad("chains[%d] is %v, not a binary state", j, x)
				}
			}
			c.chains = w.data
		case "pt_betas":
			if err := c.readPT(w.data, md); err != nil {
				return nil, bad("%v", err)
			}
		case "visible_offset":
			c.offV = w.data
		case "hidden_offset":
			c.offH = w.data
		}
	}
	return c, nil
}

// oneLine flattens an error message to one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// ReadCheckpointFile reads the checkpoint file at path; errors name it.
func ReadCheckpointFile(path string) (*Checkpoint, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w: not a regular file", path, ErrCheckpoint)
	}
	c, err := ReadCheckpoint(fh, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Resume returns a Trainer on engine e (nil: the default engine) that
// continues from the checkpoint: Fit with the same data carries on with
// minibatch Batch of epoch Epoch and produces bit for bit the model of an
// uninterrupted run (with the same kernel; the worker count does not
// matter). Config may be changed before Resume; changing anything but Epochs
// gives a different run. The trainer trains c.Model.
func (c *Checkpoint) Resume(e *Engine) (*Trainer, error) {
	m := c.Model
	if e != nil {
		m.SetEngine(e)
	}
	t, err := NewTrainer(m, c.Config)
	if err != nil {
		return nil, err
	}
	if c.Epoch > c.Config.Epochs || c.Epoch == c.Config.Epochs && c.Batch != 0 {
		return nil, fmt.Errorf("%w: the checkpoint stands at epoch %d, minibatch %d, beyond the %d epochs of the configuration", ErrConfig, c.Epoch+1, c.Batch, c.Config.Epochs)
	}
	if len(c.vel) != len(t.vel.Data) || len(c.velB) != len(t.velB) || len(c.velC) != len(t.velC) ||
		len(c.q) != len(t.q) || len(c.chains) != len(t.chains.Data) {
		return nil, fmt.Errorf("%w: the checkpoint's state does not fit its configuration", ErrCheckpoint)
	}
	copy(t.vel.Data, c.vel)
	copy(t.velB, c.velB)
	copy(t.velC, c.velC)
	copy(t.q, c.q)
	copy(t.chains.Data, c.chains)
	if t.pt != nil {
		if len(c.swapAttempts) != len(t.pt.attempts) || len(c.swapAccepts) != len(t.pt.accepts) {
			return nil, fmt.Errorf("%w: the checkpoint's swap counters do not fit its configuration", ErrCheckpoint)
		}
		copy(t.pt.attempts, c.swapAttempts)
		copy(t.pt.accepts, c.swapAccepts)
	}
	if t.cen != nil {
		if err := t.SetOffsets(c.offV, c.offH); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
		}
	}
	t.step, t.epoch, t.batch = c.Step, c.Epoch, c.Batch
	return t, nil
}
