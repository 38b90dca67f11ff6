//go:build amd64 && !purego

package asm

import (
	"os"

	"github.com/klauspost/cpuid/v2"
)

// accelerated and features are decided once, at init. cpuid's AVX2 already
// requires AVX, which requires OSXSAVE and XCR0 to enable the XMM and YMM
// state; FMA3 is checked because every kernel uses VFMADD231PS.
var accelerated, features = detect()

func detect() (bool, string) {
	cpu := cpuid.CPU.BrandName
	switch {
	case !cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3):
		return false, "generic Go (no AVX2+FMA3 with OS support: " + cpu + ")"
	case os.Getenv("BOLTZ_PUREGO") == "1":
		return false, "generic Go (BOLTZ_PUREGO=1, " + cpu + ")"
	}
	return true, "AVX2+FMA3 assembly (" + cpu + ")"
}
