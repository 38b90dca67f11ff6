package engine

import (
	"context"
	"fmt"

	"github.com/boltzgo/boltz/rng"
)

// Inference: the conditionals, sampling and Gibbs chains of a trained
// model, run on its engine. Every method shares one preamble (infer): the
// model's read lock, the row and value checks of the input, the length
// check of the output, the engine; so each sees the parameters between two
// training steps and is safe for concurrent use.

// infer runs f under the model's read lock after checking that x holds whole
// rows of the visible layer (of the hidden one when fromHidden) with values
// the layer takes (checkVisible; [0, 1] for the hidden layer), and that dst holds perRow values a row (no check when perRow is
// negative). f gets the row count and the engine.
func (m *RBM) infer(x []float32, fromHidden bool, dst []float32, perRow int, f func(rows int, e *Engine) error) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	width := m.Visible
	if fromHidden {
		width = m.Hidden
	}
	rows, err := m.rows(x, width)
	if err != nil {
		return err
	}
	if fromHidden {
		err = checkUnit(x, width)
	} else {
		err = m.checkVisible(x)
	}
	if err != nil {
		return err
	}
	switch {
	case perRow < 0:
	case perRow == 1 && len(dst) != rows:
		return fmt.Errorf("%w: dst has %d values for %d rows", ErrShape, len(dst), rows)
	case len(dst) != rows*perRow:
		return fmt.Errorf("%w: dst has %d values, want %d×%d", ErrShape, len(dst), rows, perRow)
	}
	e, err := m.Engine()
	if err != nil {
		return err
	}
	return f(rows, e)
}

// project runs one Up (down=false) or Down projection of in into out on the
// model's engine, with optional sampling. Sigmoid asks for the layer's
// means or probabilities: for units other than Bernoulli the projection
// applies them (kernel.Units) instead of the sigmoid. The up projection
// reads in as it is (see up for Gaussian inputs).
func (m *RBM) project(e *Engine, down bool, out, in Mat, act Act, s *Sample) {
	p := newProj(e.kernel, e.pool.Workers())
	p.down, p.out, p.in, p.w, p.act = down, out, in, m.weights(), act
	p.bias = m.C
	if down {
		p.bias = m.B
	}
	if act == Sigmoid {
		if down {
			p.units = m.visibleUnits()
		} else {
			p.units = m.hiddenUnits()
		}
	}
	if s != nil {
		p.sample, p.s = true, *s
	}
	p.goOn(e.pool)
}

// up projects the rows of v (rows×V) to dst (rows×H), reading v/σ² for
// Gaussian units; down the rows of h to dst (rows×V).
func (m *RBM) up(e *Engine, dst, v []float32, rows int, act Act, s *Sample) {
	m.project(e, false, mat(dst, rows, m.Hidden), mat(m.upInput(v, nil), rows, m.Visible), act, s)
}

func (m *RBM) down(e *Engine, dst, h []float32, rows int, act Act, s *Sample) {
	m.project(e, true, mat(dst, rows, m.Visible), mat(h, rows, m.Hidden), act, s)
}

// HiddenProbs sets dst (R×H) to p(h=1|v) for the R rows of v (R×V, values in
// [0, 1]).
func (m *RBM) HiddenProbs(dst, v []float32) error {
	return m.infer(v, false, dst, m.Hidden, func(rows int, e *Engine) error {
		m.up(e, dst, v, rows, Sigmoid, nil)
		return nil
	})
}

// VisibleProbs sets dst (R×V) to p(v=1|h) for the R rows of h (R×H, values
// in [0, 1]): the means of Gaussian units, the softmax probabilities of
// categorical ones.
func (m *RBM) VisibleProbs(dst, h []float32) error {
	return m.infer(h, true, dst, m.Visible, func(rows int, e *Engine) error {
		m.down(e, dst, h, rows, Sigmoid, nil)
		return nil
	})
}

// Transform returns the hidden probabilities p(h=1|v) of the rows of v, the
// features an RBM gives a downstream model.
func (m *RBM) Transform(v []float32) ([]float32, error) {
	return m.TransformContext(context.Background(), v)
}

