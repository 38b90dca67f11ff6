package dbn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/boltzgo/boltz/engine"
	"github.com/boltzgo/boltz/internal/atomicfile"
	"github.com/boltzgo/boltz/safetensors"
)

// The stack file: one safetensors file holding every layer's own model
// file, tensors and metadata, under the prefix "layer<k>." (k = 1 at the
// bottom): layer1.weight, layer1.visible_bias, layer1.hidden_bias (and the
// unit tensors of the bottom's type), layer1.format = boltz-rbm,
// layer1.tensor_sha256, ... The stack's own metadata are format =
// boltz-dbn, format_version, layers (the count) and sizes (the widths,
// "784,500,500"), plus the caller's unprefixed keys.

// FileFormat is the metadata "format" of a stack file.
const (
	FileFormat        = "boltz-dbn"
	FileFormatVersion = 1
)

// MaxLayers bounds the layers a stack file may claim.
const MaxLayers = 64

// ErrFile is wrapped by every error about a malformed stack file.
var ErrFile = errors.New("dbn: bad stack file")

// ErrNotStack is wrapped by the error of Load when the file is a
// safetensors file of another format (a single RBM, say).
var ErrNotStack = errors.New("dbn: not a stack file")

func prefix(k int) string { return "layer" + strconv.Itoa(k) + "." }

// Save writes the stack to w, with meta in the metadata: keys starting with
// "layer" other than "layers" are refused, and the stack's own keys
// (format, format_version, layers, sizes) are written anew, so the
// metadata Load returns may be saved again.
func (s *Stack) Save(w io.Writer, meta map[string]string) error {
	if err := s.Validate(); err != nil {
		return err
	}
	f := &safetensors.File{Metadata: map[string]string{}, Tensors: map[string]safetensors.Tensor{}}
	for k, v := range meta {
		switch {
		case k == "format" || k == "format_version" || k == "layers" || k == "sizes":
			continue // the stack's own, written below (so Load's metadata can be saved again)
		case strings.HasPrefix(k, "layer"):
			return fmt.Errorf("%w: metadata key %q is reserved for the layers", ErrStack, k)
		}
		f.Metadata[k] = v
	}
	sizes := []string{strconv.Itoa(s.Visible())}
	for i, m := range s.Layers {
		var b bytes.Buffer
		if err := m.Save(&b, nil); err != nil {
			return fmt.Errorf("layer %d: %w", i+1, err)
		}
		lf, err := safetensors.Read(bytes.NewReader(b.Bytes()), int64(b.Len()), safetensors.Limits{})
		if err != nil {
			return fmt.Errorf("layer %d: %w", i+1, err)
		}
		p := prefix(i + 1)
		for name, t := range lf.Tensors {
			f.Tensors[p+name] = t
		}
		for key, v := range lf.Metadata {
			f.Metadata[p+key] = v
		}
		sizes = append(sizes, strconv.Itoa(m.Hidden))
	}
	f.Metadata["format"] = FileFormat
	f.Metadata["format_version"] = strconv.Itoa(FileFormatVersion)
	f.Metadata["layers"] = strconv.Itoa(len(s.Layers))
	f.Metadata["sizes"] = strings.Join(sizes, ",")
	return safetensors.Write(w, f)
}

// SaveFile writes the stack to path atomically (a temporary file, fsync,
// rename): an interrupted save leaves the old file intact.
func (s *Stack) SaveFile(path string, meta map[string]string) error {
	return atomicfile.WriteFile(path, 0o644, func(w io.Writer) error { return s.Save(w, meta) })
}

// maxFileBytes caps what Load reads.
const maxFileBytes = 16 << 30

