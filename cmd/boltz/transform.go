package main

import (
	"context"
	"fmt"
	"io"

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/engine"
)

const transformAbout = `Writes the hidden probabilities p(h=1|v) = σ(Wv + c) of every row of --data
(the features an RBM gives a downstream model) as a 2-D NumPy file of float32
(rows × hidden units, C order), written atomically. The data flags are those
of train and eval (binarisation included: use the same as in training).
Gaussian models read real values and apply the standardisation stored with
them (p(h=1|v) = σ(c + W(v/σ²))); categorical models read integer states
(integer NPY or CSV, or aligned FASTA) as one-hot rows.

A stack file (boltz train --layers) gives the hidden probabilities of layer
--layer (default: the top), each layer reading the probabilities of the one
below.`

func runTransform(args []string, stdout, stderr io.Writer) error {
	var (
		df                       dataFlags
		sf                       sparseFlags
		ef                       engineFlags
		modelPath, dataSpec, out string
		seed                     uint64
		layer                    int
	)
	fs := newFlags("transform", "--model M --data FILE [--out features.npy] [flags]", transformAbout, stderr)
	fs.StringVar(&modelPath, "model", "", "model file (required)")
	fs.StringVar(&dataSpec, "data", "", "data (required): mnist, mnist-test, or an IDX, NPY, CSV, svmlight (.svm) or scipy CSR (.npz) file")
	fs.StringVar(&out, "out", "features.npy", "NPY file to write (atomically; - for standard output)")
	fs.Uint64Var(&seed, "seed", 1, "seed for --binarize stochastic")
	fs.IntVar(&layer, "layer", 0, "layer of a stack whose hidden probabilities to write (default: the top one)")
	df.register(fs)
	sf.register(fs)
	ef.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case modelPath == "":
		return usagef("--model is required")
	case dataSpec == "":
		return usagef("--data is required")
	}
	if err := checkOut("out", out); err != nil {
		return err
	}
	opt, err := df.options(seed)
	if err != nil {
		return err
	}
	st, eng, err := ef.loadStack(modelPath)
	if err != nil {
		return err
	}
	defer eng.Close()
	if layer, err = stackLayer(st, layer, modelPath); err != nil {
		return err
	}
	m := st.Layers[0]
	var x []float32
	var rows int
	var h []float32
	sparse, err := sf.kind(dataSpec)
	if err != nil {
		return err
	}
	if sparse != "" && m.VisibleUnits != engine.Bernoulli {
		return usagef("--data %s: sparse data are for bernoulli visible units", dataSpec)
	}
	if sparse != "" {
		src, err := sf.loadRows(dataSpec, sparse, opt, m.Visible, stderr)
		if err != nil {
			return err
		}
		rows = src.Rows()
		if h, err = transformRows(context.Background(), st, src, layer); err != nil {
			return err
		}
	} else if m.VisibleUnits == engine.Bernoulli {
		set, err := data.Load(dataSpec, opt)
		if err != nil {
			return err
		}
		noteData(stderr, set)
		if set.X.Cols != m.Visible {
			return fmt.Errorf("%s has %d columns but the model has %d visible units", set.Name, set.X.Cols, m.Visible)
		}
		x, rows = set.X.Data, set.X.Rows
	} else if x, rows, _, err = loadForModel(m, dataSpec, opt); err != nil {
		return err
	}
	if sparse == "" {
		if h, err = st.Transform(x, layer); err != nil {
			return err
		}
	}
	feat := data.Matrix{Rows: rows, Cols: st.Hidden(layer), Data: h}
	if err := writeOut(out, stdout, func(w io.Writer) error { return data.WriteNPY(w, feat) }); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %d×%d hidden probabilities of layer %d to %s\n", feat.Rows, feat.Cols, layer, outName(out))
	return nil
}
