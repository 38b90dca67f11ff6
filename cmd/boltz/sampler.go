package main

import (
	"flag"
	"fmt"

	"github.com/boltzgo/boltz/engine"
)

// The negative-phase sampler of train (--sampler, --temperatures, --betas)
// and the parallel-tempering ladder of sample.

// samplerFlags choose the sampler: cd, pcd (also --pcd) or pt, parallel
// tempering with --temperatures K chains' temperatures a chain on a
// geometric β ladder, or the ladder --betas.
type samplerFlags struct {
	sampler      string
	temperatures int
	betas        string
}

// samplerFlagNames are the run-shaping flags of the sampler: --resume takes
// them from the checkpoint (the defaults for checkpoints older than them).
var samplerFlagNames = []string{"sampler", "temperatures", "betas"}

const ladderHelp = "the β ladder of --sampler pt: comma-separated, strictly decreasing from exactly 1, all > 0 (default: --temperatures values geometric from 1 to %v)"

func (f *samplerFlags) register(fs *flag.FlagSet, training bool) {
	if training {
		fs.StringVar(&f.sampler, "sampler", "", "negative-phase sampler: cd, pcd (persistent chains; --pcd is the same) or pt (parallel tempering: --chains chains at each of --temperatures temperatures; the β = 1 chains give the statistics) (default cd, or pcd with --pcd)")
	} else {
		fs.StringVar(&f.sampler, "sampler", "gibbs", "gibbs (plain Gibbs chains) or pt (parallel tempering: the chains at β = 1 are the samples)")
	}
	fs.IntVar(&f.temperatures, "temperatures", 0, fmt.Sprintf("temperatures of --sampler pt (0: the number of --betas, else %d)", engine.DefaultTemperatures))
	fs.StringVar(&f.betas, "betas", "", fmt.Sprintf(ladderHelp, engine.DefaultMinBeta))
}

// ladder returns the β ladder of --sampler pt, checked.
func (f *samplerFlags) ladder() ([]float64, error) {
	if f.temperatures < 0 || f.temperatures > engine.MaxTemperatures {
		return nil, usagef("--temperatures %d: want 1..%d (0: the default)", f.temperatures, engine.MaxTemperatures)
	}
	if f.betas == "" {
		k := f.temperatures
		if k == 0 {
			k = engine.DefaultTemperatures
		}
		return engine.PTLadder(k), nil
	}
	b, err := engine.ParseBetas(f.betas)
	if err != nil {
		return nil, usagef("--betas %.60q: %v", f.betas, err)
	}
	if f.temperatures != 0 && len(b) != f.temperatures {
		return nil, usagef("--betas has %d values, --temperatures %d", len(b), f.temperatures)
	}
	return b, nil
}

// apply puts the train sampler into cfg; pcd is --pcd, chains --chains.
func (f *samplerFlags) apply(cfg *engine.Config, pcd bool, chains int) error {
	s := f.sampler
	switch {
	case s != "" && s != "cd" && s != "pcd" && s != "pt":
		return usagef("--sampler %.20q: want cd, pcd or pt", s)
	case pcd && s != "" && s != "pcd":
		return usagef("--pcd and --sampler %s conflict: --pcd is --sampler pcd", s)
	case s == "" && pcd:
		s = "pcd"
	case s == "":
		s = "cd"
	}
	if s != "pt" && (f.temperatures != 0 || f.betas != "") {
		return usagef("--temperatures and --betas need --sampler pt")
	}
	if chains > 0 && s == "cd" {
		return usagef("--chains needs --sampler pcd or pt (or --pcd)")
	}
	cfg.PCD = s == "pcd"
	if s == "pt" {
		if _, err := f.ladder(); err != nil {
			return err
		}
		cfg.Sampler, cfg.Temperatures, cfg.Betas = "pt", f.temperatures, f.betas
	}
	return nil
}

// name is the sampler as the training header says it.
func (f *samplerFlags) name(cfg engine.Config, k int) string {
	switch {
	case cfg.Sampler == "pt":
		return fmt.Sprintf("PT-%d (%d temperatures)", k, len(mustLadder(f)))
	case cfg.PCD:
		return fmt.Sprintf("PCD-%d", k)
	}
	return fmt.Sprintf("CD-%d", k)
}

func mustLadder(f *samplerFlags) []float64 {
	b, _ := f.ladder()
	return b
}
