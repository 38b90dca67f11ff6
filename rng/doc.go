// Package rng is boltz's counter-based random number generator: Philox4x32-10
// (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC11).
//
// Every random number is a pure function of a key (the seed) and a counter
// (step, phase, row, unit). There is no state to split between workers, so a
// computation draws the same numbers whatever the worker count or the order in
// which rows are processed, and a run resumed from a checkpoint continues the
// same stream. The scalar code here is the bit-exact oracle for any vectorised
// version (the asm kernels test against it).
package rng
