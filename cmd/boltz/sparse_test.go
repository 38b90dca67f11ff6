package main

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/engine"
)

// sparseFiles writes the same binary rows as a dense .npy, an svmlight
// file and a scipy-style CSR .npz (int32 offsets and indices, bool data).
func sparseFiles(t *testing.T, dir string, rows, cols int) (npy, svm, npz string) {
	t.Helper()
	r := rand.New(rand.NewPCG(11, 12))
	x := make([]float32, rows*cols)
	var text strings.Builder
	indptr := []int32{0}
	var indices []int32
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&text, "%d", i%2)
		for j := 0; j < cols; j++ {
			// Column blocks by row parity, so there is something to learn.
			if r.IntN(4) == 0 || (j < cols/2) == (i%2 == 0) && r.IntN(2) == 0 {
				x[i*cols+j] = 1
				fmt.Fprintf(&text, " %d:1", j+1)
				indices = append(indices, int32(j))
			}
		}
		text.WriteString("\n")
		indptr = append(indptr, int32(len(indices)))
	}
	var b bytes.Buffer
	if err := data.WriteNPY(&b, data.Matrix{Rows: rows, Cols: cols, Data: x}); err != nil {
		t.Fatal(err)
	}
	npy = filepath.Join(dir, "d.npy")
	svm = filepath.Join(dir, "d.svm")
	npz = filepath.Join(dir, "d.npz")
	os.WriteFile(npy, b.Bytes(), 0o644)
	os.WriteFile(svm, []byte(text.String()), 0o644)
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	add := func(name, descr, shape string, payload []byte) {
		dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
		dict += strings.Repeat(" ", 64-(10+len(dict)+1)%64) + "\n"
		w, _ := zw.Create(name)
		w.Write([]byte("\x93NUMPY\x01\x00"))
		binary.Write(w, binary.LittleEndian, uint16(len(dict)))
		w.Write([]byte(dict))
		w.Write(payload)
	}
	le := func(v any) []byte { var b bytes.Buffer; binary.Write(&b, binary.LittleEndian, v); return b.Bytes() }
	add("indices.npy", "<i4", fmt.Sprintf("(%d,)", len(indices)), le(indices))
	add("indptr.npy", "<i4", fmt.Sprintf("(%d,)", len(indptr)), le(indptr))
	add("format.npy", "|S3", "()", []byte("csr"))
	add("shape.npy", "<i8", "(2,)", le([]int64{int64(rows), int64(cols)}))
	add("data.npy", "|b1", fmt.Sprintf("(%d,)", len(indices)), bytes.Repeat([]byte{1}, len(indices)))
	zw.Close()
	os.WriteFile(npz, z.Bytes(), 0o644)
	return npy, svm, npz
}

// train, eval and transform give the same model, figures and features for
// the same rows dense, in svmlight text and in an npz archive.
func TestSparseDataCommands(t *testing.T) {
	dir := t.TempDir()
	npy, svm, npz := sparseFiles(t, dir, 240, 30)
	var models [][]byte
	var evals []string
	var feats [][]byte
	for _, in := range []string{npy, svm, npz} {
		out := filepath.Join(dir, filepath.Base(in)+".safetensors")
		code, _, stderr := runCmd(t, "train", "--data", in, "--hidden", "7", "--epochs", "2", "--batch", "20",
			"--val-frac", "0.25", "--out", out, "--workers", "2", "--quiet")
		if code != 0 {
			t.Fatalf("train --data %s: exit %d: %s", in, code, stderr)
		}
		if in != npy && !strings.Contains(stderr, "sparse, 180×30 with") {
			t.Errorf("train --data %s does not say it read sparse rows: %s", in, stderr)
		}
		m, _, err := engine.LoadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		for _, p := range [][]float32{m.W, m.B, m.C} {
			binary.Write(&b, binary.LittleEndian, p)
		}
		models = append(models, b.Bytes())

		code, stdout, stderr := runCmd(t, "eval", "--model", out, "--data", in, "--json", "--logz", "ais", "--ais-runs", "4", "--ais-betas", "200")
		if code != 0 {
			t.Fatalf("eval --data %s: exit %d: %s", in, code, stderr)
		}
		var res map[string]any
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatal(err)
		}
		delete(res, "log_z_seconds")
		delete(res, "log_z_reverse_seconds")
		delete(res, "seconds")
		evals = append(evals, fmt.Sprint(res))

		// Every file with the first model, so the features compare.
		fo := filepath.Join(dir, filepath.Base(in)+".features.npy")
		first := filepath.Join(dir, filepath.Base(npy)+".safetensors")
		if code, _, stderr := runCmd(t, "transform", "--model", first, "--data", in, "--out", fo); code != 0 {
			t.Fatalf("transform --data %s: exit %d: %s", in, code, stderr)
		}
		fb, _ := os.ReadFile(fo)
		feats = append(feats, fb)
	}
	for i := 1; i < 3; i++ {
		if !bytes.Equal(models[i], models[0]) {
			t.Errorf("the model trained on file %d differs from the dense one's", i)
		}
		if evals[i] != evals[0] {
			t.Errorf("eval of file %d: %s\nwant %s", i, evals[i], evals[0])
		}
		if !bytes.Equal(feats[i], feats[0]) || len(feats[0]) < 240*7*4 {
			t.Errorf("the features of file %d differ", i)
		}
	}
	// --format reads a sparse file of any name; --features sets the width.
	odd := filepath.Join(dir, "rows.dat")
	b, _ := os.ReadFile(svm)
	os.WriteFile(odd, b, 0o644)
	if code, _, stderr := runCmd(t, "train", "--data", odd, "--format", "svmlight", "--features", "40", "--hidden", "3",
		"--epochs", "1", "--batch", "20", "--out", filepath.Join(dir, "o.safetensors"), "--quiet"); code != 0 || !strings.Contains(stderr, "200×40") {
		t.Errorf("--format svmlight --features 40: exit %d: %s", code, stderr)
	}
	bad := filepath.Join(dir, "bad.svm")
	os.WriteFile(bad, []byte("1 1:1 3:1\n0 3:1 2:1\n"), 0o644)
	for _, args := range [][]string{
		{"train", "--data", bad},
		{"train", "--data", svm, "--features", "10"},
		{"train", "--data", npz, "--features", "40"},
		{"train", "--data", svm, "--format", "xml"},
		{"eval", "--model", filepath.Join(dir, "d.npy.safetensors"), "--data", bad},
		{"transform", "--model", filepath.Join(dir, "d.npy.safetensors"), "--data", bad},
	} {
		code, _, stderr := runCmd(t, append(args, "--out", filepath.Join(dir, "x"))[:len(args)+map[bool]int{true: 2}[args[0] != "eval"]]...)
		if code == 0 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.HasPrefix(stderr, "boltz "+args[0]+": ") {
			t.Errorf("%v: exit %d, %q: want one error line", args, code, stderr)
		}
	}
}
