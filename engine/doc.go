// Package engine trains and runs restricted Boltzmann machines (RBMs) in
// float32 on the CPU, with Bernoulli, Gaussian or categorical visible units
// and Bernoulli hidden units: the model (RBM: inference, sampling, free energy,
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
//	dbn         stacks of RBMs (deep belief networks) on this package's
//	            public API; probe, the linear probe, is a leaf beside it
//	engine      this package: RBMs and their training, on an Engine
//	backends    the registry of built-in compute backends (asm, generic, gonum)
//	asmkernel, generickernel, gonumkernel
//	            the backends, each implementing the contract of package kernel
//	blocked     BLIS-style float32 GEMM (fused bias/sigmoid/sampling epilogues,
//	            a gonum BLAS wrapper), on the same micro-kernels
//	asm         the micro-kernels, one registered level per instruction set
//	            (avx2, generic: the pure-Go twins)
//
// kernel (the backend contract), pool (the worker pool, a blocked.Runner),
// data (IDX, NPY and CSV readers), safetensors (the file container) and rng
// (the counter-based Philox4x32-10 generator) are leaves that any layer may
// use; none of them knows of RBMs. The engine never names a backend type: it
// gets its default kernel from package backends by name, and finds a
// kernel's optional capabilities (kernel.Packer, kernel.FusedUpdater,
// kernel.Geometry) through interfaces.
//
// # Files of this package
//
//	model.go       the RBM, its parameters and checks
//	units.go       the unit types: every per-type decision (input checks and
//	               scaling, write-back, free-energy and log Z terms,
//	               reconstruction error), the seam for other hidden types
//	standardize.go the input standardisation stored with a model
//	infer.go       conditionals, sampling, Gibbs chains (one shared preamble)
//	score.go, pll.go, logz.go, ais.go, aisunits.go, aisschedule.go,
//	aisreverse.go
//	               evaluation: free energy, reconstruction error,
//	               pseudo-likelihood, exact log Z, AIS (Bernoulli; the
//	               other unit types; schedules and base rates; reverse AIS)
//	config.go, train.go, cdstep.go, cdunits.go, monitor.go
//	               training: configuration, the Fit loop, the CD step and its
//	               phases (Bernoulli; the other unit types), the per-epoch
//	               monitors
//	pt.go          parallel tempering: the sampler of training, its tempered
//	               projections, its checkpoint state, GibbsPT
//	schedule.go, centering.go
//	               learning-rate and momentum schedules; centered training
//	               (offsets, the centred update, the plain parameterisation)
//	rows.go        row sources (dense or streamed data) and fingerprints
//	modelfile.go, unitsfile.go, checkpoint.go, checkpointdir.go
//	               model and checkpoint files (the unit entries of format
//	               version 2), and the checkpoint directory policy
//	engine.go, kernel.go, dispatch.go
//	               the Engine (a kernel on a pool), the parallel projection
//	               phase, the aliases of the kernel contract, kernel choice
//
// An Engine pairs a Kernel with a persistent worker Pool. A Kernel is the
// compute backend: three primitives on row-major float32 matrices (Up,
// Down, Update; see their contracts), which know nothing of RBMs, training
// or the pool, plus optional capabilities. The built-in kernels are "asm"
// (GEMMs on the micro-kernels of package asm at the best level this CPU
// runs, "asm/<level>" to pin one: bias, sigmoid and sampling fused into the
// projections' write-back, momentum, decay, the bias steps and the step
// fused into the weight update's; a Trainer on it keeps W packed between
// steps), "generic" (pure Go loops, everywhere) and "gonum"; Kernels lists
// them and DefaultKernel picks the best. Another backend (a BLAS, a GPU)
// implements Kernel, is checked with the conformance suite in
// engine/kerneltest, and is plugged in with WithKernel.
//
// # Reproducibility
//
// Every random number is a function of (seed; step, phase, row, unit) and
// kernels must compute each output element the same way whatever part of the
// work they are given, so training is bitwise reproducible for a given seed
// and kernel whatever the worker count, and a run resumed from a checkpoint
// gives the uninterrupted model bit for bit. Different kernels and levels
// may differ by float32 rounding (FMA).
//
// # Concurrency
//
// Inference methods of an RBM may be called from many goroutines, also while
// a Trainer trains it; a Trainer itself is not safe for concurrent use. An
// Engine may be shared by many models.
package engine
