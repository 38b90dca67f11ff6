package data

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestMNIST(t *testing.T) {
	for _, c := range []struct {
		name  string
		rows  int
		first int32 // the first image's label
	}{
		{"mnist", 60000, 5},
		{"mnist-test", 10000, 7},
	} {
		s, err := Load(c.name, noBin)
		if err != nil {
			t.Fatal(err)
		}
		if s.Name != c.name || s.X.Rows != c.rows || s.X.Cols != 784 || len(s.X.Data) != c.rows*784 || len(s.Labels) != c.rows {
			t.Fatalf("%s: %q %d×%d, %d labels", c.name, s.Name, s.X.Rows, s.X.Cols, len(s.Labels))
		}
		if s.Labels[0] != c.first {
			t.Errorf("%s: first label %d, want %d", c.name, s.Labels[0], c.first)
		}
		var count [10]int
		for _, l := range s.Labels {
			if l < 0 || l > 9 {
				t.Fatalf("%s: label %d", c.name, l)
			}
			count[l]++
		}
		for d, n := range count {
			if n < c.rows/20 {
				t.Errorf("%s: only %d images of digit %d", c.name, n, d)
			}
		}
		grey, sum := 0, 0.0
		for _, x := range s.X.Data {
			if x < 0 || x > 1 {
				t.Fatalf("%s: value %v", c.name, x)
			}
			if x > 0 && x < 1 {
				grey++
			}
			sum += float64(x)
		}
		// MNIST's mean pixel is about 0.13.
		if mean := sum / float64(len(s.X.Data)); mean < 0.1 || mean > 0.16 || grey == 0 {
			t.Errorf("%s: mean %v, %d grey values", c.name, mean, grey)
		}
	}
}

func TestMNISTLimitAndBinarize(t *testing.T) {
	s, err := Load("mnist-test", Options{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if s.X.Rows != 100 || len(s.Labels) != 100 || s.Labels[0] != 7 {
		t.Fatalf("%d rows, %d labels", s.X.Rows, len(s.Labels))
	}
	ones := 0
	for _, x := range s.X.Data {
		if x != 0 && x != 1 {
			t.Fatalf("threshold left %v", x)
		}
		ones += int(x)
	}
	if ones == 0 {
		t.Fatal("no foreground pixels")
	}
}

func TestMNISTPath(t *testing.T) {
	p, err := MNISTPath("mnist")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(p) != "train-images-idx3-ubyte.gz" {
		t.Fatalf("MNISTPath(mnist) = %s", p)
	}
	if p, err := MNISTPath("mnist-test"); err != nil || filepath.Base(p) != "t10k-images-idx3-ubyte.gz" {
		t.Fatalf("MNISTPath(mnist-test) = %s, %v", p, err)
	}
	if _, err := MNISTPath("cifar"); err == nil {
		t.Fatal("MNISTPath accepted an unknown name")
	}

	// BOLTZ_MNIST_DIR takes precedence and is checked.
	t.Setenv("BOLTZ_MNIST_DIR", filepath.Dir(p))
	if q, err := MNISTPath("mnist"); err != nil || q != p {
		t.Fatalf("with BOLTZ_MNIST_DIR: %s, %v", q, err)
	}
	empty := t.TempDir()
	t.Setenv("BOLTZ_MNIST_DIR", empty)
	_, err = MNISTPath("mnist")
	if err == nil || !strings.Contains(err.Error(), "BOLTZ_MNIST_DIR") || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("empty BOLTZ_MNIST_DIR: %v", err)
	}
	if _, err := Load("mnist", noBin); err == nil {
		t.Fatal("Load(mnist) worked without the files")
	}
}

func TestMNISTDirNotFound(t *testing.T) {
	mnistMu.Lock()
	saved := mnistDir
	mnistDir = ""
	mnistMu.Unlock()
	defer func() {
		mnistMu.Lock()
		mnistDir = saved
		mnistMu.Unlock()
	}()
	t.Setenv("BOLTZ_MNIST_DIR", "")
	t.Setenv("PATH", t.TempDir()) // no go command
	t.Setenv("GOMODCACHE", t.TempDir())
	_, err := MNISTDir()
	if err == nil {
		t.Fatal("MNISTDir found MNIST in an empty module cache")
	}
	for _, s := range []string{"go command is not available", "BOLTZ_MNIST_DIR", "not in "} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
}
