//go:build !race

package blocked

const raceOn = false
