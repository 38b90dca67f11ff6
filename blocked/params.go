package blocked

import (
	"github.com/boltzgo/boltz/asm"
	"github.com/klauspost/cpuid/v2"
)

// tileMR×tileNR is the register tile of the GEMM kernels that run (asm's
// Current level): the row and column blocks are multiples of it.
var tileMR, tileNR = asm.Current().Tile()

// Cache sizes in bytes, from cpuid, with defaults where it reports nothing.
var cacheL1, cacheL2, cacheL3 = cacheSizes()

func cacheSizes() (l1, l2, l3 int) {
	l1, l2, l3 = cpuid.CPU.Cache.L1D, cpuid.CPU.Cache.L2, cpuid.CPU.Cache.L3
	if l1 <= 0 {
		l1 = 32 << 10
	}
	if l2 <= 0 {
		l2 = 512 << 10
	}
	if l3 <= 0 {
		l3 = 4 << 20
	}
	return min(l1, 1<<20), min(l2, 64<<20), min(l3, 1<<30)
}

// kcMax is the largest k block: an MR×kc panel of A~ fills three quarters of
// L1 (1024 for 32 KiB), so that it stays there while B~ streams by. A
// variable so that the tests can make it small.
var kcMax = clamp(cacheL1*3/4/(tileMR*4)&^7, 256, 4096)

// kBlock returns the k block size for depth k: k itself up to kcMax, else
// k split into equal blocks. It depends on k only, never on the workers.
func kBlock(k int) int {
	if k <= kcMax {
		return max(k, 1)
	}
	nk := (k + kcMax - 1) / kcMax
	return (k + nk - 1) / nk
}

// ncBlock returns the columns of a B~ block of depth kc: a quarter of L2, a
// multiple of NR, at least NR. B~ is reused by every row panel from L2, next
// to A~ (a few hundred KiB at the CD shapes), the rows of C being written and
// the source rows of the next B~ block going through while it is packed. A
// variable so that the tests can make it small.
var ncBlock = func(kc int) int {
	nc := cacheL2 / 4 / (4 * max(kc, 1))
	return max(tileNR, nc&^(tileNR-1))
}

// mcBlock returns the rows of an A~ block of depth kc: a quarter of L3
// (rows a multiple of MR, at least MR). A variable so that the tests can make
// it small.
var mcBlock = func(kc int) int {
	mc := cacheL3 / 4 / (4 * max(kc, 1))
	return max(tileMR, mc/tileMR*tileMR)
}

func clamp(x, lo, hi int) int { return min(max(x, lo), hi) }
