//go:build amd64 && !purego

package asm

// sigmoidAccel is sigmoidAVX2 in calls of at most sigmoidChunk elements.
// The caller checks len(dst) >= len(src).
func sigmoidAccel(dst, src []float32) {
	raceRead(src)
	raceWrite(dst[:len(src)])
	for len(src) > sigmoidChunk {
		sigmoidAVX2(dst, src[:sigmoidChunk])
		dst, src = dst[sigmoidChunk:], src[sigmoidChunk:]
	}
	sigmoidAVX2(dst, src)
}

// biasSigmoidAccel is biasSigmoidAVX2 in calls of at most sigmoidChunk
// elements. The caller checks that dst and bias are at least as long as src.
func biasSigmoidAccel(dst, src, bias []float32) {
	raceRead(src)
	raceRead(bias[:len(src)])
	raceWrite(dst[:len(src)])
	for len(src) > sigmoidChunk {
		biasSigmoidAVX2(dst, src[:sigmoidChunk], bias)
		dst, src, bias = dst[sigmoidChunk:], src[sigmoidChunk:], bias[sigmoidChunk:]
	}
	biasSigmoidAVX2(dst, src, bias)
}

// sigmoidDirectAccel is sigmoidDirectAVX2, the line-by-line transcription of
// Sigmoid1, for the tests. The caller checks len(dst) >= len(src).
func sigmoidDirectAccel(dst, src []float32) {
	raceRead(src)
	raceWrite(dst[:len(src)])
	for len(src) > sigmoidChunk {
		sigmoidDirectAVX2(dst, src[:sigmoidChunk])
		dst, src = dst[sigmoidChunk:], src[sigmoidChunk:]
	}
	sigmoidDirectAVX2(dst, src)
}
