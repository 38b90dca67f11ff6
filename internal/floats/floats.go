// Package floats holds the float32 comparisons boltz's tests share.
package floats

import "math"

// SameBits reports whether a and b have the same length and the same bits
// element by element (so NaN equals a NaN of the same payload, and 0 is not
// −0): the test of bitwise reproducibility.
func SameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
