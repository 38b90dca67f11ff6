package main

import (
	"fmt"
	"image/png"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/engine"
	"github.com/boltzgo/boltz/rng"
	"github.com/boltzgo/boltz/viz"
)

const sampleAbout = `Runs --chains Gibbs chains of --steps alternating sweeps (h ~ p(h|v), then
v ~ p(v|h)) from random binary states (--init random: each unit 1 with
probability 1/2) or from the first --chains rows of --data (--init data), and
draws the mean-field visible probabilities p(v|h) after the last sweep as a
grid of images, one chain a tile, white = 1. The chains are a function of
the model and --seed only, whatever the worker count.

Gaussian models start from v ~ N(b, σ²) (--init random) and draw the means
after the last sweep, scaled from their minimum (black) to their maximum
(white); categorical models start from uniformly random states and draw
the state probabilities of every position. --out FILE.npy writes the
final means or probabilities as a float32 NPY file (chains × visible units)
instead of an image.

A stack file (boltz train --layers) generates as a deep belief network: the
chains run in the top RBM (from random binary states of its visible units,
or from the first --chains rows of --data pushed up through the layers
below), then one top-down pass of probabilities through the lower layers
gives the images.

--sampler pt samples a Bernoulli model by parallel tempering instead: the
--chains chains run at each temperature of the β ladder (--temperatures K,
geometric from 1 to 0.1, or --betas), all starting from the initial states;
every step is one Gibbs sweep (v ~ p_β(v|h), h ~ p_β(h|v)) at every
temperature and one round of Metropolis swaps between neighbouring
temperatures (as boltz train --sampler pt does), and the chains at β = 1
are the samples (the image draws their p(v|h) after the last step). The
swap acceptance of every neighbouring pair is printed.`

// samplePhase is the rng phase of the random initial states ("smpl").
const samplePhase = 0x736d706c

func runSample(args []string, stdout, stderr io.Writer) error {
	var (
		g                    gridFlags
		df                   dataFlags
		ef                   engineFlags
		sf                   samplerFlags
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
	sf.register(fs, false)
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
	case sf.sampler != "gibbs" && sf.sampler != "pt":
		return usagef("--sampler %.20q: want gibbs or pt", sf.sampler)
	case sf.sampler != "pt" && (sf.temperatures != 0 || sf.betas != ""):
		return usagef("--temperatures and --betas need --sampler pt")
	}
	var betas []float64
	if sf.sampler == "pt" {
		var err error
		if betas, err = sf.ladder(); err != nil {
			return err
		}
		if int64(chains)*int64(len(betas)) > 1_000_000 {
			return usagef("--chains %d × %d temperatures: at most 1,000,000 chains in all", chains, len(betas))
		}
	}
	if err := checkOut("out", out); err != nil {
		return err
	}
	dopt, err := df.options(seed)
	if err != nil {
		return err
	}
	st, eng, err := ef.loadStack(modelPath)
	if err != nil {
		return err
	}
	defer eng.Close()
	m := st.Layers[0]
	if betas != nil && (len(st.Layers) > 1 || m.VisibleUnits != engine.Bernoulli) {
		return usagef("--sampler pt samples single RBMs of bernoulli units (%s has %s)", modelPath, map[bool]string{true: plural(len(st.Layers), "layer"), false: m.VisibleUnits.String() + " visible units"}[len(st.Layers) > 1])
	}
	npyOut := strings.HasSuffix(strings.ToLower(out), ".npy")
	var gopt viz.GridOptions
	if !npyOut {
		if gopt, err = g.options(m.Visible, chains, "--chains"); err != nil {
			return err
		}
	}
	V := m.Visible
	v := make([]float32, chains*V)
	if m.VisibleUnits != engine.Bernoulli {
		if init == "random" {
			randomUnits(m, v, chains, seed)
		} else {
			dopt.Limit = chains
			x, rows, name, err := loadForModel(m, dataSpec, dopt)
			if err != nil {
				return err
			}
			if rows < chains {
				return usagef("--init data: %s has %d rows, fewer than --chains %d", name, rows, chains)
			}
			copy(v, x[:chains*V])
		}
	} else if init == "random" {
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
	if len(st.Layers) > 1 {
		var top []float32
		if init == "random" {
			top = st.RandomTop(chains, seed)
		} else if top, err = st.Transform(v, len(st.Layers)-1); err != nil {
			return err
		}
		if v, err = st.Generate(top, steps, seed); err != nil {
			return err
		}
	} else if betas != nil {
		acc, err := m.GibbsPT(v, steps, seed, betas, true)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "parallel tempering on %s, swap acceptance of the neighbouring pairs %s\n", plural(len(betas), "temperature"), fmtFloats(acc))
	} else if err := m.Gibbs(v, steps, seed, true); err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	if npyOut {
		mx := data.Matrix{Rows: chains, Cols: V, Data: v}
		if err := writeOut(out, stdout, func(w io.Writer) error { return data.WriteNPY(w, mx) }); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%s × %s in %.1fs; wrote the %d×%d final visible means to %s\n", plural(chains, "chain"), plural(steps, "Gibbs step"), secs, chains, V, outName(out))
		return nil
	}
	scale := "black 0, white 1"
	if m.VisibleUnits == engine.Gaussian {
		lo, hi := minMax(v)
		for i, x := range v {
			v[i] = float32((float64(x) - lo) / math.Max(hi-lo, 1e-30))
		}
		scale = fmt.Sprintf("means, black %.3g, white %.3g", lo, hi)
	}
	if g.caption {
		gopt.Caption = []string{
			fmt.Sprintf("samples of %s: %s, %s", filepath.Base(modelPath), describeStack(st), plural(chains, "chain")),
			fmt.Sprintf("p(v=1|h) after %s from %s states, seed %d; %s", plural(steps, "Gibbs step"), init, seed, scale),
		}
		if len(st.Layers) > 1 {
			gopt.Caption[1] = fmt.Sprintf("%s in the top RBM from %s states, seed %d, then p(v|h) down; %s", plural(steps, "Gibbs step"), init, seed, scale)
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

// randomUnits fills v (chains rows) with random initial states of a
// Gaussian (N(b, σ²)) or categorical (uniform states) model, from the seed.
func randomUnits(m *engine.RBM, v []float32, chains int, seed uint64) {
	st := rng.NewStream(seed, 0, samplePhase)
	V := m.Visible
	for r := 0; r < chains; r++ {
		row := v[r*V : (r+1)*V]
		if m.VisibleUnits == engine.Gaussian {
			st.GaussianShift(row, m.B, m.Sigma, r, 0)
			continue
		}
		q := m.States
		for p := 0; p < V/q; p++ {
			s := int(uint64(st.Uint32(r, p)) * uint64(q) >> 32)
			row[p*q+s] = 1
		}
	}
}

func minMax(x []float32) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range x {
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	return lo, hi
}

// fmtFloats writes x as [0.12 0.34 ...].
func fmtFloats(x []float64) string {
	s := make([]string, len(x))
	for i, v := range x {
		s[i] = fmt.Sprintf("%.3f", v)
	}
	return "[" + strings.Join(s, " ") + "]"
}
