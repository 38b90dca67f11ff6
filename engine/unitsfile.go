package engine

import (
	"fmt"
	"strconv"

	"github.com/boltzgo/boltz/safetensors"
)

// The unit types and the input standardisation in model and checkpoint
// files (format version 2): metadata visible_units ("bernoulli",
// "gaussian", "categorical") and visible_states (q, categorical only);
// tensors visible_sigma [V] (gaussian only), input_mean [V] and
// input_scale [V] (a stored standardisation), and input_whitening [V, V]
// (ZCA). Version-1 files have none of them and load as Bernoulli.

// unitTensors lists the model's unit and standardisation tensors, in the
// checksum's order (after weight, visible_bias and hidden_bias).
func (m *RBM) unitTensors() []ckptTensor {
	V := m.Visible
	var ts []ckptTensor
	if m.VisibleUnits == Gaussian {
		ts = append(ts, ckptTensor{"visible_sigma", []int{V}, m.Sigma})
	}
	if in := m.Input; in != nil {
		ts = append(ts, ckptTensor{"input_mean", []int{V}, in.Mean}, ckptTensor{"input_scale", []int{V}, in.Scale})
		if in.Whitening != nil {
			ts = append(ts, ckptTensor{"input_whitening", []int{V, V}, in.Whitening})
		}
	}
	return ts
}

// setUnitMeta writes the unit metadata of m into md.
func (m *RBM) setUnitMeta(md map[string]string) {
	md["visible_units"] = m.VisibleUnits.String()
	if m.VisibleUnits == Categorical {
		md["visible_states"] = strconv.Itoa(m.States)
	}
}

// readUnits reads the unit metadata and tensors of a version-2 file into m
// (whose Visible is set), and returns the names of the tensors it read, in
// the checksum's order. version 1 files have no unit entries: m stays
// Bernoulli. Errors are plain one-line messages for the caller to wrap.
func readUnits(m *RBM, f *safetensors.File, version int) ([]string, error) {
	md := f.Metadata
	V := m.Visible
	if version < 2 {
		for _, k := range []string{"visible_units", "visible_states"} {
			if _, ok := md[k]; ok {
				return nil, fmt.Errorf("metadata %s in a format_version 1 file", k)
			}
		}
		return nil, nil
	}
	u, err := ParseUnitType(md["visible_units"])
	if err != nil {
		return nil, fmt.Errorf("metadata visible_units is %.40q, want bernoulli, gaussian or categorical", md["visible_units"])
	}
	m.VisibleUnits = u
	if s, ok := md["visible_states"]; ok || u == Categorical {
		q, err := strconv.Atoi(s)
		if u != Categorical || err != nil || q < 2 || V%q != 0 {
			return nil, fmt.Errorf("metadata visible_states %.20q for %s units of %d visible: want q ≥ 2 dividing them, for categorical units only", s, u, V)
		}
		m.States = q
	}
	var names []string
	read := func(name string, shape ...int) ([]float32, error) {
		x, err := f.Float32(name, shape...)
		if err != nil {
			return nil, err
		}
		names = append(names, name)
		return x, nil
	}
	if u == Gaussian {
		if m.Sigma, err = read("visible_sigma", V); err != nil {
			return nil, err
		}
	} else if _, ok := f.Tensors["visible_sigma"]; ok {
		return nil, fmt.Errorf("tensor visible_sigma in a model of %s visible units", u)
	}
	_, hasMean := f.Tensors["input_mean"]
	_, hasScale := f.Tensors["input_scale"]
	_, hasWhite := f.Tensors["input_whitening"]
	if hasMean || hasScale || hasWhite {
		in := &Standardization{}
		if in.Mean, err = read("input_mean", V); err != nil {
			return nil, err
		}
		if in.Scale, err = read("input_scale", V); err != nil {
			return nil, err
		}
		if hasWhite {
			if in.Whitening, err = read("input_whitening", V, V); err != nil {
				return nil, err
			}
		}
		m.Input = in
	}
	return names, nil
}
