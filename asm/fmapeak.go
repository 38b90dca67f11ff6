package asm

// FMAPeakFlopsPerIter is the number of float32 flops in one iteration of
// FMALoop: 12 independent 8-lane fused multiply-adds, 2 flops a lane.
const FMAPeakFlopsPerIter = 12 * 8 * 2

// fmaPeakChunk bounds the iterations of one assembly call (about 0.15 ms).
const fmaPeakChunk = 1 << 16

// FMALoop runs n iterations of 12 independent 8-lane VFMADD231PS on
// registers, touching no memory, so that FMAPeakFlopsPerIter·n divided by
// its duration is this core's float32 FMA peak (boltz bench). Without the
// assembly (the generic level) it runs the same flops as a scalar Go loop,
// whose speed says nothing about the peak. It runs the Current level.
func FMALoop(n int) { cur.FMALoop(n) }

// FMALoop runs level im's FMA peak loop for n iterations of
// im.FMAFlopsPerIter() flops.
func (im *Impl) FMALoop(n int) {
	for n > 0 {
		k := min(n, fmaPeakChunk)
		im.fma(k)
		n -= k
	}
}

// FMAFlopsPerIter returns the float32 flops of one iteration of im.FMALoop.
func (im *Impl) FMAFlopsPerIter() int { return im.fmaFlops }

// fmaSink keeps the Go loop's results alive.
var fmaSink float32

// fmaPeakGeneric is the pure-Go twin of fmaPeakAVX2: n iterations of 96
// float32 multiply-adds.
func fmaPeakGeneric(n int) {
	var acc [FMAPeakFlopsPerIter / 2]float32
	a, b := float32(0.5), float32(0.25)
	for ; n > 0; n-- {
		for r := range acc {
			acc[r] += a * b
		}
	}
	fmaSink = acc[0]
}
