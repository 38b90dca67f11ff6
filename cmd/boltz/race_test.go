//go:build race

package main

// raceEnabled: the race detector slows training ten-fold, so the signal
// tests train a smaller model under it.
const raceEnabled = true
