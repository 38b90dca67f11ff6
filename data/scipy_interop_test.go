package data

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/boltzgo/boltz/internal/floats"
)

// The scipy interoperability test reads sparse files written by
// scikit-learn (dump_svmlight_file) and scipy (save_npz) and compares them
// with the dense rows NumPy writes of the same matrix. CI installs
// python3-scipy and python3-sklearn and sets CI, so there a missing package
// fails the test; elsewhere it is skipped.

const python = "/usr/bin/python3"

func needScipy(t *testing.T) {
	t.Helper()
	out, err := exec.Command(python, "-c", "import numpy, scipy.sparse, sklearn.datasets").CombinedOutput()
	if err == nil {
		return
	}
	msg := python + " with numpy, scipy and scikit-learn is not available (" + err.Error() + ": " + string(bytes.TrimSpace(out)) + ")"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; CI must run the scipy interoperability test (install python3-scipy python3-sklearn)")
	}
	t.Skip(msg + "; install python3-scipy and python3-sklearn to run this test")
}

const scipyWriter = `
import sys, numpy as np, scipy.sparse as sp
from sklearn.datasets import dump_svmlight_file
d = sys.argv[1]
rng = np.random.default_rng(3)
x = rng.random((57, 41)) * (rng.random((57, 41)) < 0.15)
x[5] = 0                      # an empty row
x[:, 40] = 0; x[9, 40] = 0.5  # the last column, in one row
np.save(d + "/dense.npy", x)
np.save(d + "/bin.npy", (x > 0).astype(np.uint8) * 255)
y = np.arange(57) % 3
dump_svmlight_file(x, y, d + "/sk.svm", zero_based=False)
m = sp.csr_matrix(x)
sp.save_npz(d + "/f64.npz", m)
sp.save_npz(d + "/f32.npz", m.astype(np.float32), compressed=False)
b = sp.csr_matrix(x > 0)
sp.save_npz(d + "/bool.npz", b)
i = b.astype(np.int64)
i.indices = i.indices.astype(np.int64); i.indptr = i.indptr.astype(np.int64)
sp.save_npz(d + "/i64.npz", i)
sp.save_npz(d + "/csc.npz", m.tocsc())
`

func TestScipyFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("starting python takes seconds; the normal run tests this")
	}
	needScipy(t)
	d := t.TempDir()
	cmd := exec.Command(python, "-c", scipyWriter, d)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	dense, err := ReadNPY(filepath.Join(d, "dense.npy"), noBin)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := ReadNPY(filepath.Join(d, "bin.npy"), noBin)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file string
		want Matrix
	}{{"sk.svm", dense.X}, {"f64.npz", dense.X}, {"f32.npz", dense.X}, {"bool.npz", bin.X}, {"i64.npz", bin.X}} {
		c, err := LoadCSR(filepath.Join(d, tc.file), "", 0, noBin)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		got := c.Dense()
		if got.Rows != tc.want.Rows || got.Cols != tc.want.Cols || !floats.SameBits(got.Data, tc.want.Data) {
			t.Fatalf("%s: %d×%d, differs from NumPy's dense %d×%d", tc.file, got.Rows, got.Cols, tc.want.Rows, tc.want.Cols)
		}
		if tc.file == "sk.svm" && (len(c.Labels) != 57 || c.Labels[4] != 1 || c.Labels[56] != 2) {
			t.Fatalf("svmlight labels %v", c.Labels)
		}
	}
	_, err = ReadNPZ(filepath.Join(d, "csc.npz"), noBin)
	wantFormatErr(t, err, filepath.Join(d, "csc.npz"), `the matrix is "csc"`)
}
