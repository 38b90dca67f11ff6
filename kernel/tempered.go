package kernel

import "math"

// Tempered projections: the per-row inverse temperature of parallel
// tempering and AIS. Row r of the output is taken at inverse temperature
// Scale[r]:
//
//	out[r, u] = act(Scale[r]·(Σ x[r, ·]·op(W)[·, u] + bias[u]))
//
// the pre-activation (the Linear output, the bias added) multiplied by
// Scale[r] in float32, then the activation and, with a Sample, the
// Bernoulli states drawn from the probabilities written, exactly as for
// Kernel.Up and Kernel.Down. Scale holds one value per row of the view
// (out.Rows; sliced with the rows as the output is). A backend that does
// this in its projections' write-back implements TemperedProjector (and
// its packed copies PackedTempered); for the others the engine runs the
// Linear projection and then ApplyTempered, so the three methods of
// Kernel stay all a backend needs.

// TemperedProjector is implemented by backends that scale each output
// row's pre-activation in the projection's write-back: UpTempered and
// DownTempered are Kernel.Up and Kernel.Down with the per-row scale, within
// float32 rounding of the definition above (a scale of 1 gives Up and Down
// bit for bit), and the states drawn from the probabilities they write.
type TemperedProjector interface {
	UpTempered(out, x, w Mat, c, scale []float32, act Act, s *Sample)
	DownTempered(out, h, w Mat, b, scale []float32, act Act, s *Sample)
}

// PackedTempered is implemented by Packed copies whose products take the
// per-row scale: Packed.Up and Packed.Down with it.
type PackedTempered interface {
	UpTempered(out, x Mat, col0 int, c, scale []float32, act Act, s *Sample)
	DownTempered(out, h Mat, col0 int, b, scale []float32, act Act, s *Sample)
}

// ApplyTempered is the reference write-back of a tempered projection for
// backends without TemperedProjector: out holds the Linear projection;
// every row is multiplied by its scale in float32 and, for Sigmoid, turned
// into probabilities σ(x) = 1/(1+e^{−x}) (computed in float64, rounded to
// float32); with s != nil the Bernoulli states of those probabilities go
// to s.Dst as Sample defines them.
func ApplyTempered(out Mat, scale []float32, act Act, s *Sample) {
	for r := 0; r < out.Rows; r++ {
		o, b := out.Row(r), scale[r]
		for u, x := range o {
			x *= b
			if act == Sigmoid {
				x = float32(1 / (1 + math.Exp(-float64(x))))
			}
			o[u] = x
		}
		if s != nil {
			s.Stream.Bernoulli(s.Dst.Row(r), o, s.Row0+r, s.Col0)
		}
	}
}
