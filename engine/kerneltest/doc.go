// Package kerneltest is the conformance suite for kernel.Kernel
// implementations (the engine's compute backends): a third-party kernel (a
// BLAS or GPU backend) runs
//
//	func TestConformance(t *testing.T) { kerneltest.Run(t, myKernel{}) }
//
// from its own tests (package gonumkernel, a Kernel on any gonum BLAS, is a
// complete example). Run checks the whole contract of package kernel. For
// the three methods: Up, Down and Update against a float64 reference over a
// grid of shapes with ragged edges, strided views whose padding holds NaN
// that must stay NaN, both activations, Bernoulli sampling that agrees bit
// for bit with the scalar Philox stream, results that do not depend on how
// the work is split into row and column views (at the kernel's grain),
// concurrent calls on disjoint views, and NaN and Inf propagation. For the
// optional capabilities the kernel has: a sane Geometry; Packed products
// bitwise equal to the plain ones at every grain-aligned offset, also after
// partial and concurrent refreshes; UpdateFused bitwise equal to Update for
// W and the velocity, its bias steps within float32 rounding of
// kernel.BiasSteps, and the packed copy it keeps bitwise equal to a fresh
// one; UnitsProjector (and PackedUnits) products bitwise equal to the
// Linear ones followed by kernel.ApplyUnits, on row and column parts;
// TemperedProjector products within float32 rounding of the float64
// reference act(scale·(x·W + bias)), their states bit for bit those of the
// probabilities written, a scale of 1 bitwise equal to Up and Down, row and
// column splits changing no bit, special values and scales, and
// PackedTempered products bitwise equal to the plain tempered ones; a
// Describer's level; a Bencher's cases.
package kerneltest
