//go:build race

package asm

import (
	"runtime"
	"unsafe"
)

// The race detector cannot see the loads and stores of assembly: the amd64
// wrappers announce the memory each kernel call reads and writes.

func raceRead(s []float32) {
	if len(s) > 0 {
		runtime.RaceReadRange(unsafe.Pointer(&s[0]), 4*len(s))
	}
}

func raceWrite(s []float32) {
	if len(s) > 0 {
		runtime.RaceWriteRange(unsafe.Pointer(&s[0]), 4*len(s))
	}
}

// raceReadMatrix announces the reads of rows rows of cols elements at a
// stride of ld elements from w[0]; the padding between rows is not read.
func raceReadMatrix(w []float32, ld, rows, cols int) {
	if rows == 0 || cols == 0 {
		return
	}
	if ld == cols {
		raceRead(w[:rows*cols])
		return
	}
	for i := range rows {
		raceRead(w[i*ld : i*ld+cols])
	}
}
