package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/dbn"
	"github.com/boltzgo/boltz/engine"
)

// stackFlags are train's flags for a stack of RBMs.
type stackFlags struct {
	layers, layerEpochs, layerLR string
	samples                      bool
	sizes                        []int     // hidden units per layer (nil: one RBM)
	epochs                       []int     // per layer
	lrs                          []float64 // per layer
}

func (s *stackFlags) register(fsSet interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
}) {
	fsSet.StringVar(&s.layers, "layers", "", "train a deep belief network: hidden units of each layer, bottom first (500,500,2000); layer 1 is trained as --hidden would be, each layer above (bernoulli) greedily on the hidden probabilities of the layers below, streamed a minibatch at a time; --out is then a stack file")
	fsSet.StringVar(&s.layerEpochs, "layer-epochs", "", "epochs of each layer of --layers, comma-separated (default: --epochs for every layer)")
	fsSet.StringVar(&s.layerLR, "layer-lr", "", "learning rate of each layer of --layers, comma-separated (default: --lr for layer 1, 0.1 above a gaussian bottom, else --lr)")
	fsSet.BoolVar(&s.samples, "samples", false, "with --layers: train each layer on sampled binary states of the layers below instead of their probabilities")
}

// parse checks the stack flags against the others; it sets f.hidden to the
// bottom layer's size.
func (s *stackFlags) parse(f *trainFlags, set map[string]bool, gaussianBottom bool) error {
	if s.layers == "" {
		for _, n := range []string{"layer-epochs", "layer-lr", "samples"} {
			if set[n] {
				return usagef("--%s needs --layers", n)
			}
		}
		return nil
	}
	for _, p := range strings.Split(s.layers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 {
			return usagef("--layers %q: want positive hidden-unit counts separated by commas, e.g. 500,500,2000", s.layers)
		}
		s.sizes = append(s.sizes, n)
	}
	if len(s.sizes) > dbn.MaxLayers {
		return usagef("--layers: %d layers, at most %d", len(s.sizes), dbn.MaxLayers)
	}
	if set["hidden"] && f.hidden != s.sizes[0] {
		return usagef("--hidden %d and --layers %s disagree about layer 1; give --layers only", f.hidden, s.layers)
	}
	for _, n := range []string{"checkpoint", "checkpoint-every"} {
		if set[n] {
			return usagef("--%s is not supported with --layers yet: a stack resumes from the stack file of its trained layers (--resume FILE)", n)
		}
	}
	f.hidden = s.sizes[0]
	s.epochs = make([]int, len(s.sizes))
	s.lrs = make([]float64, len(s.sizes))
	for i := range s.sizes {
		s.epochs[i], s.lrs[i] = f.epochs, f.lr
		if i > 0 && gaussianBottom && !set["lr"] {
			s.lrs[i] = engine.DefaultConfig().LearningRate
		}
	}
	if s.layerEpochs != "" {
		parts := strings.Split(s.layerEpochs, ",")
		if len(parts) != len(s.sizes) {
			return usagef("--layer-epochs has %d values for %d layers", len(parts), len(s.sizes))
		}
		for i, p := range parts {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil || n < 1 {
				return usagef("--layer-epochs %q: want a positive count for every layer", s.layerEpochs)
			}
			s.epochs[i] = n
		}
		f.epochs = s.epochs[0]
	}
	if s.layerLR != "" {
		parts := strings.Split(s.layerLR, ",")
		if len(parts) != len(s.sizes) {
			return usagef("--layer-lr has %d values for %d layers", len(parts), len(s.sizes))
		}
		for i, p := range parts {
			x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || !finite(x) || x <= 0 {
				return usagef("--layer-lr %q: want a finite rate > 0 for every layer", s.layerLR)
			}
			s.lrs[i] = x
		}
		f.lr = s.lrs[0]
	}
	return nil
}

// stackLine is one JSON line of --metrics for a layer above the bottom.
type stackLine struct {
	Layer int `json:"layer"`
	metricsJSON
}

