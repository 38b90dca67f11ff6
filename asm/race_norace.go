//go:build !race

package asm

// Without the race detector the announcements of race.go compile to nothing.

func raceRead(s []float32)                           {}
func raceWrite(s []float32)                          {}
func raceReadMatrix(w []float32, ld, rows, cols int) {}
