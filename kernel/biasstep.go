package kernel

// BiasSteps is the bias-step algorithm of every backend: for the hidden
// units i0 ≤ i < i1 and the visible units bs.J0 ≤ j < bs.J1,
//
//	velC[i] = Momentum·velC[i] + Σ_k a_k·H[k, i];  C[i] += velC[i]
//	velB[j] = Momentum·velB[j] + Σ_k a_k·V[k, j];  B[j] += velB[j]
//
// with H = [PosH; NegH], V = [PosV; NegV] and a_k = PosScale for the rows of
// the positive phase, −NegScale for those of the negative one: the learning
// rate times the difference of the means when the scales are lr/rows. Each
// sum is a float32 sum over k in order, from zero, so the result depends on
// no split of the units; a FusedUpdater computes the same sums (where it
// fuses a product into the addition, the two differ by FMA rounding, as
// their products do). No weight decay applies to the biases.
func BiasSteps(u *Update, bs *BiasStep, i0, i1 int) {
	biasSteps(bs.C, bs.VelC, u.PosH, u.NegH, u, i0, i1)
	biasSteps(bs.B, bs.VelB, u.PosV, u.NegV, u, bs.J0, bs.J1)
}

// biasSteps does the step of the biases [c0, c1) from the columns of pos and
// neg, in blocks of columns so that the rows are read in order.
func biasSteps(bias, vel []float32, pos, neg Mat, u *Update, c0, c1 int) {
	const block = 64
	var acc [block]float32
	for j0 := c0; j0 < c1; j0 += block {
		n := min(block, c1-j0)
		s := acc[:n]
		clear(s)
		for r := 0; r < pos.Rows; r++ {
			for j, x := range pos.Data[r*pos.Stride+j0 : r*pos.Stride+j0+n] {
				s[j] += float32(u.PosScale * x)
			}
		}
		for r := 0; r < neg.Rows; r++ {
			for j, x := range neg.Data[r*neg.Stride+j0 : r*neg.Stride+j0+n] {
				s[j] += float32(-u.NegScale * x)
			}
		}
		for j, x := range s {
			v := u.Momentum*vel[j0+j] + x
			vel[j0+j] = v
			bias[j0+j] += v
		}
	}
}
