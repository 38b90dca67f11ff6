//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package data

import (
	"errors"
	"os"
)

// mmapFile reports that this platform has no mmap support here: Map fails
// with ErrNotMappable and callers read the file with Load.
func mmapFile(f *os.File, size int) ([]byte, error) {
	return nil, errors.ErrUnsupported
}

func munmap(b []byte) error { return nil }

func dropPages(b []byte) {}
