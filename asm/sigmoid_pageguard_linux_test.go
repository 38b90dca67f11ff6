package asm

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"
)

// pageEnd returns n float32 that end exactly where an inaccessible page
// begins: any read or write past them faults. Masked tails must not.
func pageEnd(t *testing.T, n int) []float32 {
	t.Helper()
	ps := syscall.Getpagesize()
	size := (4*n+ps-1)/ps*ps + ps
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skip("mmap:", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[size-ps:], syscall.PROT_NONE); err != nil {
		t.Skip("mprotect:", err)
	}
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&mem[size-ps-4*n])), n)
}

// TestKernelsPageEnd runs every level's sigmoid and matvec kernels on
// slices that end at an inaccessible page.
func TestKernelsPageEnd(t *testing.T) {
	eachImpl(t, testKernelsPageEnd)
}

func testKernelsPageEnd(t *testing.T, im *Impl) {
	r := rand.New(rand.NewPCG(14, 15))
	for n := 0; n <= 41; n++ {
		src, bias, dst := pageEnd(t, n), pageEnd(t, n), pageEnd(t, n)
		copy(src, sigmoidInput(r, n))
		copy(bias, sigmoidInput(r, n))
		im.sigmoid(dst, src)
		im.direct(dst, src)
		im.biasSigmoid(dst, src, bias)
	}
	for _, sh := range [][2]int{{1, 1}, {3, 5}, {9, 7}, {8, 8}, {17, 33}, {33, 17}} {
		for _, impl := range matImpls() {
			if impl.im != im || impl.name[:3] == "api" {
				continue
			}
			rows, cols, ld := sh[0], sh[1], sh[1]+1
			m := newMatCase(r, rows, cols, ld, impl.t, false)
			w := pageEnd(t, len(m.w))
			copy(w, m.w)
			in, bias := pageEnd(t, len(m.in)), pageEnd(t, len(m.bias))
			copy(in, m.in)
			copy(bias, m.bias)
			y := pageEnd(t, len(m.bias))
			impl.f(y, w, ld, in, bias)
		}
	}
}
