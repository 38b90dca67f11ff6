// Package gonumkernel is a kernel.Kernel on a gonum BLAS: the three Kernel
// methods on top of a blas.Float32's Sgemm, with the bias, sigmoid and
// Bernoulli sampling done in plain Go. It is what a third party writes to
// plug a BLAS (or any other backend) into boltz, it passes the engine's
// conformance suite (engine/kerneltest), and it is the gonum peer in the
// benchmarks.
//
//	eng, err := engine.New(engine.WithKernel(gonumkernel.Kernel{}))
package gonumkernel
