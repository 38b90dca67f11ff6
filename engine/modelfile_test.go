package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/boltzgo/boltz/safetensors"
)

func TestModelFileRoundTrip(t *testing.T) {
	m := tiny(t, 7, 5, 1, 4, Generic, 1)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.SaveFile(path, map[string]string{"config": `{"k":1}`}); err != nil {
		t.Fatal(err)
	}
	got, meta, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(modelBytes(got), modelBytes(m)) || got.Visible != 7 || got.Hidden != 5 {
		t.Error("round trip changed the model")
	}
	if meta["config"] != `{"k":1}` || meta["format"] != FileFormat {
		t.Errorf("metadata %v", meta)
	}
}

// handWritten builds a safetensors file byte by byte, as numpy users would,
// with weight [H, V] and biases of the lengths of b and c.
func handWritten(V, H int, w, b, c []float32, extraMeta string) []byte {
	it := strconv.Itoa
	nw, nb, nc := 4*len(w), 4*len(b), 4*len(c)
	hdr := `{"__metadata__":{"format":"boltz-rbm","format_version":"1"` + extraMeta + `},` +
		`"weight":{"dtype":"F32","shape":[` + it(H) + `,` + it(V) + `],"data_offsets":[0,` + it(nw) + `]},` +
		`"visible_bias":{"dtype":"F32","shape":[` + it(len(b)) + `],"data_offsets":[` + it(nw) + `,` + it(nw+nb) + `]},` +
		`"hidden_bias":{"dtype":"F32","shape":[` + it(len(c)) + `],"data_offsets":[` + it(nw+nb) + `,` + it(nw+nb+nc) + `]}}`
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, uint64(len(hdr)))
	buf.WriteString(hdr)
	for _, p := range [][]float32{w, b, c} {
		binary.Write(&buf, binary.LittleEndian, p)
	}
	return buf.Bytes()
}

func TestModelFileHandWritten(t *testing.T) {
	w := []float32{1, 2, 3, 4, 5, 6}
	raw := handWritten(3, 2, w, []float32{-1, 0, 1}, []float32{0.5, -0.5}, "")
	m, _, err := Load(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Visible != 3 || m.Hidden != 2 || m.W[5] != 6 || m.B[0] != -1 || m.C[1] != -0.5 {
		t.Errorf("loaded %+v", m)
	}
}

func TestModelFileRejects(t *testing.T) {
	good := handWritten(3, 2, []float32{1, 2, 3, 4, 5, 6}, []float32{0, 0, 0}, []float32{0, 0}, "")
	cases := map[string][]byte{
		"wrong format":   bytes.Replace(good, []byte("boltz-rbm"), []byte("boltz-xyz"), 1),
		"bad version":    bytes.Replace(good, []byte(`"format_version":"1"`), []byte(`"format_version":"9"`), 1),
		"empty":          nil,
		"bad checksum":   handWritten(3, 2, []float32{1, 2, 3, 4, 5, 6}, []float32{0, 0, 0}, []float32{0, 0}, `,"tensor_sha256":"00"`),
		"NaN weight":     handWritten(3, 2, []float32{1, 2, float32(math.NaN()), 4, 5, 6}, []float32{0, 0, 0}, []float32{0, 0}, ""),
		"truncated":      good[:len(good)-3],
		"hidden renamed": bytes.Replace(good, []byte(`"hidden_bias"`), []byte(`"hidden_bian"`), 1),
	}
	// Inconsistent shapes: hidden_bias of 3 for H=2 (sizes consistent within the file).
	cases["inconsistent"] = handWritten(3, 2, []float32{1, 2, 3, 4, 5, 6}, []float32{0, 0}, []float32{0, 0, 0}, "")
	for name, raw := range cases {
		if _, _, err := Load(bytes.NewReader(raw), int64(len(raw))); err == nil {
			t.Errorf("%s: loaded without error", name)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: multi-line error %q", name, err)
		}
	}
	// Every truncation of a valid file is an error, never a panic.
	for n := 0; n < len(good); n++ {
		if _, _, err := Load(bytes.NewReader(good[:n]), int64(n)); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
	}
	// A flipped byte in the tensor data is caught by the checksum.
	m := tiny(t, 4, 3, 1, 1, Generic, 1)
	var buf bytes.Buffer
	if err := m.Save(&buf, nil); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	raw[len(raw)-5] ^= 0x10
	if _, _, err := Load(bytes.NewReader(raw), int64(len(raw))); !errors.Is(err, ErrModelFile) {
		t.Errorf("flipped byte: %v", err)
	}
}

func TestSaveFileKeepsOldOnError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	m := tiny(t, 4, 3, 1, 1, Generic, 1)
	if err := m.SaveFile(path, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	bad := m.Clone()
	bad.W[0] = float32(math.Inf(1))
	if err := bad.SaveFile(path, nil); err == nil {
		t.Fatal("saved a model with Inf")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("failed save changed the file")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
}

// TestLoadFileNotAModel: a text file passed as a model is "not a valid boltz
// model file", wrapping ErrModelFile (and safetensors.ErrFormat, the cause).
func TestLoadFileNotAModel(t *testing.T) {
	p := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(p, []byte("hello, this is text\n"), 0o644)
	_, _, err := LoadFile(p)
	if !errors.Is(err, ErrModelFile) || !errors.Is(err, safetensors.ErrFormat) {
		t.Fatalf("LoadFile(text) = %v; want an error wrapping ErrModelFile and safetensors.ErrFormat", err)
	}
	if !strings.Contains(err.Error(), "not a valid boltz model file: not in the safetensors format (header length") {
		t.Errorf("message %q", err)
	}
	if _, err := ReadCheckpointFile(p); !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), "not a valid boltz checkpoint") {
		t.Errorf("ReadCheckpointFile(text) = %v; want an error wrapping ErrCheckpoint", err)
	}
}
