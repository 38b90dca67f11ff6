package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/boltzgo/boltz/safetensors"
)

// FuzzLoadModel: Load must never panic or allocate beyond the input's size;
// a file it accepts must hold a valid model that saves and loads again to
// the same parameters, and its errors are one line.
func FuzzLoadModel(f *testing.F) {
	m := tiny(f, 5, 3, 0.3, 2, Generic, 1)
	var buf bytes.Buffer
	if err := m.Save(&buf, map[string]string{"config": `{"k":1}`}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(handWritten(3, 2, []float32{1, 2, 3, 4, 5, 6}, []float32{-1, 0, 1}, []float32{0.5, -0.5}, ""))
	// Format version 2: a gaussian model with a stored whitening, a
	// categorical one.
	g := tiny(f, 2, 3, 0.3, 3, Generic, 1)
	g.SetVisibleUnits(Gaussian, 0)
	g.Sigma[1] = 0.5
	g.Input = &Standardization{Mean: []float32{1, 2}, Scale: []float32{1, 1}, Whitening: []float32{2, 0.1, 0.1, 3}}
	c := tiny(f, 6, 2, 0.3, 4, Generic, 1)
	c.SetVisibleUnits(Categorical, 3)
	for _, m := range []*RBM{g, c} {
		var b bytes.Buffer
		if err := m.Save(&b, nil); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, meta, err := Load(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			if !errors.Is(err, ErrModelFile) && !errors.Is(err, safetensors.ErrFormat) {
				t.Fatalf("error %v wraps neither ErrModelFile nor safetensors.ErrFormat", err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("loaded an invalid model: %v", err)
		}
		var out bytes.Buffer
		if err := got.Save(&out, meta); err != nil {
			t.Fatalf("saving a loaded model: %v", err)
		}
		again, _, err := Load(bytes.NewReader(out.Bytes()), int64(out.Len()))
		if err != nil || !bytes.Equal(unitBytes(again), unitBytes(got)) || again.VisibleUnits != got.VisibleUnits || again.States != got.States {
			t.Fatalf("save and load changed the model (%v)", err)
		}
	})
}

// FuzzLoadCheckpoint: ReadCheckpoint must never panic; a checkpoint it
// accepts must resume, write and read again to the same state. Since a
// mutated file almost never keeps its SHA-256 checksums, each input that
// parses as safetensors is also tried with its checksums recomputed, so the
// fuzzer reaches the checks behind them (configuration, position, shapes,
// values).
func FuzzLoadCheckpoint(f *testing.F) {
	f.Add(goodCheckpoint(f))
	f.Add(unitsCheckpoint(f, Gaussian, 4, 0))
	f.Add(unitsCheckpoint(f, Categorical, 6, 3))
	f.Add(ptCheckpoint(f))
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkCheckpointInput(t, raw)
		sf, err := safetensors.Read(bytes.NewReader(raw), int64(len(raw)), safetensors.Limits{})
		if err != nil || sf.Metadata == nil {
			return
		}
		h := sha256.New()
		for _, n := range checkpointOrder {
			if x, ok := sf.Tensors[n]; ok {
				h.Write(x.Data)
			}
		}
		sf.Metadata["tensor_sha256"] = hex.EncodeToString(h.Sum(nil))
		sf.Metadata["meta_sha256"] = metaChecksum(sf.Metadata)
		var buf bytes.Buffer
		if safetensors.Write(&buf, sf) == nil {
			checkCheckpointInput(t, buf.Bytes())
		}
	})
}

// checkpointOrder is the order of the tensors in a checkpoint's checksum.
var checkpointOrder = []string{"weight", "visible_bias", "hidden_bias", "velocity_weight", "velocity_visible_bias",
	"velocity_hidden_bias", "sparsity_average", "chains", "pt_betas", "visible_sigma", "input_mean", "input_scale", "input_whitening"}

