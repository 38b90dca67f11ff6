//go:build race

package data

// raceEnabled: the race detector's shadow memory makes resident-set
// measurements meaningless.
const raceEnabled = true
