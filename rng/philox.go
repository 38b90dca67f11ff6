package rng

import (
	"math"
	"math/bits"
)

// Philox4x32-10 constants (Random123).
const (
	m0 = 0xD2511F53
	m1 = 0xCD9E8D57
	w0 = 0x9E3779B9
	w1 = 0xBB67AE85
)

// Block computes Philox4x32-10 of counter ctr under key key.
func Block(ctr [4]uint32, key [2]uint32) [4]uint32 {
	c0, c1, c2, c3 := ctr[0], ctr[1], ctr[2], ctr[3]
	k0, k1 := key[0], key[1]
	for r := 0; r < 10; r++ {
		hi0, lo0 := bits.Mul32(m0, c0)
		hi1, lo1 := bits.Mul32(m1, c2)
		c0, c1, c2, c3 = hi1^c1^k0, lo1, hi0^c3^k1, lo0
		k0 += w0
		k1 += w1
	}
	return [4]uint32{c0, c1, c2, c3}
}

// Key turns a 64-bit seed into a Philox key.
func Key(seed uint64) [2]uint32 { return [2]uint32{uint32(seed), uint32(seed >> 32)} }

// Stream names one 2-D array of random numbers: the numbers for (row, unit)
// under a fixed seed, step and phase. Unit j of row r uses lane j%4 of the
// block at counter (j/4, r, phase, step).
type Stream struct {
	Key   [2]uint32
	Step  uint32
	Phase uint32
}

// NewStream returns the stream for seed, step and phase.
func NewStream(seed uint64, step uint64, phase uint32) Stream {
	return Stream{Key: Key(seed), Step: uint32(step), Phase: phase}
}

// Uint32 returns the raw 32-bit number for (row, unit).
func (s Stream) Uint32(row, unit int) uint32 {
	b := Block([4]uint32{uint32(unit >> 2), uint32(row), s.Phase, s.Step}, s.Key)
	return b[unit&3]
}

// Uniform converts a raw number to a float32 in [0, 1) with 24 random bits:
// (r>>8)·2⁻²⁴, exact in float32.
func Uniform(r uint32) float32 { return float32(r>>8) * (1.0 / (1 << 24)) }

// Bernoulli fills dst[j] with 1 where Uniform(Uint32(row, unit0+j)) < p[j] and 0
// elsewhere. It draws one Philox block per four units.
func (s Stream) Bernoulli(dst, p []float32, row, unit0 int) {
	if len(dst) < len(p) {
		panic("rng: Bernoulli dst shorter than p")
	}
	for j := 0; j < len(p); {
		u := unit0 + j
		b := Block([4]uint32{uint32(u >> 2), uint32(row), s.Phase, s.Step}, s.Key)
		for lane := u & 3; lane < 4 && j < len(p); lane++ {
			// Uniform(b) < p[j] without a branch (a coin flip mispredicts
			// half the time): the uniform's bits are a non-negative int32,
			// so the sign of their difference with p's bits as an int32
			// orders them; a NaN p, ordered nowhere, gives 0 as < does.
			pj := p[j]
			d := int64(math.Float32bits(Uniform(b[lane]))) - int64(int32(math.Float32bits(pj)))
			x := float32(uint64(d) >> 63)
			if pj != pj {
				x = 0
			}
			dst[j] = x
			j++
		}
	}
}

// Uniforms fills dst with the uniforms for (row, unit0+j).
func (s Stream) Uniforms(dst []float32, row, unit0 int) {
	for j := 0; j < len(dst); {
		u := unit0 + j
		b := Block([4]uint32{uint32(u >> 2), uint32(row), s.Phase, s.Step}, s.Key)
		for lane := u & 3; lane < 4 && j < len(dst); lane++ {
			dst[j] = Uniform(b[lane])
			j++
		}
	}
}

// Normal returns a standard normal deviate for (row, unit) by the Box-Muller
// transform of the first two lanes of the block at counter (unit, row, phase,
// step). It is used for weight initialisation, not on the hot path.
func (s Stream) Normal(row, unit int) float64 {
	b := Block([4]uint32{uint32(unit), uint32(row), s.Phase, s.Step}, s.Key)
	u1 := (float64(b[0]>>8) + 0.5) / (1 << 24) // (0,1), never 0
	u2 := float64(b[1]>>8) / (1 << 24)
	return sqrtNeg2Log(u1) * cos2Pi(u2)
}
