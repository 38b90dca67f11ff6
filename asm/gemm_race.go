//go:build race

package asm

// gemmRace is true under the race detector: the GEMM wrappers then announce
// the memory the assembly reads and writes (see race.go).
const gemmRace = true
