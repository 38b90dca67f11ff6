//go:build race

package blocked

// raceOn: under the race detector sync.Pool drops items on purpose, so the
// allocation tests do not apply.
const raceOn = true
