package main

import (
	"fmt"
	"image/png"
	"io"
	"path/filepath"
	"time"

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/rng"
	"github.com/boltzgo/boltz/viz"
)

const sampleAbout = `Runs --chains Gibbs chains of --steps alternating sweeps (h ~ p(h|v), then
v ~ p(v|h)) from random binary states (--init random: each unit 1 with
probability 1/2) or from the first --chains rows of --data (--init data), and
draws the mean-field visible probabilities p(v|h) after the last sweep as a
grid of images, one chain a tile, white = 1. The chains are a function of
the model and --seed only, whatever the worker count.`

// samplePhase is the rng phase of the random initial states ("smpl").
const samplePhase = 0x736d706c

func runSample(args []string, stdout, stderr io.Writer) error {
	var (
		g                    gridFlags
		df                   dataFlags
		ef                   engineFlags
		modelPath, out, init string
		dataSpec             string
		chains, steps        int
		seed                 uint64
	)
	fs := newFlags("sample", "--model M [--chains 100] [--steps 1000] [--init random|data] [--out samples.png] [flags]", sampleAbout, stderr)
	fs.StringVar(&modelPath, "model", "", "model file (required)")
	fs.StringVar(&out, "out", "samples.png", "PNG file to write (atomically; - for standard output)")
	fs.IntVar(&chains, "chains", 100, "number of chains (one tile each)")
	fs.IntVar(&steps, "steps", 1000, "Gibbs sweeps per chain")
	fs.StringVar(&init, "init", "random", "initial states: random (uniform binary) or data (the first --chains rows of --data)")
	fs.StringVar(&dataSpec, "data", "mnist-test", "data for --init data: mnist-test, mnist, or an IDX, NPY or CSV file")
	fs.Uint64Var(&seed, "seed", 1, "random seed")
	g.register(fs)
	df.register(fs)
	ef.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case modelPath == "":
		return usagef("--model is required")
	case chains < 1 || chains > 100000:
		return usagef("--chains %d: want 1..100000", chains)
	case steps < 1:
		return usagef("--steps %d: want at least 1", steps)
	case init != "random" && init != "data":
		return usagef("--init %q: want random or data", init)
	}
	if err := checkOut("out", out); err != nil {
		return err
	}
	dopt, err := df.options(seed)
	if err != nil {
		return err
	}
	m, _, eng, err := ef.loadModel(modelPath)
	if err != nil {
		return err
	}
	defer eng.Close()
	gopt, err := g.options(m.Visible, chains, "--chains")
	if err != nil {
		return err
	}
	V := m.Visible
	v := make([]float32, chains*V)
	if init == "random" {
		half := make([]float32, V)
		for j := range half {
			half[j] = 0.5
		}
		st := rng.NewStream(seed, 0, samplePhase)
		for r := 0; r < chains; r++ {
			st.Bernoulli(v[r*V:(r+1)*V], half, r, 0)
		}
	} else {
		if dopt.Limit == 0 || dopt.Limit > chains {
			dopt.Limit = chains
		}
		set, err := data.Load(dataSpec, dopt)
		if err != nil {
			return err
		}
		noteData(stderr, set)
		if set.X.Cols != V {
			return fmt.Errorf("%s has %d columns but the model has %d visible units", set.Name, set.X.Cols, V)
		}
		if set.X.Rows < chains {
			return usagef("--init data: %s has %d rows, fewer than --chains %d", set.Name, set.X.Rows, chains)
		}
		copy(v, set.X.Data[:chains*V])
	}
	start := time.Now()
	if err := m.Gibbs(v, steps, seed, true); err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	if g.caption {
		gopt.Caption = []string{
			fmt.Sprintf("samples of %s: %dx%d RBM, %s", filepath.Base(modelPath), m.Visible, m.Hidden, plural(chains, "chain")),
			fmt.Sprintf("p(v=1|h) after %s from %s states, seed %d; black 0, white 1", plural(steps, "Gibbs step"), init, seed),
		}
	}
	img, err := viz.Grid(v, chains, gopt)
	if err != nil {
		return err
	}
	if err := writeOut(out, stdout, func(w io.Writer) error { return png.Encode(w, img) }); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%s × %s in %.1fs (kernel %s, %s); wrote %s (%d×%d pixels)\n",
		plural(chains, "chain"), plural(steps, "Gibbs step"), secs, eng.Kernel().Name(), plural(eng.Workers(), "worker"), outName(out), img.Bounds().Dx(), img.Bounds().Dy())
	return nil
}
