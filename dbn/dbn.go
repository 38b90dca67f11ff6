// Package dbn stacks restricted Boltzmann machines into a deep belief
// network: greedy layer-wise training (each layer on the hidden
// probabilities, or samples, of the layer below, streamed one minibatch at
// a time through the lower layers), transforms through any number of
// layers, generation (Gibbs sampling in the top RBM, then one top-down pass
// of probabilities), and one safetensors file for all layers.
//
// It sits above package engine and uses only its public API: every layer
// is an engine.RBM, trained by an engine.Trainer. The bottom layer may have
// any visible unit type; the layers above it are Bernoulli.
//
// Data given to a stack are in the bottom layer's input space, as its
// Transform takes them: binary or grey levels for Bernoulli units, one-hot
// rows for categorical units, standardised values for Gaussian units (the
// caller applies the bottom model's stored Input, as for a single RBM).
package dbn

import (
	"context"
	"errors"
	"fmt"

	"github.com/boltzgo/boltz/engine"
	"github.com/boltzgo/boltz/rng"
)

// ErrStack is wrapped by errors about a stack's shape or its arguments.
var ErrStack = errors.New("dbn: bad stack")

// Stack is a deep belief network: Layers[0] is the bottom RBM (on the
// data), Layers[k] reads the hidden units of Layers[k−1].
type Stack struct {
	Layers []*engine.RBM
}

// New returns the stack of layers after checking it.
func New(layers ...*engine.RBM) (*Stack, error) {
	s := &Stack{Layers: layers}
	return s, s.Validate()
}

// Validate checks that every layer is valid, that each layer's visible
// width is the hidden width of the one below, and that the layers above
// the bottom are Bernoulli.
func (s *Stack) Validate() error {
	if len(s.Layers) == 0 {
		return fmt.Errorf("%w: no layers", ErrStack)
	}
	for k, m := range s.Layers {
		if m == nil {
			return fmt.Errorf("%w: layer %d is nil", ErrStack, k+1)
		}
		if err := m.Validate(); err != nil {
			return fmt.Errorf("layer %d: %w", k+1, err)
		}
		if k == 0 {
			continue
		}
		if m.VisibleUnits != engine.Bernoulli {
			return fmt.Errorf("%w: layer %d has %v visible units; only the bottom layer may be other than bernoulli", ErrStack, k+1, m.VisibleUnits)
		}
		if below := s.Layers[k-1]; m.Visible != below.Hidden {
			return fmt.Errorf("%w: layer %d has %d visible units but layer %d has %d hidden units", ErrStack, k+1, m.Visible, k, below.Hidden)
		}
	}
	return nil
}

// Visible is the width of the data, Hidden(k) the width of layer k's
// hidden units (1-based).
func (s *Stack) Visible() int { return s.Layers[0].Visible }

// Hidden returns the hidden width of layer k (1 ≤ k ≤ len(Layers)).
func (s *Stack) Hidden(k int) int { return s.Layers[k-1].Hidden }

// SetEngine makes every layer compute on e.
func (s *Stack) SetEngine(e *engine.Engine) {
	for _, m := range s.Layers {
		m.SetEngine(e)
	}
}

// chunkRows is how many rows Transform pushes through the layers at once,
// so that no whole intermediate data set is held.
const chunkRows = 2048

// Transform returns the hidden probabilities of layer k (1-based) for the
// rows of x (rows × Visible()): p(h¹|x), then p(h²|p(h¹|x)), and so on up
// to layer k, as rows × Hidden(k). k = 0 means the top layer.
func (s *Stack) Transform(x []float32, k int) ([]float32, error) {
	return s.TransformContext(context.Background(), x, k)
}

// TransformContext is Transform, stopping with ctx's error when ctx is
// cancelled (checked between chunks of rows).
func (s *Stack) TransformContext(ctx context.Context, x []float32, k int) ([]float32, error) {
	k, err := s.layer(k)
	if err != nil {
		return nil, err
	}
	V := s.Visible()
	if len(x)%V != 0 {
		return nil, fmt.Errorf("%w: %d values is not a whole number of rows of %d", engine.ErrShape, len(x), V)
	}
	rows := len(x) / V
	H := s.Hidden(k)
	out := make([]float32, rows*H)
	var bufs [2][]float32
	for r0 := 0; r0 < rows; r0 += chunkRows {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r1 := min(r0+chunkRows, rows)
		in := x[r0*V : r1*V]
		for l := 0; l < k; l++ {
			m := s.Layers[l]
			var dst []float32
			if l == k-1 {
				dst = out[r0*H : r1*H]
			} else {
				b := &bufs[l%2]
				if cap(*b) < (r1-r0)*m.Hidden {
					*b = make([]float32, chunkRows*m.Hidden)
				}
				dst = (*b)[:(r1-r0)*m.Hidden]
			}
			if err := m.HiddenProbs(dst, in); err != nil {
				return nil, fmt.Errorf("layer %d: %w", l+1, err)
			}
			in = dst
		}
	}
	return out, nil
}

// layer resolves k (0: the top) and checks it.
func (s *Stack) layer(k int) (int, error) {
	if k == 0 {
		k = len(s.Layers)
	}
	if k < 1 || k > len(s.Layers) {
		return 0, fmt.Errorf("%w: layer %d of a stack of %d", ErrStack, k, len(s.Layers))
	}
	return k, nil
}

// phaseGenerate is the rng phase ("gen") of the initial top states.
const phaseGenerate = 0x67656e

// RandomTop returns chains rows of uniformly random binary states of the
// top layer's visible units, drawn from seed: a start for Generate.
func (s *Stack) RandomTop(chains int, seed uint64) []float32 {
	V := s.Layers[len(s.Layers)-1].Visible
	v := make([]float32, chains*V)
	st := rng.NewStream(seed, 0, phaseGenerate)
	u := make([]float32, V)
	for r := 0; r < chains; r++ {
		st.Uniforms(u, r, 0)
		for j, x := range u {
			if x < 0.5 {
				v[r*V+j] = 1
			}
		}
	}
	return v
}

// Generate draws samples from the stack: steps Gibbs sweeps of the top RBM
// from its visible states top (rows × the top layer's Visible, in place),
// the last ending in the mean-field probabilities p(v|h), then one
// top-down pass of probabilities through the lower layers (p(v|h) of each
// layer given the probabilities above). It returns rows × Visible() values:
// probabilities for Bernoulli data, means for Gaussian, state
// probabilities for categorical.
func (s *Stack) Generate(top []float32, steps int, seed uint64) ([]float32, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	L := len(s.Layers)
	tm := s.Layers[L-1]
	if len(top)%tm.Visible != 0 || len(top) == 0 {
		return nil, fmt.Errorf("%w: %d values is not a whole number of rows of %d", engine.ErrShape, len(top), tm.Visible)
	}
	if steps < 1 {
		return nil, fmt.Errorf("%w: %d Gibbs steps, want at least 1", ErrStack, steps)
	}
	rows := len(top) / tm.Visible
	if err := tm.Gibbs(top, steps, seed, true); err != nil {
		return nil, fmt.Errorf("layer %d: %w", L, err)
	}
	x := top
	for l := L - 2; l >= 0; l-- {
		m := s.Layers[l]
		v := make([]float32, rows*m.Visible)
		if err := m.VisibleProbs(v, x); err != nil {
			return nil, fmt.Errorf("layer %d: %w", l+1, err)
		}
		x = v
	}
	return x, nil
}
