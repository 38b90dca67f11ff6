//go:build !amd64 || purego

package asm

// archImpls returns the assembly levels of this build: none (another
// GOARCH, or the purego tag), so generic runs.
func archImpls() []*Impl { return nil }
