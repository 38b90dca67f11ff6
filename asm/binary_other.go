//go:build !amd64 || purego

package asm

// binarySumAsm reports that no core runs here: only the Go twin.
func binarySumAsm(*Impl, []float32, []float32, int, int, int, []int32, int, float32) (int, bool) {
	return 0, false
}
