package asm

// Accelerated reports whether Sigmoid, BiasSigmoid, SigmoidMatVec,
// SigmoidMatTVec and FMALoop run the AVX2/FMA3 assembly. It is decided once,
// at init: true on amd64 when the package is built without the purego tag,
// the CPU has AVX2 and FMA3, the OS saves the YMM registers, and the
// environment variable BOLTZ_PUREGO is not "1"; false otherwise, in which
// case every exported function runs its pure-Go twin.
func Accelerated() bool { return accelerated }

// Features describes, for logs and benchmark reports, which kernels are in
// use and why, for example "AVX2+FMA3 assembly (AMD EPYC 7B13)" or
// "generic Go (purego build, GOARCH=amd64)".
func Features() string { return features }
