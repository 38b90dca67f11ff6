package main

import (
	"flag"
	"fmt"
	"math"

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/engine"
)

// Visible unit types on the command line: train's --visible and the flags
// that go with it, and the data of Gaussian and categorical models for
// every command (real values, standardised as the model says; categorical
// states as one-hot rows).

type unitFlags struct {
	visible             string
	learnSigma          bool
	sigmaLR             float64
	standardize, whiten bool
	states              int
}

// unitFlagNames are the run-shaping flags of the unit types: --resume takes
// them from the checkpoint like resumeFlags, and a checkpoint of an older
// version without them resumes with their defaults (Bernoulli).
// gaussianLR is the default --lr of gaussian visible units.
const gaussianLR = 0.02

var unitFlagNames = []string{"visible", "learn-sigma", "sigma-lr", "standardize", "whiten", "states"}

func (u *unitFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&u.visible, "visible", "bernoulli", "visible units: bernoulli (binary data), gaussian (real values; per-unit σ) or categorical (integer states: integer NPY or CSV, or aligned protein FASTA with q = 21)")
	fs.BoolVar(&u.learnSigma, "learn-sigma", false, "gaussian: learn σ of every visible unit (through log σ², with a floor of 0.01)")
	fs.Float64Var(&u.sigmaLR, "sigma-lr", 0, "gaussian: learning rate of log σ² with --learn-sigma (0: --lr / 10)")
	fs.BoolVar(&u.standardize, "standardize", false, "gaussian: standardise every feature to mean 0 and standard deviation 1 (stored with the model; eval and transform apply it)")
	fs.BoolVar(&u.whiten, "whiten", false, "gaussian: ZCA-whiten the data (stored with the model; eval and transform apply it)")
	fs.IntVar(&u.states, "states", 0, "categorical: states per position q (0: 21 for FASTA, else the largest state in the data plus one)")
}

// unit checks the unit flags against each other and the others set; every
// impossible combination is a usage error.
func (u *unitFlags) unit(set map[string]bool, f *trainFlags) (engine.UnitType, error) {
	t, err := engine.ParseUnitType(u.visible)
	if err != nil {
		return 0, usagef("--visible %q: want bernoulli, gaussian or categorical", u.visible)
	}
	for _, g := range []string{"learn-sigma", "sigma-lr", "standardize", "whiten"} {
		if set[g] && t != engine.Gaussian {
			return 0, usagef("--%s needs --visible gaussian", g)
		}
	}
	switch {
	case set["states"] && t != engine.Categorical:
		return 0, usagef("--states needs --visible categorical")
	case u.states < 0 || u.states == 1 || u.states > data.MaxStates:
		return 0, usagef("--states %d: want 0 (from the data) or 2..%d", u.states, data.MaxStates)
	case !finite(u.sigmaLR) || u.sigmaLR < 0:
		return 0, usagef("--sigma-lr %v: need a finite value ≥ 0", u.sigmaLR)
	case set["sigma-lr"] && !u.learnSigma:
		return 0, usagef("--sigma-lr needs --learn-sigma")
	case u.standardize && u.whiten:
		return 0, usagef("--standardize and --whiten exclude each other (whitening standardises too)")
	case t != engine.Bernoulli && set["binarize"]:
		return 0, usagef("--binarize applies to bernoulli visible units only, not %s", t)
	case t != engine.Bernoulli && f.mmap == "on":
		return 0, usagef("--mmap on: %s data are loaded into memory", t)
	case t != engine.Bernoulli && f.pll:
		return 0, usagef("--pll: the pseudo-likelihood is defined for bernoulli visible units only")
	case t != engine.Bernoulli && f.logzEvery > 0:
		return 0, usagef("--logz-every: AIS is implemented for bernoulli visible units only")
	case t != engine.Bernoulli && set["label-column"]:
		return 0, usagef("--label-column applies to bernoulli data only")
	}
	return t, nil
}

// unitData is the training and validation data of a Gaussian or categorical
// model, in memory, as the model reads them.
type unitData struct {
	train, val *dataset
	states     int                     // q (categorical)
	input      *engine.Standardization // the standardisation applied (gaussian), or nil
}

