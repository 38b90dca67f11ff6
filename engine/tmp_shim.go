package engine

import "github.com/boltzgo/boltz/asm"

// TEMPORARY until asm.Accelerated exists.
func accelAvailable() bool { return false }
func cpuFeatures() string  { return "unknown" }

var accelSigmoid = asm.SigmoidGeneric
