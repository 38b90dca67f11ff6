// Package kerneltest is the conformance suite for engine.Kernel
// implementations: a third-party kernel (a BLAS or GPU backend) runs
//
//	func TestConformance(t *testing.T) { kerneltest.Run(t, myKernel{}) }
//
// from its own tests (package gonumkernel, a Kernel on any gonum BLAS, is a
// complete example). Run checks the whole contract written on engine.Kernel:
// Up, Down and Update against a float64 reference over a grid of shapes with
// ragged edges, strided views whose padding holds NaN that must stay NaN,
// both activations, Bernoulli sampling that agrees bit for bit with the
// scalar Philox stream, results that do not depend on how the work is split
// into row and column views, concurrent calls on disjoint views, and NaN and
// Inf propagation.
package kerneltest
