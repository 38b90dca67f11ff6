package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/dbn"
	"github.com/boltzgo/boltz/engine"
)

// Sparse data (svmlight text, scipy's CSR .npz) for train, eval and
// transform: read as CSR and densified one minibatch at a time.

// sparseFlags say how a sparse --data file is read.
type sparseFlags struct {
	format   string
	features int
}

func (s *sparseFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.format, "format", "auto", "data format: auto (svmlight for .svm, .svmlight and .libsvm files, scipy CSR for .npz; else as before), svmlight, npz, or dense (IDX, NPY, CSV)")
	fs.IntVar(&s.features, "features", 0, "svmlight: the number of features, as scikit-learn's n_features (0: the largest index in the file)")
}

// kind returns "svmlight" or "npz" when spec is to be read as a sparse
// file, "" for dense data.
func (s *sparseFlags) kind(spec string) (string, error) {
	if s.features < 0 {
		return "", usagef("--features %d is negative", s.features)
	}
	switch s.format {
	case "auto", "":
		if spec == "mnist" || spec == "mnist-test" || !data.IsSparse(spec) {
			return "", nil
		}
		return data.SparseFormat(spec), nil
	case "svmlight", "npz":
		return s.format, nil
	case "dense":
		return "", nil
	}
	return "", usagef("--format %q: want auto, svmlight, npz or dense", s.format)
}

// load reads spec as a sparse file of the given kind.
func (s *sparseFlags) load(spec, kind string, opt data.Options) (*data.CSR, error) {
	if kind == "npz" && s.features > 0 {
		return nil, usagef("--features is for svmlight files; an npz file's width is its shape")
	}
	return data.LoadCSR(spec, kind, s.features, opt)
}

// csrRows is c as the engine's row source (its slices used in place).
func csrRows(c *data.CSR) (engine.SparseRows, error) {
	return engine.CSR(c.Rows, c.Cols, c.Indptr, c.Indices, c.Values)
}

// sparseNote says what a sparse file holds.
func sparseNote(c *data.CSR) string {
	density := 0.0
	if c.Rows > 0 && c.Cols > 0 {
		density = float64(c.NNZ()) / float64(c.Rows) / float64(c.Cols)
	}
	return fmt.Sprintf("%s: sparse, %d×%d with %d nonzeros (%.3g %% dense), densified one minibatch at a time", c.Name, c.Rows, c.Cols, c.NNZ(), 100*density)
}

// sparseDataset is a CSR matrix as training or validation data.
func sparseDataset(c *data.CSR) (*dataset, error) {
	src, err := csrRows(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Name, err)
	}
	return &dataset{name: c.Name, src: src, note: sparseNote(c)}, nil
}

// loadSparseDatasets is loadDatasets for a sparse training file: the
// validation data are --val (sparse or dense) or the last valFrac of the rows.
func (s *sparseFlags) loadSparseDatasets(spec, kind, valPath string, valFrac float64, opt data.Options) (train, val *dataset, err error) {
	c, err := s.load(spec, kind, opt)
	if err != nil {
		return nil, nil, err
	}
	if valPath == "" {
		t, v := c.Split(valFrac)
		if train, err = sparseDataset(t); err != nil || v == nil {
			return train, nil, err
		}
		val, err = sparseDataset(v)
		return train, val, err
	}
	if train, err = sparseDataset(c); err != nil {
		return nil, nil, err
	}
	vkind, err := s.kind(valPath)
	if err != nil {
		return nil, nil, err
	}
	if vkind == "" {
		vs, err := data.Load(valPath, opt)
		if err != nil {
			return nil, nil, err
		}
		return train, &dataset{name: vs.Name, src: engine.Dense(vs.X.Data, vs.X.Cols), note: vs.Note}, nil
	}
	vopt := s
	if s.features == 0 {
		// The validation rows take the training data's width.
		vopt = &sparseFlags{format: s.format, features: c.Cols}
		if vkind == "npz" {
			vopt.features = 0
		}
	}
	vc, err := vopt.load(valPath, vkind, opt)
	if err != nil {
		return nil, nil, err
	}
	val, err = sparseDataset(vc)
	return train, val, err
}

// evaluateRows is evaluate over rows read a block at a time.
func evaluateRows(m *engine.RBM, src engine.RowSource, seed uint64) (evalResult, error) {
	ctx := context.Background()
	rows := src.Rows()
	buf := make([]float32, rows)
	res := evalResult{N: rows}
	if err := m.ReconstructionErrorRows(ctx, src, buf); err != nil {
		return res, err
	}
	res.ReconCE = mean(buf)
	if err := m.FreeEnergyRows(ctx, src, buf); err != nil {
		return res, err
	}
	res.FreeEnergy = mean(buf)
	if err := m.PseudoLogLikelihoodRows(ctx, src, buf, seed); err != nil {
		return res, err
	}
	res.PLL = mean(buf)
	return res, nil
}

// transformRows is the features of layer k of st for the rows of src,
// pushed through a block of rows at a time.
func transformRows(ctx context.Context, st *dbn.Stack, src engine.RowSource, k int) ([]float32, error) {
	H := st.Hidden(k)
	out := make([]float32, src.Rows()*H)
	err := engine.Batches(ctx, src, max(256, (4<<20)/max(src.Cols(), 1)/256*256), func(r0, r1 int, x []float32) error {
		h, err := st.TransformContext(ctx, x, k)
		copy(out[r0*H:r1*H], h)
		return err
	})
	return out, err
}

// loadRows reads spec as a sparse file of the given kind for eval and
// transform, checked against the model's width, and says what it read.
func (s *sparseFlags) loadRows(spec, kind string, opt data.Options, visible int, stderr io.Writer) (engine.SparseRows, error) {
	c, err := s.load(spec, kind, opt)
	if err != nil {
		return nil, err
	}
	if c.Cols != visible {
		return nil, fmt.Errorf("%s has %d columns but the model has %d visible units", c.Name, c.Cols, visible)
	}
	fmt.Fprintf(stderr, "note: %s\n", sparseNote(c))
	src, err := csrRows(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Name, err)
	}
	return src, nil
}
