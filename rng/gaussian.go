package rng

// GaussianShift sets dst[j] = mu[j] + sigma[j]·float32(s.Normal(row, unit0+j))
// in float32: Gaussian samples with means mu and standard deviations sigma,
// one Philox block per unit (see Normal), so each depends only on its
// (row, unit).
func (s Stream) GaussianShift(dst, mu, sigma []float32, row, unit0 int) {
	if len(dst) < len(mu) || len(sigma) < len(mu) {
		panic("rng: GaussianShift dst or sigma shorter than mu")
	}
	for j, m := range mu {
		dst[j] = m + sigma[j]*float32(s.Normal(row, unit0+j))
	}
}
