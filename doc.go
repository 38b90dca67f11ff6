// Package boltz is the root of the boltz module: a Go library and command
// for training binary restricted Boltzmann machines fast on the CPU. The
// code lives in the packages below it:
//
//   - engine: the model, CD-k/PCD-k training, evaluation, the Kernel
//     interface, kernel dispatch, the worker pool, model and checkpoint files;
//   - engine/kerneltest: the conformance suite for Kernel implementations;
//   - blocked: the cache-blocked parallel GEMM and its gonum BLAS wrapper;
//   - asm: the generated AVX2/FMA kernels and their pure-Go twins;
//   - data, safetensors, rng, viz: data readers, the model file format, the
//     counter-based random numbers, pictures;
//   - cmd/boltz: the command line.
//
// This package holds no code; its tests are the repository-wide benchmarks
// (BenchmarkCDStep).
package boltz
