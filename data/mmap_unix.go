//go:build linux || darwin || freebsd || netbsd || openbsd

package data

import (
	"os"

	"golang.org/x/sys/unix"
)

// mmapFile maps the first size bytes of f read-only and shared.
func mmapFile(f *os.File, size int) ([]byte, error) {
	return unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
}

func munmap(b []byte) error { return unix.Munmap(b) }

// dropPages removes the mapping's pages from the process's resident set;
// the file's pages stay in the page cache and fault back in when read.
func dropPages(b []byte) { _ = unix.Madvise(b, unix.MADV_DONTNEED) }