// growStack trains the layers of sf above those of s on the training rows
// (with the validation rows val, when not nil, in their metrics), prints
// their epochs, and writes the stack to out. An
// interruption writes the stack of the layers trained so far.
func growStack(ctx context.Context, sf *stackFlags, cfg engine.Config, s *dbn.Stack, src, val engine.RowSource,
	meta map[string]string, out string, metricsOut, stderr io.Writer, sigCode func() int) error {
	if err := s.Validate(); err != nil {
		return err
	}
	start := time.Now()
	for i := len(s.Layers); i < len(sf.sizes); i++ {
		lc := cfg
		lc.Epochs, lc.LearningRate, lc.Seed = sf.epochs[i], sf.lrs[i], cfg.Seed+uint64(i)
		lc.LearnSigma, lc.SigmaLR = false, 0
		fmt.Fprintf(stderr, "training layer %d: %d×%d RBM on the %s of layer %d (%d rows)\n", i+1, s.Hidden(i), sf.sizes[i],
			map[bool]string{true: "sampled hidden states", false: "hidden probabilities"}[sf.samples], i, src.Rows())
		opt := dbn.Options{Samples: sf.samples, Val: val, OnEpoch: func(k int, me engine.EpochMetrics) error {
			fmt.Fprintf(stderr, "layer %d %s\n", k, formatMetrics(me, lc.Epochs))
			if metricsOut != nil {
				line, _ := json.Marshal(stackLine{k, jsonMetrics(me, extraMetrics{})})
				if _, err := metricsOut.Write(append(line, '\n')); err != nil {
					return fmt.Errorf("--metrics: %w", err)
				}
			}
			return nil
		}}
		err := s.Grow(ctx, src, dbn.Layer{Hidden: sf.sizes[i], Config: lc, InitSigma: 0}, opt)
		if errors.Is(err, context.Canceled) {
			if err := s.SaveFile(out, meta); err != nil {
				return fmt.Errorf("interrupted in layer %d; writing the stack of %d layers failed: %w", i+1, len(s.Layers), err)
			}
			return exitCode{sigCode(), fmt.Errorf("interrupted in layer %d; the stack of the %s trained before it written to %s", i+1, plural(len(s.Layers), "layer"), out)}
		}
		if err != nil {
			if errors.Is(err, engine.ErrConfig) {
				return usageError{err}
			}
			return err
		}
	}
	if err := s.SaveFile(out, meta); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "trained the layers above layer 1 in %.1fs; stack of %s (%s) written to %s\n", time.Since(start).Seconds(),
		plural(len(s.Layers), "layer"), sizesString(s), out)
	return nil
}

func sizesString(s *dbn.Stack) string {
	parts := []string{strconv.Itoa(s.Visible())}
	for _, m := range s.Layers {
		parts = append(parts, strconv.Itoa(m.Hidden))
	}
	return strings.Join(parts, "-")
}

// describeStack is "784x500 RBM" or "784-500-500 DBN".
func describeStack(s *dbn.Stack) string {
	if len(s.Layers) == 1 {
		return fmt.Sprintf("%dx%d RBM", s.Visible(), s.Hidden(1))
	}
	return sizesString(s) + " DBN"
}

// layerResult is eval's report of one layer of a stack: the layer's
// reconstruction error and free energy on its own input (the data pushed up
// through the layers below as probabilities), and for Bernoulli layers the
// pseudo-log-likelihood.
type layerResult struct {
	Layer      int      `json:"layer"`
	Visible    int      `json:"visible"`
	Hidden     int      `json:"hidden"`
	Units      string   `json:"visible_units"`
	N          int      `json:"n"`
	ReconCE    *float64 `json:"recon_cross_entropy,omitempty"`
	ReconSE    *float64 `json:"recon_squared_error,omitempty"`
	FreeEnergy float64  `json:"free_energy_mean"`
	PLL        *float64 `json:"pseudo_log_likelihood,omitempty"`
}

