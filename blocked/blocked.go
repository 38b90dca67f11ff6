package blocked

// Runner runs fn on disjoint parts of [0, n) in parallel: fn(part, lo, hi),
// lo a multiple of grain, part < Workers(). The parts cover [0, n). Run
// returns when every fn has returned. engine.Pool satisfies it; a nil Runner
// runs everything on the calling goroutine.
type Runner interface {
	Run(n, grain int, fn func(part, lo, hi int))
	Workers() int
}

// workers returns r's worker count, 1 for nil.
func workers(r Runner) int {
	if r == nil {
		return 1
	}
	return max(1, r.Workers())
}