// unitsCheckpoint is a checkpoint of a PCD run of a Gaussian (learned σ, a
// stored standardisation) or categorical model.
func unitsCheckpoint(t testing.TB, u UnitType, V, q int) []byte {
	m := tiny(t, V, 3, 0.3, 2, Generic, 1)
	if err := m.SetVisibleUnits(u, q); err != nil {
		t.Fatal(err)
	}
	data := unitData(u, 10, V, q, 1)
	if u == Gaussian {
		st, err := FitStandardization(data, V, false)
		if err != nil {
			t.Fatal(err)
		}
		m.Input = st
		data, _ = st.Apply(data)
	}
	cfg := DefaultConfig()
	cfg.Epochs, cfg.BatchSize, cfg.PCD, cfg.Chains, cfg.LearnSigma = 2, 4, true, 3, u == Gaussian
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Fit(context.Background(), data, FitOptions{}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tr.WriteCheckpoint(&buf, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func checkCheckpointInput(t *testing.T, raw []byte) {
	ck, err := ReadCheckpoint(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		if !errors.Is(err, ErrCheckpoint) && !errors.Is(err, safetensors.ErrFormat) {
			t.Fatalf("error %v wraps neither ErrCheckpoint nor safetensors.ErrFormat", err)
		}
		if strings.ContainsAny(err.Error(), "\r\n") {
			t.Fatalf("multi-line error %q", err)
		}
		return
	}
	if err := ck.Model.Validate(); err != nil {
		t.Fatalf("loaded an invalid model: %v", err)
	}
	if int64(ck.Config.BatchSize)*int64(ck.Model.Visible+ck.Model.Hidden) > 1<<16 {
		return // valid, but too big to build a trainer for every input
	}
	tr, err := ck.Resume(fuzzEngine(t))
	if err != nil {
		t.Fatalf("resuming an accepted checkpoint: %v", err)
	}
	var out bytes.Buffer
	if err := tr.WriteCheckpoint(&out, ck.Meta); err != nil {
		t.Fatalf("writing an accepted checkpoint: %v", err)
	}
	again, err := ReadCheckpoint(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil || !again.equalState(ck) {
		t.Fatalf("write and read changed the checkpoint (%v)", err)
	}
}

var fuzzEng *Engine

func fuzzEngine(t *testing.T) *Engine {
	if fuzzEng == nil {
		e, err := New(WithKernel(Generic), WithWorkers(1))
		if err != nil {
			t.Fatal(err)
		}
		fuzzEng = e
	}
	return fuzzEng
}

// rawSafetensors assembles a file from a header text and a data buffer.
func rawSafetensors(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

// hostileFiles derives the corrupted files of the list from a valid
// model file (ckpt false) or checkpoint file (ckpt true). Mutations that keep
// the safetensors layout valid recompute tensor_sha256, so that the check
// under test is the one the name says.
func hostileFiles(t testing.TB, good []byte, ckpt bool) map[string][]byte {
	t.Helper()
	order := checkpointOrder[:3]
	if ckpt {
		order = checkpointOrder
	}
	rewrite := func(mut func(f *safetensors.File)) []byte { return rewriteSum(t, good, order, mut, nil) }
	rewriteRaw := func(mut func(f *safetensors.File)) []byte { return rewriteSum(t, good, order, nil, mut) }
	hlen := int(binary.LittleEndian.Uint64(good))
	header, data := string(good[8:8+hlen]), good[8+hlen:]
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 0x80; return b }
	out := map[string][]byte{
		"empty":                nil,
		"7 bytes":              good[:7],
		"header length only":   good[:8],
		"truncated header":     good[:8+hlen/2],
		"truncated data":       good[:len(good)-3],
		"one byte extra":       append(bytes.Clone(good), 0),
		"flipped data byte":    flip(len(good) - 6),
		"flipped first weight": flip(8 + hlen + 1),
		"flipped header byte":  flip(9),
		"flipped length byte":  flip(3),
		"header claims petabytes": append(binary.LittleEndian.AppendUint64(nil, 1<<50),
			good[8:]...),
		"header length 2^64-1": append(binary.LittleEndian.AppendUint64(nil, math.MaxUint64), good[8:]...),
		"not JSON":             rawSafetensors("{not json}      ", data),
		"JSON array":           rawSafetensors("[]      ", nil),
		"invalid UTF-8":        rawSafetensors("{\"\xff\":{}}", nil),
		"negative offset": rawSafetensors(`{"weight":{"dtype":"F32","shape":[1,1],"data_offsets":[-4,0]},`+
			`"visible_bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"hidden_bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, make([]byte, 12)),
		"overflowing offset": rawSafetensors(`{"weight":{"dtype":"F32","shape":[1,1],"data_offsets":[18446744073709551612,18446744073709551616]}}`, make([]byte, 4)),
		"offset 1e30":        rawSafetensors(`{"weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,1e30]}}`, make([]byte, 4)),
		"tensor claims petabytes": rawSafetensors(`{"weight":{"dtype":"F32","shape":[1000000000,1000000],"data_offsets":[0,4000000000000000]},`+
			`"visible_bias":{"dtype":"F32","shape":[1000000],"data_offsets":[4000000000000000,4000000004000000]},"hidden_bias":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 16)),
		"overflowing shape": rawSafetensors(`{"weight":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, make([]byte, 4)),
		"negative shape":    rawSafetensors(`{"weight":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}}`, make([]byte, 16)),
		"overlapping tensors": rawSafetensors(`{"weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},`+
			`"visible_bias":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"hidden_bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)),
		"duplicate tensor": rawSafetensors(`{"weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},`+
			`"weight":{"dtype":"F32","shape":[1,1],"data_offsets":[4,8]},"hidden_bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, make([]byte, 12)),
		"header at end of file": rawSafetensors(header, nil),
		"pad header":            rawSafetensors(header+"        ", data),
		"wrong dtype F64": rewrite(func(f *safetensors.File) {
			w := f.Tensors["weight"]
			f.Tensors["weight"] = safetensors.Tensor{DType: "F64", Shape: w.Shape, Data: append(bytes.Clone(w.Data), w.Data...)}
		}),
		"wrong dtype F16": rewrite(func(f *safetensors.File) {
			w := f.Tensors["hidden_bias"]
			f.Tensors["hidden_bias"] = safetensors.Tensor{DType: "F16", Shape: []int{len(w.Data) / 2}, Data: w.Data}
		}),
		"wrong dtype I32": rewrite(func(f *safetensors.File) {
			w := f.Tensors["visible_bias"]
			w.DType = "I32"
			f.Tensors["visible_bias"] = w
		}),
		"weight transposed": rewrite(func(f *safetensors.File) {
			w := f.Tensors["weight"]
			w.Shape = []int{w.Shape[1], w.Shape[0]}
			f.Tensors["weight"] = w
		}),
		"weight 1-D": rewrite(func(f *safetensors.File) {
			w := f.Tensors["weight"]
			w.Shape = []int{w.Shape[0] * w.Shape[1]}
			f.Tensors["weight"] = w
		}),
		"weight 3-D": rewrite(func(f *safetensors.File) {
			w := f.Tensors["weight"]
			w.Shape = []int{w.Shape[0], w.Shape[1], 1}
			f.Tensors["weight"] = w
		}),
		"visible bias too short": rewrite(func(f *safetensors.File) {
			w := f.Tensors["visible_bias"]
			w.Shape, w.Data = []int{w.Shape[0] - 1}, w.Data[4:]
			f.Tensors["visible_bias"] = w
		}),
		"empty weight": rewrite(func(f *safetensors.File) {
			f.Tensors["weight"] = safetensors.Tensor{DType: "F32", Shape: []int{0, 5}}
		}),
		"missing hidden_bias": rewrite(func(f *safetensors.File) { delete(f.Tensors, "hidden_bias") }),
		"missing weight":      rewrite(func(f *safetensors.File) { delete(f.Tensors, "weight") }),
		"extra tensor": rewrite(func(f *safetensors.File) {
			f.Tensors["extra"] = safetensors.Tensor{DType: "U8", Shape: []int{1}, Data: []byte{7}}
		}),
		"renamed tensor": rewrite(func(f *safetensors.File) {
			f.Tensors["hidden_bian"] = f.Tensors["hidden_bias"]
			delete(f.Tensors, "hidden_bias")
		}),
		"NaN weight":        rewrite(func(f *safetensors.File) { setF32(f, "weight", 1, float32(math.NaN())) }),
		"Inf hidden bias":   rewrite(func(f *safetensors.File) { setF32(f, "hidden_bias", 0, float32(math.Inf(-1))) }),
		"no metadata":       rewrite(func(f *safetensors.File) { f.Metadata = nil }),
		"wrong format":      rewrite(func(f *safetensors.File) { f.Metadata["format"] = "boltz-xyz" }),
		"format_version 99": rewrite(func(f *safetensors.File) { f.Metadata["format_version"] = "99" }),
		"format_version -1": rewrite(func(f *safetensors.File) { f.Metadata["format_version"] = "-1" }),
		"swapped formats": rewrite(func(f *safetensors.File) {
			f.Metadata["format"] = map[bool]string{true: FileFormat, false: CheckpointFormat}[ckpt]
		}),
		"checksum not hex":   rewriteRaw(func(f *safetensors.File) { f.Metadata["tensor_sha256"] = "zz" }),
		"checksum of zeroes": rewriteRaw(func(f *safetensors.File) { f.Metadata["tensor_sha256"] = strings.Repeat("0", 64) }),
	}
	out["bad checksum"] = rewriteRaw(func(f *safetensors.File) { setF32(f, "weight", 0, 42) })
	if ckpt {
		cfgEdit := func(from, to string) []byte {
			return rewrite(func(f *safetensors.File) {
				if !strings.Contains(f.Metadata["config"], from) {
					t.Fatalf("config %s lacks %q", f.Metadata["config"], from)
				}
				f.Metadata["config"] = strings.Replace(f.Metadata["config"], from, to, 1)
			})
		}
		meta := func(k, v string) []byte { return rewrite(func(f *safetensors.File) { f.Metadata[k] = v }) }
		for k, v := range map[string][]byte{
			"config not JSON":          meta("config", "{"),
			"config missing":           rewrite(func(f *safetensors.File) { delete(f.Metadata, "config") }),
			"config unknown field":     cfgEdit(`{"Epochs"`, `{"Bogus":1,"Epochs"`),
			"config k=0":               cfgEdit(`"K":1`, `"K":0`),
			"config NaN rate":          cfgEdit(`"LearningRate":0.1`, `"LearningRate":"NaN"`),
			"config lr 1e400":          cfgEdit(`"LearningRate":0.1`, `"LearningRate":1e400`),
			"config huge batch":        cfgEdit(`"BatchSize":4`, `"BatchSize":1000000000000`),
			"config batch 2^31 chains": cfgEdit(`"Chains":5`, `"Chains":2147483647`),
			"config no PCD":            cfgEdit(`"PCD":true`, `"PCD":false`),
			"config no sparsity":       cfgEdit(`"SparsityTarget":0.2`, `"SparsityTarget":0`),
			"epoch negative":           meta("epoch", "-1"),
			"epoch beyond":             meta("epoch", "3"),
			"epoch overflowing":        meta("epoch", "99999999999999999999999"),
			"batch at end of training": meta("batch", "5"),
			"batch not a number":       meta("batch", "x"),
			"step negative":            meta("step", "-1"),
			"step 2^64":                meta("step", "18446744073709551616"),
			"visible disagrees":        meta("visible", "6"),
			"meta checksum stale":      rewriteRaw(func(f *safetensors.File) { f.Metadata["step"] = "1" }),
			"meta checksum missing":    rewriteRaw(func(f *safetensors.File) { delete(f.Metadata, "meta_sha256") }),
			"chains not binary":        rewrite(func(f *safetensors.File) { setF32(f, "chains", 2, 0.5) }),
			"NaN velocity":             rewrite(func(f *safetensors.File) { setF32(f, "velocity_weight", 3, float32(math.NaN())) }),
			"missing chains":           rewrite(func(f *safetensors.File) { delete(f.Tensors, "chains") }),
			"missing velocity":         rewrite(func(f *safetensors.File) { delete(f.Tensors, "velocity_hidden_bias") }),
			"chains wrong shape": rewrite(func(f *safetensors.File) {
				c := f.Tensors["chains"]
				c.Shape = []int{c.Shape[1], c.Shape[0]}
				f.Tensors["chains"] = c
			}),
		} {
			out[k] = v
		}
	}
	return out
}

// rewriteSum reads good, applies mut, recomputes the checksums present
// (tensor_sha256 over the tensors of order, meta_sha256) and then applies
// raw, and writes the file.
func rewriteSum(t testing.TB, good []byte, order []string, mut, raw func(f *safetensors.File)) []byte {
	f, err := safetensors.Read(bytes.NewReader(good), int64(len(good)), safetensors.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if mut != nil {
		mut(f)
	}
	h := sha256.New()
	for _, n := range order {
		if x, ok := f.Tensors[n]; ok {
			h.Write(x.Data)
		}
	}
	if _, ok := f.Metadata["tensor_sha256"]; ok {
		f.Metadata["tensor_sha256"] = hex.EncodeToString(h.Sum(nil))
	}
	if _, ok := f.Metadata["meta_sha256"]; ok {
		f.Metadata["meta_sha256"] = metaChecksum(f.Metadata)
	}
	if raw != nil {
		raw(f)
	}
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// setF32 sets element i of the named F32 tensor (a copy) to x.
func setF32(f *safetensors.File, name string, i int, x float32) {
	tt := f.Tensors[name]
	tt.Data = bytes.Clone(tt.Data)
	binary.LittleEndian.PutUint32(tt.Data[4*i:], math.Float32bits(x))
	f.Tensors[name] = tt
}

// TestWriteFuzzCorpus writes the seed corpora of FuzzLoadModel and
// FuzzLoadCheckpoint (the hostile files of the tables) into
// testdata/fuzz when BOLTZ_WRITE_CORPUS=1; the committed files run as seeds
// in every "go test".
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("BOLTZ_WRITE_CORPUS") != "1" {
		t.Skip("set BOLTZ_WRITE_CORPUS=1 to rewrite testdata/fuzz")
	}
	m := tiny(t, 5, 3, 0.3, 2, Generic, 1)
	var buf bytes.Buffer
	m.Save(&buf, map[string]string{"config": "{}"})
	for target, good := range map[string][]byte{"FuzzLoadModel": buf.Bytes(), "FuzzLoadCheckpoint": goodCheckpoint(t)} {
		files := hostileFiles(t, good, target == "FuzzLoadCheckpoint")
		files["valid"] = good
		writeCorpus(t, target, files)
	}
}

// writeCorpus writes inputs as "go test fuzz v1" files named after their keys.
func writeCorpus(t *testing.T, target string, files map[string][]byte) {
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		file := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
				return r
			}
			if r >= 'A' && r <= 'Z' {
				return r + 'a' - 'A'
			}
			return '-'
		}, n)
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", files[n])
		if err := os.WriteFile(filepath.Join(dir, "seed-"+file), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
