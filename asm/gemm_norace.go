//go:build !race

package asm

// gemmRace is false without the race detector: the announcements compile away.
const gemmRace = false