// evalStack evaluates every layer of a stack of two or more layers.
func (f *evalFlags) evalStack(s *dbn.Stack, opt data.Options, stdout, stderr io.Writer) error {
	if f.logz != "none" {
		return usagef("--logz is for single RBMs: %s is a stack of %d layers (the layers' own log Z say little of the stack's likelihood)", f.modelPath, len(s.Layers))
	}
	x, rows, name, err := loadForModel(s.Layers[0], f.dataSpec, opt)
	if err != nil {
		return err
	}
	if rows == 0 {
		return fmt.Errorf("%s: no rows", name)
	}
	var out []layerResult
	in := x
	buf := make([]float32, rows)
	for k, m := range s.Layers {
		if k > 0 {
			if in, err = s.Transform(x, k); err != nil {
				return err
			}
		}
		r := layerResult{Layer: k + 1, Visible: m.Visible, Hidden: m.Hidden, Units: m.VisibleUnits.String(), N: rows}
		if err := m.ReconstructionError(buf, in); err != nil {
			return err
		}
		re := mean(buf)
		if m.VisibleUnits == engine.Gaussian {
			r.ReconSE = &re
		} else {
			r.ReconCE = &re
		}
		if err := m.FreeEnergy(buf, in); err != nil {
			return err
		}
		r.FreeEnergy = mean(buf)
		if m.VisibleUnits == engine.Bernoulli {
			if err := m.PseudoLogLikelihood(buf, in, f.seed); err != nil {
				return err
			}
			p := mean(buf)
			r.PLL = &p
		}
		out = append(out, r)
	}
	if f.asJSON {
		b, err := json.Marshal(struct {
			Data   string        `json:"data"`
			Layers []layerResult `json:"layers"`
		}{name, out})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	fmt.Fprintf(stdout, "%s: %s, %d rows\n", f.modelPath, describeStack(s), rows)
	fmt.Fprintf(stdout, "layer  size       recon_error     free_energy_mean  pseudo_log_likelihood\n")
	for _, r := range out {
		re, kind := 0.0, "CE"
		if r.ReconCE != nil {
			re = *r.ReconCE
		} else {
			re, kind = *r.ReconSE, "SE"
		}
		pll := "-"
		if r.PLL != nil {
			pll = fmt.Sprintf("%.4f", *r.PLL)
		}
		fmt.Fprintf(stdout, "%-6d %-10s %s %-12.4f %-17.4f %s\n", r.Layer, fmt.Sprintf("%dx%d", r.Visible, r.Hidden), kind, re, r.FreeEnergy, pll)
	}
	return nil
}

// stackRecord is what train --layers records in a stack file of its run
// (metadata "stack_run"), for --resume: the run-shaping flags and the
// per-layer settings.
type stackRecord struct {
	Flags   map[string]string `json:"flags"`
	Sizes   []int             `json:"sizes"`
	Epochs  []int             `json:"epochs"`
	LRs     []float64         `json:"lr"`
	Samples bool              `json:"samples"`
}

func (sf *stackFlags) record(fs *flag.FlagSet) string {
	r := stackRecord{Flags: map[string]string{}, Sizes: sf.sizes, Epochs: sf.epochs, LRs: sf.lrs, Samples: sf.samples}
	for _, name := range append(append([]string{}, resumeFlags...), unitFlagNames...) {
		switch name {
		case "hidden", "lr": // per layer
			continue
		}
		r.Flags[name] = fs.Lookup(name).Value.String()
	}
	b, _ := json.Marshal(r)
	return string(b)
}

// checkStackResume checks that the stack s, read from path, was trained by
// a run whose flags and first layers are those of this one (now: the
// record of this run), on the same data.
func checkStackResume(s *dbn.Stack, meta map[string]string, path, now, fingerprint string) error {
	var was, is stackRecord
	if err := json.Unmarshal([]byte(meta["stack_run"]), &was); err != nil {
		return usagef("--resume %s: the stack has no record of its run (not written by boltz train --layers)", path)
	}
	if err := json.Unmarshal([]byte(now), &is); err != nil {
		return err
	}
	if got := meta["data_fingerprint"]; got != fingerprint {
		return usagef("--resume %s: the training data differ from the stack's (%s, want %s)", path, fingerprint, got)
	}
	for name, v := range was.Flags {
		if is.Flags[name] != v {
			return usagef("--resume %s: --%s %s differs from the stack's run (%s)", path, name, is.Flags[name], v)
		}
	}
	k := len(s.Layers)
	if len(was.Sizes) < k || k > len(is.Sizes) {
		return usagef("--resume %s: the stack has %s, --layers %s", path, plural(k, "layer"), strings.Trim(fmt.Sprint(is.Sizes), "[]"))
	}
	for i := 0; i < k; i++ {
		if was.Sizes[i] != is.Sizes[i] || was.Epochs[i] != is.Epochs[i] || was.LRs[i] != is.LRs[i] {
			return usagef("--resume %s: layer %d was trained with %d hidden units, %d epochs, rate %v; the flags ask for %d, %d, %v",
				path, i+1, was.Sizes[i], was.Epochs[i], was.LRs[i], is.Sizes[i], is.Epochs[i], is.LRs[i])
		}
	}
	if was.Samples != is.Samples && k < len(is.Sizes) && k > 1 {
		return usagef("--resume %s: --samples %v differs from the stack's run", path, is.Samples)
	}
	return nil
}
