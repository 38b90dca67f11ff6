package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/dbn"
	"github.com/boltzgo/boltz/engine"
)

// newFlags returns a flag set that reports errors instead of exiting, with a
// usage text of the command's description and its flags. It prints nothing
// itself: a parse error comes back from parse as one line, and --help as a
// helpRequest that run prints to standard output. The writer is unused (kept
// for the callers' signature).
func newFlags(name, synopsis, about string, _ io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: boltz %s %s\n\n%s\n\nFlags:\n", name, synopsis, strings.TrimSpace(about))
		fs.PrintDefaults()
	}
	return fs
}

// helpRequest is --help (or -h): run prints the flag set's usage to
// standard output and exits with status 0.
type helpRequest struct{ fs *flag.FlagSet }

func (h helpRequest) Error() string { return "help requested" }
func (h helpRequest) Unwrap() error { return flag.ErrHelp }

// printHelp writes the usage of fs to w.
func (h helpRequest) printHelp(w io.Writer) {
	h.fs.SetOutput(w)
	h.fs.Usage()
	h.fs.SetOutput(io.Discard)
}

// parse parses args and turns flag errors into one-line usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return helpRequest{fs}
		}
		return usagef("%v (see \"boltz %s --help\")", err, fs.Name())
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (see \"boltz %s --help\")", fs.Arg(0), fs.Name())
	}
	return nil
}

// dataFlags are the flags of every command that reads data.
type dataFlags struct {
	binarize    string
	limit       int
	seed        uint64
	labelColumn bool
}

func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.binarize, "binarize", "threshold", "how grey levels become binary: threshold (1 where x ≥ 0.5 after scaling to [0,1]), stochastic (1 with probability x, fixed seed), none (grey levels used as probabilities)")
	fs.IntVar(&d.limit, "limit", 0, "use only the first N rows of the data (0: all)")
	fs.BoolVar(&d.labelColumn, "label-column", false, "CSV: the last column is a label, not a feature")
}

func (d *dataFlags) options(seed uint64) (data.Options, error) {
	b, err := data.ParseBinarize(d.binarize)
	if err != nil {
		return data.Options{}, usageError{err}
	}
	if d.limit < 0 {
		return data.Options{}, usagef("--limit %d is negative", d.limit)
	}
	return data.Options{Limit: d.limit, Binarize: b, Seed: seed, LabelColumn: d.labelColumn}, nil
}

// engineFlags choose the kernel and the worker count.
type engineFlags struct {
	kernel  string
	workers int
}

func (e *engineFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&e.kernel, "kernel", "", "compute kernel: "+strings.Join(engine.Kernels(), ", ")+", or asm/LEVEL with a level of "+strings.Join(engine.Levels(), ", ")+" (default: $BOLTZ_KERNEL, else the best this CPU runs)")
	fs.IntVar(&e.workers, "workers", 0, "worker goroutines (0: GOMAXPROCS)")
}

// engine builds the engine; bad names and counts are usage errors.
func (e *engineFlags) engine() (*engine.Engine, error) {
	if e.workers < 0 {
		return nil, usagef("--workers %d is negative", e.workers)
	}
	opts := []engine.Option{engine.WithWorkers(e.workers)}
	if e.kernel != "" {
		opts = append(opts, engine.WithKernelName(e.kernel))
	}
	eng, err := engine.New(opts...)
	if err != nil {
		if errors.Is(err, engine.ErrKernel) || errors.Is(err, engine.ErrISA) || errors.Is(err, engine.ErrConfig) {
			return nil, usageError{err}
		}
		return nil, err
	}
	return eng, nil
}

// plural is "n thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// loadModel builds the engine the flags ask for and loads the model file
// onto it; close the engine when done.
func (e *engineFlags) loadModel(path string) (*engine.RBM, map[string]string, *engine.Engine, error) {
	eng, err := e.engine()
	if err != nil {
		return nil, nil, nil, err
	}
	m, meta, err := engine.LoadFile(path)
	if err != nil {
		eng.Close()
		return nil, nil, nil, err
	}
	m.SetEngine(eng)
	return m, meta, eng, nil
}

// loadStack builds the engine the flags ask for and loads a stack file, or
// a single RBM's model file as a stack of one layer, onto it; close the
// engine when done.
func (e *engineFlags) loadStack(path string) (*dbn.Stack, *engine.Engine, error) {
	eng, err := e.engine()
	if err != nil {
		return nil, nil, err
	}
	s, _, _, err := dbn.LoadAny(path)
	if err != nil {
		eng.Close()
		return nil, nil, err
	}
	s.SetEngine(eng)
	return s, eng, nil
}

// stackLayer resolves --layer k of a stack (0: the top) as a usage error.
func stackLayer(s *dbn.Stack, k int, path string) (int, error) {
	if k < 0 || k > len(s.Layers) {
		what := "a stack of " + plural(len(s.Layers), "layer")
		if len(s.Layers) == 1 {
			what = "a single RBM (layer 1)"
		}
		return 0, usagef("--layer %d: %s is %s", k, path, what)
	}
	if k == 0 {
		k = len(s.Layers)
	}
	return k, nil
}