// loadUnitData loads the data of a model of type t: real values (then
// standardised with st when given, else as --standardize or --whiten fit
// on the training rows), or categorical states (q from --states, else the
// files'). The validation rows are --val or the last valFrac of the
// training rows.
func loadUnitData(t engine.UnitType, u *unitFlags, spec, valPath string, valFrac float64, opt data.Options, st *engine.Standardization) (*unitData, error) {
	if spec == "mnist" || spec == "mnist-test" {
		if t == engine.Categorical {
			return nil, usagef("--data %s: categorical units need integer NPY or CSV, or FASTA data", spec)
		}
	}
	res := &unitData{}
	split := func(rows int) (int, int) {
		nVal := 0
		if valPath == "" {
			nVal = int(math.Round(valFrac * float64(rows)))
		}
		return rows - nVal, nVal
	}
	if t == engine.Categorical {
		s, err := data.ReadStates(spec, opt)
		if err != nil {
			return nil, err
		}
		var vs *data.States
		if valPath != "" {
			if vs, err = data.ReadStates(valPath, data.Options{}); err != nil {
				return nil, err
			}
			if vs.Cols != s.Cols {
				return nil, fmt.Errorf("validation data have %d positions, training data %d", vs.Cols, s.Cols)
			}
		}
		q := u.states
		if q == 0 {
			q = s.Q
			if vs != nil {
				q = max(q, vs.Q)
			}
			if q < 2 {
				return nil, usagef("%s holds one state only: nothing to learn (give --states q if there are more)", s.Name)
			}
		}
		res.states = q
		x, err := s.OneHot(q)
		if err != nil {
			return nil, err
		}
		V := s.Cols * q
		nTrain, nVal := split(s.Rows)
		res.train = &dataset{name: s.Name, src: engine.Dense(x[:nTrain*V], V)}
		switch {
		case vs != nil:
			vx, err := vs.OneHot(q)
			if err != nil {
				return nil, err
			}
			res.val = &dataset{name: vs.Name, src: engine.Dense(vx, V)}
		case nVal > 0:
			res.val = &dataset{name: s.Name + "/val", src: engine.Dense(x[nTrain*V:], V)}
		}
		return res, nil
	}
	opt.Real = true
	s, err := data.Load(spec, opt)
	if err != nil {
		return nil, err
	}
	V := s.X.Cols
	nTrain, nVal := split(s.X.Rows)
	trainX, valX := s.X.Data[:nTrain*V], s.X.Data[nTrain*V:]
	valName := s.Name + "/val"
	if valPath != "" {
		vopt := opt
		vopt.Limit = 0
		vs, err := data.Load(valPath, vopt)
		if err != nil {
			return nil, err
		}
		if vs.X.Cols != V {
			return nil, fmt.Errorf("validation data has %d columns, training data %d", vs.X.Cols, V)
		}
		valX, valName, nVal = vs.X.Data, vs.Name, vs.X.Rows
	}
	if st == nil && (u.standardize || u.whiten) && nTrain > 0 {
		if st, err = engine.FitStandardization(trainX, V, u.whiten); err != nil {
			return nil, err
		}
	}
	if st != nil {
		if trainX, err = st.Apply(trainX); err != nil {
			return nil, err
		}
		if nVal > 0 {
			if valX, err = st.Apply(valX); err != nil {
				return nil, err
			}
		}
	}
	res.input = st
	res.train = &dataset{name: s.Name, src: engine.Dense(trainX, V)}
	if nVal > 0 {
		res.val = &dataset{name: valName, src: engine.Dense(valX, V)}
	}
	return res, nil
}

// loadForModel loads data for a model of any type, as the model reads them:
// Bernoulli data with the data flags (data.Load), real values standardised
// as the model stores, or categorical states as one-hot rows of the model's
// q states. It returns the rows, their count and the data's name.
func loadForModel(m *engine.RBM, spec string, opt data.Options) ([]float32, int, string, error) {
	switch m.VisibleUnits {
	case engine.Categorical:
		if spec == "mnist" || spec == "mnist-test" {
			return nil, 0, "", fmt.Errorf("the model has categorical visible units: --data must be integer NPY or CSV, or FASTA, not %s", spec)
		}
		s, err := data.ReadStates(spec, opt)
		if err != nil {
			return nil, 0, "", err
		}
		if s.Cols*m.States != m.Visible {
			return nil, 0, "", fmt.Errorf("%s has %d positions but the model has %d (%d visible units of %d states)", s.Name, s.Cols, m.Positions(), m.Visible, m.States)
		}
		x, err := s.OneHot(m.States)
		return x, s.Rows, s.Name, err
	case engine.Gaussian:
		opt.Real = true
		s, err := data.Load(spec, opt)
		if err != nil {
			return nil, 0, "", err
		}
		if s.X.Cols != m.Visible {
			return nil, 0, "", fmt.Errorf("%s has %d columns but the model has %d visible units", s.Name, s.X.Cols, m.Visible)
		}
		x := s.X.Data
		if m.Input != nil {
			if x, err = m.Input.Apply(x); err != nil {
				return nil, 0, "", err
			}
		}
		return x, s.X.Rows, s.Name, nil
	}
	s, err := data.Load(spec, opt)
	if err != nil {
		return nil, 0, "", err
	}
	if s.X.Cols != m.Visible {
		return nil, 0, "", fmt.Errorf("%s has %d columns but the model has %d visible units", s.Name, s.X.Cols, m.Visible)
	}
	return s.X.Data, s.X.Rows, s.Name, nil
}
