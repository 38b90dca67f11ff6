package asm

import (
	"math"
	"testing"
)

// ulps returns the distance in units in the last place between got and want,
// both finite float32 values of the same sign or zero.
func ulps(got, want float32) int64 {
	a, b := int64(math.Float32bits(got)), int64(math.Float32bits(want))
	if a > b {
		return a - b
	}
	return b - a
}

func sigmoidRef(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

func TestSigmoid1Accuracy(t *testing.T) {
	const n = 10_000_000
	var worst int64
	var worstX float32
	for i := 0; i <= n; i++ {
		x := float32(-90 + 180*float64(i)/n)
		if d := ulps(Sigmoid1(x), sigmoidRef(x)); d > worst {
			worst, worstX = d, x
		}
	}
	if worst > 4 {
		t.Errorf("max error %d ulp at x=%g, want <= 4", worst, worstX)
	}
	t.Logf("max error %d ulp at x=%g over %d points in [-90,90]", worst, worstX, n)
}

func TestSigmoid1Special(t *testing.T) {
	inf := float32(math.Inf(1))
	cases := []struct{ x, want float32 }{
		{0, 0.5}, {float32(math.Copysign(0, -1)), 0.5},
		{inf, 1}, {-inf, 0}, {88, 1}, {-104.5, 0}, {18, 1}, {100, 1}, {-1000, 0},
		{math.SmallestNonzeroFloat32, 0.5}, {-math.SmallestNonzeroFloat32, 0.5},
		{math.MaxFloat32, 1}, {-math.MaxFloat32, 0},
	}
	for _, c := range cases {
		if got := Sigmoid1(c.x); got != c.want {
			t.Errorf("Sigmoid1(%g) = %g, want %g", c.x, got, c.want)
		}
	}
	for _, x := range []float32{-88, -87.5, -100, -103.9} { // denormal results, correctly rounded
		if got, want := Sigmoid1(x), sigmoidRef(x); ulps(got, want) > 1 || got == 0 {
			t.Errorf("Sigmoid1(%g) = %g, want %g", x, got, want)
		}
	}
	if got := Sigmoid1(float32(math.NaN())); got == got {
		t.Errorf("Sigmoid1(NaN) = %g, want NaN", got)
	}
	// Where the exact value rounds to 1 or 0 in float32, the kernel says so.
	for x := float32(-90); x <= 90; x += 0.01 {
		ref := sigmoidRef(x)
		got := Sigmoid1(x)
		if (ref == 1) != (got == 1) && ulps(got, ref) > 1 {
			t.Fatalf("Sigmoid1(%g) = %g, exact rounds to %g", x, got, ref)
		}
		if ref == 0 && got != 0 {
			t.Fatalf("Sigmoid1(%g) = %g, exact rounds to 0", x, got)
		}
	}
}
