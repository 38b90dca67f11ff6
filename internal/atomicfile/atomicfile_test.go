package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// listDir returns the names in dir, sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileSuccess(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.bin")
	for _, content := range []string{"first version\n", "second, longer version\n"} {
		err := WriteFile(path, 0o640, func(w io.Writer) error {
			_, err := io.WriteString(w, content)
			return err
		})
		if err != nil {
			t.Fatalf("WriteFile: %v", err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != content {
			t.Fatalf("content = %q, want %q", got, content)
		}
	}
	if runtime.GOOS != "windows" {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o640 {
			t.Errorf("mode = %v, want 0640", st.Mode().Perm())
		}
	}
	if names := listDir(t, dir); len(names) != 1 || names[0] != "out.bin" {
		t.Errorf("directory holds %q, want only out.bin", names)
	}
}

func TestWriteFileLarge(t *testing.T) {
	// More than the internal buffer, written in odd-sized pieces.
	path := filepath.Join(t.TempDir(), "big")
	var want strings.Builder
	err := WriteFile(path, 0o644, func(w io.Writer) error {
		for i := 0; i < 3000; i++ {
			s := strings.Repeat(string(rune('a'+i%26)), 1+i%997)
			want.WriteString(s)
			if _, err := io.WriteString(w, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Fatalf("content differs: %d bytes, want %d", len(got), want.Len())
	}
}

func TestWriteFileRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	err := WriteFile("rel.txt", 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, "x")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile("rel.txt"); err != nil || string(got) != "x" {
		t.Fatalf("ReadFile = %q, %v", got, err)
	}
}

func TestWriteFileFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keep.txt")
	if err := os.WriteFile(path, []byte("old content"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFile(path, 0o644, func(w io.Writer) error {
		// Write more than the buffer so that part of it reaches the temp file.
		if _, err := w.Write(make([]byte, 3*bufSize)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "old content" {
		t.Fatalf("old file changed to %d bytes", len(got))
	}
	if names := listDir(t, dir); len(names) != 1 || names[0] != "keep.txt" {
		t.Errorf("directory holds %q, want only keep.txt (temp file left behind?)", names)
	}
}

func TestWriteFileFailureNoOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new.txt")
	err := WriteFile(path, 0o644, func(w io.Writer) error { return errors.New("nope") })
	if err == nil {
		t.Fatal("expected error")
	}
	if names := listDir(t, dir); len(names) != 0 {
		t.Errorf("directory holds %q, want nothing", names)
	}
}

func TestWriteFileMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "f")
	called := false
	err := WriteFile(path, 0o644, func(w io.Writer) error { called = true; return nil })
	if err == nil {
		t.Fatal("expected error for missing directory")
	}
	if called {
		t.Error("write called although the temp file could not be created")
	}
}

func TestWriteFileOverDirectory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(path, 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, "data")
		return err
	})
	if err == nil {
		t.Fatal("expected error when replacing a directory")
	}
	if st, err := os.Stat(path); err != nil || !st.IsDir() {
		t.Fatalf("directory disturbed: %v %v", st, err)
	}
	if names := listDir(t, dir); len(names) != 1 || names[0] != "sub" {
		t.Errorf("directory holds %q, want only sub", names)
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	if err := CheckWritable(filepath.Join(dir, "new.bin")); err != nil {
		t.Errorf("new file in temp dir: %v", err)
	}
	existing := filepath.Join(dir, "existing.bin")
	if err := os.WriteFile(existing, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckWritable(existing); err != nil {
		t.Errorf("existing file: %v", err)
	}
	if err := CheckWritable(filepath.Join(dir, "missing", "f.bin")); err == nil {
		t.Error("missing directory: no error")
	}
	if err := CheckWritable(filepath.Join(existing, "f.bin")); err == nil {
		t.Error("parent is a regular file: no error")
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := CheckWritable(sub); err == nil {
		t.Error("path is a directory: no error")
	}
	if names := listDir(t, dir); len(names) != 2 {
		t.Errorf("CheckWritable left files behind: %q", names)
	}
}

func TestCheckWritableReadOnlyDir(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("permission bits are not enforced here")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
	if err := CheckWritable(filepath.Join(dir, "f")); err == nil {
		t.Error("read-only directory: no error")
	}
}
