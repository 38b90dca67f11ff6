package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/boltzgo/boltz/internal/atomicfile"
	"github.com/boltzgo/boltz/safetensors"
)

// Model files are safetensors files holding the tensors "weight" [H, V],
// "visible_bias" [V] and "hidden_bias" [H], all F32, and metadata with
// format = "boltz-rbm", format_version, visible, hidden, a SHA-256 of the
// tensor bytes (tensor_sha256, verified on load) and whatever the caller adds
// (the CLI stores the training configuration as JSON under "config").
// Version 2 adds the unit type (visible_units, visible_states,
// visible_sigma) and the input standardisation (input_mean, input_scale,
// input_whitening; see unitsfile.go); version-1 files load as Bernoulli.
const (
	FileFormat        = "boltz-rbm"
	FileFormatVersion = 2
)

// ErrModelFile reports a model file that is not a valid boltz model.
var ErrModelFile = errors.New("engine: not a valid boltz model file")

// notSafetensors wraps a safetensors.ErrFormat error err of a file that
// should be a model (what) so that it wraps both sentinel and cause and
// reads "sentinel: not in the safetensors format (header length …)".
func notSafetensors(sentinel, err error) error {
	if !errors.Is(err, safetensors.ErrFormat) {
		return err
	}
	return fmt.Errorf("%w: not in the safetensors format (%w)", sentinel, formatCause{err})
}

// formatCause is a safetensors format error without its "safetensors: bad
// format: " prefix, still wrapping it.
type formatCause struct{ err error }

func (f formatCause) Error() string {
	return strings.TrimPrefix(f.err.Error(), safetensors.ErrFormat.Error()+": ")
}
func (f formatCause) Unwrap() error { return f.err }

// maxModelBytes caps the tensor bytes a model file may claim (4 GiB).
const maxModelBytes = 4 << 30

// Save writes the model in the safetensors layout to w, with meta merged
// into the metadata (the reserved keys above win). It copies the parameters
// under the model's read lock, so it may run while a Trainer trains the
// model: it saves the state between two steps.
func (m *RBM) Save(w io.Writer, meta map[string]string) error {
	f, err := m.file(meta)
	if err != nil {
		return err
	}
	return safetensors.Write(w, f)
}

// file is the model's safetensors content (a copy of the parameters).
func (m *RBM) file(meta map[string]string) (*safetensors.File, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.Validate(); err != nil {
		return nil, err
	}
	f := &safetensors.File{Metadata: map[string]string{}, Tensors: map[string]safetensors.Tensor{
		"weight":       safetensors.FromFloat32([]int{m.Hidden, m.Visible}, m.W),
		"visible_bias": safetensors.FromFloat32([]int{m.Visible}, m.B),
		"hidden_bias":  safetensors.FromFloat32([]int{m.Hidden}, m.C),
	}}
	for _, t := range m.unitTensors() {
		f.Tensors[t.name] = safetensors.FromFloat32(t.shape, t.data)
	}
	for k, v := range meta {
		f.Metadata[k] = v
	}
	delete(f.Metadata, "visible_states")
	m.setUnitMeta(f.Metadata)
	f.Metadata["format"] = FileFormat
	f.Metadata["format_version"] = strconv.Itoa(FileFormatVersion)
	f.Metadata["visible"] = strconv.Itoa(m.Visible)
	f.Metadata["hidden"] = strconv.Itoa(m.Hidden)
	f.Metadata["tensor_sha256"] = m.checksum()
	return f, nil
}

// SaveFile writes the model to path atomically: a temporary file in the same
// directory, fsync, rename. An interrupted save leaves the old file intact.
func (m *RBM) SaveFile(path string, meta map[string]string) error {
	return atomicfile.WriteFile(path, 0o644, func(w io.Writer) error { return m.Save(w, meta) })
}

// checksum is the SHA-256 of W, B and C as little-endian float32 bytes, in
// that order, followed by the unit and standardisation tensors (unitTensors)
// that the model has.
func (m *RBM) checksum() string {
	h := sha256.New()
	var b [4]byte
	ps := [][]float32{m.W, m.B, m.C}
	for _, t := range m.unitTensors() {
		ps = append(ps, t.data)
	}
	for _, p := range ps {
		for _, x := range p {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
			h.Write(b[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Load reads a model written by Save from r (size bytes). It returns the
// model (on the default engine) and the file's metadata. Every problem is an
// error wrapping ErrModelFile, never a panic; a file that is not safetensors
// at all (a text file, say) wraps safetensors.ErrFormat too.
func Load(r io.ReaderAt, size int64) (*RBM, map[string]string, error) {
	f, err := safetensors.Read(r, size, safetensors.Limits{MaxHeader: 1 << 20, MaxTotal: maxModelBytes})
	if err != nil {
		return nil, nil, notSafetensors(ErrModelFile, err)
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrModelFile}, a...)...)
	}
	if f.Metadata["format"] != FileFormat {
		return nil, nil, bad("metadata format is %q, want %q", f.Metadata["format"], FileFormat)
	}
	version, err := strconv.Atoi(f.Metadata["format_version"])
	if err != nil || version < 1 || version > FileFormatVersion {
		return nil, nil, bad("unsupported format_version %.20q (this build reads 1..%d)", f.Metadata["format_version"], FileFormatVersion)
	}
	wt, ok := f.Tensors["weight"]
	if !ok || len(wt.Shape) != 2 {
		return nil, nil, bad("no 2-D tensor \"weight\" (tensors: %v)", f.Names())
	}
	H, V := wt.Shape[0], wt.Shape[1]
	m := &RBM{Visible: V, Hidden: H}
	if m.W, err = f.Float32("weight", H, V); err != nil {
		return nil, nil, bad("%v", err)
	}
	if m.B, err = f.Float32("visible_bias", V); err != nil {
		return nil, nil, bad("%v", err)
	}
	if m.C, err = f.Float32("hidden_bias", H); err != nil {
		return nil, nil, bad("%v", err)
	}
	if V == 0 || H == 0 {
		return nil, nil, bad("empty model (%d visible, %d hidden)", V, H)
	}
	extra, err := readUnits(m, f, version)
	if err != nil {
		return nil, nil, bad("%v", err)
	}
	if len(f.Tensors) != 3+len(extra) {
		return nil, nil, bad("%d tensors %.200v, want weight, visible_bias, hidden_bias and %v", len(f.Tensors), f.Names(), extra)
	}
	if sum, ok := f.Metadata["tensor_sha256"]; ok && sum != m.checksum() {
		return nil, nil, bad("tensor checksum mismatch: the file is corrupted")
	}
	if err := m.Validate(); err != nil {
		return nil, nil, bad("%v", err)
	}
	return m, f.Metadata, nil
}

// LoadFile reads a model file; errors name the path.
func LoadFile(path string) (*RBM, map[string]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.IsDir() {
		return nil, nil, fmt.Errorf("%s: %w: is a directory", path, ErrModelFile)
	}
	m, meta, err := Load(fh, st.Size())
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, meta, nil
}
