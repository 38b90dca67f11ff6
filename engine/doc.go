// Package engine trains and runs binary restricted Boltzmann machines (RBMs)
// in float32 on the CPU: the model (RBM: inference, sampling, free energy,
// reconstruction error, log-likelihood by exact enumeration or AIS), CD-k
// and PCD-k training with momentum, weight decay and sparsity (Trainer: Fit
// over a data set, Step for one caller-supplied minibatch), checkpoints, and
// the model file format (safetensors, Save and Load).
//
// # Architecture
//
// boltz is layered; each layer knows only the ones below it:
//
//	cmd/boltz   the command-line tool: flags, files, progress, signals
//	engine      this package: RBMs and their training, on an Engine
//	blocked     BLIS-style float32 GEMM (fused bias/sigmoid/sampling epilogues,
//	            a gonum BLAS wrapper), on the same micro-kernels; an Engine's
//	            Pool is a blocked.Runner
//	asm         AVX2/FMA micro-kernels and their pure-Go fallbacks
//
// data (IDX, NPY and CSV readers), safetensors (the file container) and rng
// (the counter-based Philox4x32-10 generator) are leaves that any layer may
// use; none of them knows of RBMs.
//
// An Engine pairs a Kernel with a persistent worker Pool. A Kernel is the
// compute backend: three primitives on row-major float32 matrices (Up,
// Down, Update; see their contracts), which know nothing of RBMs, training
// or the pool. The built-in kernels are "generic" (pure Go, everywhere) and
// "avx2" (GEMMs on the micro-kernels of package asm, on x86-64 with AVX2
// and FMA: bias, sigmoid and sampling fused into the projections'
// write-back, momentum, decay and the step fused into the weight update's;
// a Trainer on it keeps W packed between steps); Kernels
// lists those this machine runs and DefaultKernel picks the best. Another
// backend (a BLAS, a GPU) implements Kernel, is checked with the conformance
// suite in engine/kerneltest, and is plugged in with WithKernel.
//
// # Reproducibility
//
// Every random number is a function of (seed; step, phase, row, unit) and
// kernels must compute each output element the same way whatever part of the
// work they are given, so training is bitwise reproducible for a given seed
// and kernel whatever the worker count, and a run resumed from a checkpoint
// gives the uninterrupted model bit for bit. Different kernels may differ by
// float32 rounding (FMA).
//
// # Concurrency
//
// Inference methods of an RBM may be called from many goroutines, also while
// a Trainer trains it; a Trainer itself is not safe for concurrent use. An
// Engine may be shared by many models.
package engine