// Load reads a stack written by Save. It returns the stack (on the default
// engine) and the stack's own metadata (the caller's keys and the format
// keys; each layer's metadata are checked by engine.Load). Every problem is
// an error wrapping ErrFile; a safetensors file of another format wraps
// ErrNotStack as well.
func Load(r io.ReaderAt, size int64) (*Stack, map[string]string, error) {
	f, err := safetensors.Read(r, size, safetensors.Limits{MaxHeader: 16 << 20, MaxTotal: maxFileBytes})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrFile, err)
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrFile}, a...)...)
	}
	if f.Metadata["format"] != FileFormat {
		return nil, nil, fmt.Errorf("%w: %w: metadata format is %q, want %q", ErrFile, ErrNotStack, f.Metadata["format"], FileFormat)
	}
	if v, err := strconv.Atoi(f.Metadata["format_version"]); err != nil || v < 1 || v > FileFormatVersion {
		return nil, nil, bad("unsupported format_version %.20q (this build reads 1..%d)", f.Metadata["format_version"], FileFormatVersion)
	}
	L, err := strconv.Atoi(f.Metadata["layers"])
	if err != nil || L < 1 || L > MaxLayers {
		return nil, nil, bad("layers %.20q: want 1..%d", f.Metadata["layers"], MaxLayers)
	}
	files := make([]*safetensors.File, L)
	for i := range files {
		files[i] = &safetensors.File{Metadata: map[string]string{}, Tensors: map[string]safetensors.Tensor{}}
	}
	layerOf := func(name string) (int, string, bool) {
		rest, ok := strings.CutPrefix(name, "layer")
		if !ok {
			return 0, "", false
		}
		num, key, ok := strings.Cut(rest, ".")
		k, err := strconv.Atoi(num)
		if !ok || err != nil || k < 1 || k > L || strconv.Itoa(k) != num || key == "" {
			return 0, "", false
		}
		return k, key, true
	}
	own := map[string]string{}
	for key, v := range f.Metadata {
		if k, rest, ok := layerOf(key); ok {
			files[k-1].Metadata[rest] = v
		} else if key == "layers" || !strings.HasPrefix(key, "layer") {
			own[key] = v
		} else {
			return nil, nil, bad("metadata key %.60q names no layer of %d", key, L)
		}
	}
	for name, t := range f.Tensors {
		k, rest, ok := layerOf(name)
		if !ok {
			return nil, nil, bad("tensor %.60q names no layer of %d", name, L)
		}
		files[k-1].Tensors[rest] = t
	}
	s := &Stack{}
	for i, lf := range files {
		var b bytes.Buffer
		if err := safetensors.Write(&b, lf); err != nil {
			return nil, nil, bad("layer %d: %v", i+1, err)
		}
		m, _, err := engine.Load(bytes.NewReader(b.Bytes()), int64(b.Len()))
		if err != nil {
			return nil, nil, bad("layer %d: %v", i+1, err)
		}
		s.Layers = append(s.Layers, m)
	}
	if err := s.Validate(); err != nil {
		return nil, nil, bad("%v", err)
	}
	sizes := []string{strconv.Itoa(s.Visible())}
	for _, m := range s.Layers {
		sizes = append(sizes, strconv.Itoa(m.Hidden))
	}
	if got := strings.Join(sizes, ","); own["sizes"] != got {
		return nil, nil, bad("metadata sizes %.60q, but the layers are %s", own["sizes"], got)
	}
	return s, own, nil
}

// LoadFile reads a stack file; errors name the path.
func LoadFile(path string) (*Stack, map[string]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, nil, err
	}
	s, meta, err := Load(fh, st.Size())
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, meta, nil
}

// LoadAny reads a stack file, or a single RBM's model file as a stack of
// one layer. single reports the latter. A file that is not safetensors at
// all gets engine.LoadFile's error.
func LoadAny(path string) (s *Stack, meta map[string]string, single bool, err error) {
	s, meta, err = LoadFile(path)
	if err == nil || !errors.Is(err, ErrNotStack) && !errors.Is(err, safetensors.ErrFormat) {
		return s, meta, false, err
	}
	m, meta, err := engine.LoadFile(path)
	if err != nil {
		return nil, nil, false, err
	}
	return &Stack{Layers: []*engine.RBM{m}}, meta, true, nil
}
