package safetensors

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/boltzgo/boltz/internal/atomicfile"
)

// Write encodes f in the safetensors format to w.
//
// The output is what the official implementation writes for the same
// content: "__metadata__" first (omitted when f.Metadata is empty) with its
// keys sorted, then the tensors ordered by descending element size and then
// by name, packed contiguously from offset 0; the header is padded with
// spaces to a multiple of 8 bytes.
//
// Write first validates f entirely and writes nothing if it is invalid: every
// tensor must pass [Tensor.Validate], no tensor may be named "__metadata__",
// names and metadata must be valid UTF-8, and the header must fit within
// [DefaultMaxHeader].
func Write(w io.Writer, f *File) error {
	if f == nil {
		return errors.New("safetensors: Write of a nil *File")
	}
	names := make([]string, 0, len(f.Tensors))
	for name, t := range f.Tensors {
		if name == metadataKey {
			return fmt.Errorf("safetensors: a tensor may not be named %q", metadataKey)
		}
		if !utf8.ValidString(name) {
			return fmt.Errorf("safetensors: tensor name %s is not valid UTF-8", quote(name))
		}
		if err := t.Validate(); err != nil {
			return fmt.Errorf("tensor %s: %w", quote(name), err)
		}
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := f.Tensors[names[i]], f.Tensors[names[j]]
		if sa, sb := dtypeBits[a.DType], dtypeBits[b.DType]; sa != sb {
			return sa > sb
		}
		return names[i] < names[j]
	})

	h := []byte{'{'}
	if len(f.Metadata) > 0 {
		keys := make([]string, 0, len(f.Metadata))
		for k, v := range f.Metadata {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return fmt.Errorf("safetensors: metadata entry %s is not valid UTF-8", quote(k))
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		h = appendString(h, metadataKey)
		h = append(h, ":{"...)
		for i, k := range keys {
			if i > 0 {
				h = append(h, ',')
			}
			h = appendString(h, k)
			h = append(h, ':')
			h = appendString(h, f.Metadata[k])
		}
		h = append(h, '}')
	}
	var off int64
	for _, name := range names {
		t := f.Tensors[name]
		if len(h) > 1 {
			h = append(h, ',')
		}
		h = appendString(h, name)
		h = append(h, `:{"dtype":`...)
		h = appendString(h, t.DType)
		h = append(h, `,"shape":[`...)
		for i, d := range t.Shape {
			if i > 0 {
				h = append(h, ',')
			}
			h = strconv.AppendInt(h, int64(d), 10)
		}
		h = append(h, `],"data_offsets":[`...)
		h = strconv.AppendInt(h, off, 10)
		h = append(h, ',')
		off += int64(len(t.Data))
		h = strconv.AppendInt(h, off, 10)
		h = append(h, "]}"...)
	}
	h = append(h, '}')
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	if len(h) > DefaultMaxHeader {
		return fmt.Errorf("safetensors: header would be %d bytes, over the %d-byte limit of readers", len(h), DefaultMaxHeader)
	}

	prefix := make([]byte, 8, 8+len(h))
	binary.LittleEndian.PutUint64(prefix, uint64(len(h)))
	if _, err := w.Write(append(prefix, h...)); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := w.Write(f.Tensors[name].Data); err != nil {
			return err
		}
	}
	return nil
}

// WriteFile writes f to path atomically (see [atomicfile.WriteFile]) with
// mode 0644: on failure the previous file at path, if any, is left intact.
// Errors are prefixed with the path.
func WriteFile(path string, f *File) error {
	err := atomicfile.WriteFile(path, 0o644, func(w io.Writer) error { return Write(w, f) })
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// appendString appends s, which must be valid UTF-8, as a JSON string,
// escaping as serde_json does: quote, backslash and control characters only.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
