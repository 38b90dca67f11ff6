package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// bufSize is the size of the write buffer handed to the write callback.
const bufSize = 1 << 20

// WriteFile atomically replaces the file at path with the bytes produced by
// write.
//
// The content is written, through a buffered writer, to a temporary file
// created in the same directory as path (named "."+base+".tmp-*"). After
// write returns nil the buffer is flushed, the file is synced and closed, its
// mode is set to perm (exactly; the umask is not applied), it is renamed over
// path, and finally the directory is synced so that the rename itself is
// durable. Where the platform does not support syncing a directory that step
// is skipped.
//
// If write or any step before the rename fails, the temporary file is removed,
// the file at path (if any) is left untouched, and the error is returned. An
// error from the final directory sync is returned too, but at that point path
// already holds the new content.
//
// The writer passed to write must not be retained after write returns.
func WriteFile(path string, perm os.FileMode, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if base == "" {
		return fmt.Errorf("atomicfile: %q: empty file name", path)
	}
	dir = filepath.Clean(dir) // "" becomes "."
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	tmp := f.Name()
	closed, renamed := false, false
	defer func() {
		if err == nil || renamed {
			return
		}
		if !closed {
			_ = f.Close()
		}
		_ = os.Remove(tmp)
	}()

	bw := bufio.NewWriterSize(f, bufSize)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("atomicfile: writing %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	closed = true
	if err = f.Close(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err = os.Chmod(tmp, perm); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	renamed = true
	if err = syncDir(dir); err != nil {
		return fmt.Errorf("atomicfile: syncing directory of %s: %w", path, err)
	}
	return nil
}

// syncDir fsyncs the directory dir, ignoring the failures that only mean the
// platform or file system cannot sync directories.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, errors.ErrUnsupported) || errors.Is(err, syscall.EINVAL) {
		return nil
	}
	return err
}

// CheckWritable reports whether [WriteFile] can be expected to succeed for
// path, so that a caller can fail early, before any long computation whose
// result would be written there.
//
// It checks that the directory of path exists and is a directory, that a
// temporary file can be created in it (the file is removed again right away),
// and that path itself, if it exists, is not a directory. It does not check
// free space, so a later WriteFile may still fail.
func CheckWritable(path string) error {
	dir, base := filepath.Split(path)
	if base == "" {
		return fmt.Errorf("atomicfile: %q: empty file name", path)
	}
	dir = filepath.Clean(dir) // "" becomes "."
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("atomicfile: cannot write %s: %w", path, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("atomicfile: cannot write %s: %s is not a directory", path, dir)
	}
	st, err = os.Stat(path)
	switch {
	case err == nil && st.IsDir():
		return fmt.Errorf("atomicfile: cannot write %s: it is a directory", path)
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("atomicfile: cannot write %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+base+".check-*")
	if err != nil {
		return fmt.Errorf("atomicfile: cannot write %s: %w", path, err)
	}
	name := f.Name()
	cerr := f.Close()
	rerr := os.Remove(name)
	if cerr != nil {
		return fmt.Errorf("atomicfile: cannot write %s: %w", path, cerr)
	}
	if rerr != nil {
		return fmt.Errorf("atomicfile: cannot write %s: %w", path, rerr)
	}
	return nil
}
