package kernel

import (
	"math"
	"testing"

	"github.com/boltzgo/boltz/rng"
)

// ApplyTempered scales each row by its own factor before the activation,
// and draws the states of the probabilities it writes.
func TestApplyTempered(t *testing.T) {
	lin := Mat{Rows: 3, Cols: 4, Stride: 5, Data: []float32{
		1, -2, 3, 0.5, 99,
		1, -2, 3, 0.5, 99,
		-4, 0, 2, 1, 99}}
	out := Mat{Rows: 3, Cols: 4, Stride: 5, Data: append([]float32(nil), lin.Data...)}
	scale := []float32{2, 0, 0.25}
	ApplyTempered(out, scale, Linear, nil)
	for r := 0; r < 3; r++ {
		for u := 0; u < 4; u++ {
			if got, want := out.Row(r)[u], lin.Row(r)[u]*scale[r]; got != want {
				t.Fatalf("linear (%d,%d) = %v, want %v", r, u, got, want)
			}
		}
	}
	if out.Data[4] != 99 || out.Data[9] != 99 {
		t.Fatal("ApplyTempered wrote past a row")
	}
	copy(out.Data, lin.Data)
	dst := NewMat(3, 4)
	s := &Sample{Dst: dst, Stream: rng.NewStream(7, 1, 2), Row0: 10, Col0: 3}
	ApplyTempered(out, scale, Sigmoid, s)
	for r := 0; r < 3; r++ {
		want := make([]float32, 4)
		p := make([]float32, 4)
		for u := range p {
			p[u] = float32(1 / (1 + math.Exp(-float64(lin.Row(r)[u]*scale[r]))))
		}
		s.Stream.Bernoulli(want, p, 10+r, 3)
		for u := range p {
			if out.Row(r)[u] != p[u] || dst.Row(r)[u] != want[u] {
				t.Fatalf("sigmoid (%d,%d): p %v state %v, want %v %v", r, u, out.Row(r)[u], dst.Row(r)[u], p[u], want[u])
			}
		}
	}
	if out.Row(1)[0] != 0.5 {
		t.Fatalf("scale 0 gives %v, want σ(0) = 0.5", out.Row(1)[0])
	}
}