// TransformContext is Transform that checks ctx between blocks of rows and
// returns ctx's error when it is cancelled. Like Transform it sees the
// parameters between two training steps.
func (m *RBM) TransformContext(ctx context.Context, v []float32) ([]float32, error) {
	var dst []float32
	err := m.infer(v, false, nil, -1, func(rows int, e *Engine) error {
		dst = make([]float32, rows*m.Hidden)
		for r0 := 0; r0 < rows; r0 += ctxBlock {
			if err := ctx.Err(); err != nil {
				return err
			}
			r1 := min(r0+ctxBlock, rows)
			m.up(e, dst[r0*m.Hidden:r1*m.Hidden], v[r0*m.Visible:r1*m.Visible], r1-r0, Sigmoid, nil)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return dst, nil
}

// ctxBlock is the number of rows the ...Context methods process between two
// checks of their context.
const ctxBlock = 4096

// SampleHidden draws h ~ p(h|v) for the rows of v into dst (R×H), with the
// random numbers of (seed, step) so that a call is reproducible.
func (m *RBM) SampleHidden(dst, v []float32, seed, step uint64) error {
	return m.infer(v, false, dst, m.Hidden, func(rows int, e *Engine) error {
		s := &Sample{Dst: mat(dst, rows, m.Hidden), Stream: rng.NewStream(seed, step, phaseUserHidden)}
		m.up(e, make([]float32, len(dst)), v, rows, Sigmoid, s)
		return nil
	})
}

// SampleVisible draws v ~ p(v|h) for the rows of h into dst (R×V): real
// values for Gaussian units, one-hot positions for categorical ones.
func (m *RBM) SampleVisible(dst, h []float32, seed, step uint64) error {
	return m.infer(h, true, dst, m.Visible, func(rows int, e *Engine) error {
		s := &Sample{Dst: mat(dst, rows, m.Visible), Stream: rng.NewStream(seed, step, phaseUserVisible)}
		m.down(e, make([]float32, len(dst)), h, rows, Sigmoid, s)
		return nil
	})
}

// Gibbs runs steps alternating Gibbs sweeps v → h → v from the rows of v
// (R×V), in place. Each sweep samples h ~ p(h|v) and then v ~ p(v|h); after
// the last sweep v holds the mean-field probabilities p(v|h) instead of a
// sample when meanField is set (what one shows as an image). The seed makes
// the chain reproducible.
func (m *RBM) Gibbs(v []float32, steps int, seed uint64, meanField bool) error {
	return m.infer(v, false, nil, -1, func(rows int, e *Engine) error {
		if steps < 0 {
			return fmt.Errorf("%w: %d Gibbs steps", ErrConfig, steps)
		}
		ph := make([]float32, rows*m.Hidden)
		h := make([]float32, rows*m.Hidden)
		pv := make([]float32, rows*m.Visible)
		V, H := mat(v, rows, m.Visible), mat(h, rows, m.Hidden)
		for t := 0; t < steps; t++ {
			m.up(e, ph, v, rows, Sigmoid, &Sample{Dst: H, Stream: rng.NewStream(seed, uint64(t), phaseUserHidden)})
			var s *Sample
			if !(meanField && t == steps-1) {
				s = &Sample{Dst: V, Stream: rng.NewStream(seed, uint64(t), phaseUserVisible)}
			}
			m.down(e, pv, h, rows, Sigmoid, s)
			if s == nil {
				copy(v, pv)
			}
		}
		return nil
	})
}

// evalChunk is the number of rows the scoring methods process at a time.
const evalChunk = 256

// eachChunk calls f on row blocks of at most evalChunk rows with scratch
// buffers for hidden and visible activations, and returns ctx's error when
// ctx is cancelled before a block.
func (m *RBM) eachChunk(ctx context.Context, rows int, f func(r0, r1 int, hbuf, vbuf []float32)) error {
	n := min(rows, evalChunk)
	hbuf := make([]float32, n*m.Hidden)
	vbuf := make([]float32, n*m.Visible)
	for r0 := 0; r0 < rows; r0 += evalChunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		f(r0, min(r0+evalChunk, rows), hbuf, vbuf)
	}
	return nil
}
