package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"
)

// formatErr returns a one-line error wrapping ErrFormat.
func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

// readFull reads exactly len(p) bytes at off, turning a short read into
// io.ErrUnexpectedEOF.
func readFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// Read parses the safetensors file held by r, whose total size in bytes is
// size, within the bounds of lim.
//
// The header length is checked against size and lim.MaxHeader before the
// header is read, the header is fully validated (see the package
// documentation) before any tensor data is allocated, and the data allocated
// is exactly the validated byte buffer. Format errors wrap [ErrFormat]; an
// error reading r is returned as is, with context.
//
// Memory used while parsing is bounded by a small multiple of the header
// size, itself at most lim.MaxHeader.
//
// The Data slices of the returned tensors share one backing array (each with
// its capacity limited to its own length). Tensors of a scalar shape have a
// nil Shape; Metadata is nil when the file has no "__metadata__".
func Read(r io.ReaderAt, size int64, lim Limits) (*File, error) {
	maxHeader := lim.MaxHeader
	if maxHeader <= 0 {
		maxHeader = DefaultMaxHeader
	}
	if size < 8 {
		return nil, formatErr("source is %d bytes, too short for the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if err := readFull(r, lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("safetensors: reading header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > uint64(size-8) {
		return nil, formatErr("header length %d exceeds the %d bytes that follow it", n, size-8)
	}
	if n > uint64(maxHeader) {
		return nil, formatErr("header length %d exceeds the limit of %d bytes", n, maxHeader)
	}
	bufLen := size - 8 - int64(n)
	if lim.MaxTotal > 0 && bufLen > lim.MaxTotal {
		return nil, formatErr("tensor data is %d bytes, over the limit of %d", bufLen, lim.MaxTotal)
	}
	if bufLen > math.MaxInt {
		return nil, formatErr("tensor data is %d bytes, too large for this platform", bufLen)
	}

	header := make([]byte, n)
	if err := readFull(r, header, 8); err != nil {
		return nil, fmt.Errorf("safetensors: reading header: %w", err)
	}
	meta, entries, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	if err := validate(entries, bufLen); err != nil {
		return nil, err
	}

	buf := make([]byte, bufLen)
	if err := readFull(r, buf, 8+int64(n)); err != nil {
		return nil, fmt.Errorf("safetensors: reading tensor data: %w", err)
	}
	f := &File{Metadata: meta, Tensors: make(map[string]Tensor, len(entries))}
	for _, e := range entries {
		f.Tensors[e.name] = Tensor{DType: e.dtype, Shape: e.shape, Data: buf[e.begin:e.end:e.end]}
	}
	return f, nil
}

// ReadFile reads the safetensors file at path within the bounds of lim, as
// [Read] does. Errors are prefixed with the path.
func ReadFile(path string, lim Limits) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	f, err := Read(fh, st.Size(), lim)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// entry is one tensor as declared in the header.
type entry struct {
	name       string
	dtype      string
	shape      []int
	begin, end int64
}

// parseHeader decodes and structurally checks the JSON header, returning the
// metadata and the tensor entries in header order.
func parseHeader(h []byte) (map[string]string, []entry, error) {
	if !utf8.Valid(h) {
		return nil, nil, formatErr("header is not valid UTF-8")
	}
	if len(h) == 0 || h[0] != '{' {
		return nil, nil, formatErr("header does not start with '{'")
	}
	p := &parser{dec: json.NewDecoder(bytes.NewReader(h))}
	p.dec.UseNumber()
	meta, entries, err := p.header()
	if err != nil {
		var fe *formatError
		if errors.As(err, &fe) {
			return nil, nil, formatErr("%s", fe.msg)
		}
		return nil, nil, formatErr("header JSON: %v", err)
	}
	return meta, entries, nil
}

// formatError is a structural header problem found by the parser, as opposed
// to a JSON syntax error reported by the decoder.
type formatError struct{ msg string }

func (e *formatError) Error() string { return e.msg }

func structErr(format string, args ...any) error {
	return &formatError{fmt.Sprintf(format, args...)}
}

// parser walks the header with a json.Decoder token stream, which lets it
// reject duplicate keys and bound every allocation by the header size.
type parser struct {
	dec     *json.Decoder
	scratch []int // reused while parsing shapes, so each shape is allocated once at its exact size
}

func (p *parser) header() (map[string]string, []entry, error) {
	if err := p.delim('{', "header"); err != nil {
		return nil, nil, err
	}
	var meta map[string]string
	var entries []entry
	seen := make(map[string]bool)
	for p.dec.More() {
		key, err := p.key()
		if err != nil {
			return nil, nil, err
		}
		if seen[key] {
			return nil, nil, structErr("duplicate key %s", quote(key))
		}
		seen[key] = true
		if key == metadataKey {
			if meta, err = p.metadata(); err != nil {
				return nil, nil, err
			}
			continue
		}
		e, err := p.tensor(key)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if err := p.delim('}', "header"); err != nil {
		return nil, nil, err
	}
	if tok, err := p.dec.Token(); err != io.EOF {
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, structErr("unexpected %s after the header object", tokenKind(tok))
	}
	return meta, entries, nil
}

// delim consumes the next token, which must be the delimiter d.
func (p *parser) delim(d json.Delim, what string) error {
	tok, err := p.dec.Token()
	if err != nil {
		return err
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		want := "an object"
		switch d {
		case '[':
			want = "an array"
		case '}', ']':
			want = "the end of " + what
		}
		return structErr("%s is %s, want %s", what, tokenKind(tok), want)
	}
	return nil
}

// key consumes an object key.
func (p *parser) key() (string, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok { // cannot happen: the decoder only yields strings in key position
		return "", structErr("object key is %s", tokenKind(tok))
	}
	return s, nil
}

// metadata consumes the "__metadata__" value: null or an object of strings.
func (p *parser) metadata() (map[string]string, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, structErr("%s is %s, want an object of strings", metadataKey, tokenKind(tok))
	}
	meta := make(map[string]string)
	for p.dec.More() {
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		if _, dup := meta[key]; dup {
			return nil, structErr("%s: duplicate key %s", metadataKey, quote(key))
		}
		tok, err := p.dec.Token()
		if err != nil {
			return nil, err
		}
		val, ok := tok.(string)
		if !ok {
			return nil, structErr("%s: value of %s is %s, want a string", metadataKey, quote(key), tokenKind(tok))
		}
		meta[key] = val
	}
	return meta, p.delim('}', metadataKey)
}

// tensor consumes one tensor description. Fields other than dtype, shape and
// data_offsets are skipped, as the official implementation ignores them.
func (p *parser) tensor(name string) (entry, error) {
	e := entry{name: name}
	what := "tensor " + quote(name)
	if err := p.delim('{', what); err != nil {
		return e, err
	}
	var haveDType, haveShape, haveOffsets bool
	for p.dec.More() {
		field, err := p.key()
		if err != nil {
			return e, err
		}
		dup := false
		switch field {
		case "dtype":
			dup, haveDType = haveDType, true
			tok, err := p.dec.Token()
			if err != nil {
				return e, err
			}
			s, ok := tok.(string)
			if !ok {
				return e, structErr("%s: dtype is %s, want a string", what, tokenKind(tok))
			}
			e.dtype = s
		case "shape":
			dup, haveShape = haveShape, true
			if e.shape, err = p.shape(what); err != nil {
				return e, err
			}
		case "data_offsets":
			dup, haveOffsets = haveOffsets, true
			if e.begin, e.end, err = p.offsets(what); err != nil {
				return e, err
			}
		default:
			if err := p.skip(); err != nil {
				return e, err
			}
		}
		if dup {
			return e, structErr("%s: duplicate field %q", what, field)
		}
	}
	if err := p.delim('}', what); err != nil {
		return e, err
	}
	switch {
	case !haveDType:
		return e, structErr("%s: missing dtype", what)
	case !haveShape:
		return e, structErr("%s: missing shape", what)
	case !haveOffsets:
		return e, structErr("%s: missing data_offsets", what)
	}
	return e, nil
}

// nonNegInt consumes a JSON number that must be an integer in [0, max].
func (p *parser) nonNegInt(what string, max int64) (int64, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return 0, err
	}
	num, ok := tok.(json.Number)
	if !ok {
		return 0, structErr("%s: element is %s, want an integer", what, tokenKind(tok))
	}
	v, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil || v < 0 || v > max {
		return 0, structErr("%s: %s is not an integer in [0, %d]", what, quote(string(num)), max)
	}
	return v, nil
}

// shape consumes an array of non-negative dimensions. A scalar's empty shape
// is returned as nil.
func (p *parser) shape(what string) ([]int, error) {
	what += " shape"
	if err := p.delim('[', what); err != nil {
		return nil, err
	}
	p.scratch = p.scratch[:0]
	for p.dec.More() {
		d, err := p.nonNegInt(what, math.MaxInt)
		if err != nil {
			return nil, err
		}
		p.scratch = append(p.scratch, int(d))
	}
	if len(p.scratch) == 0 {
		return nil, p.delim(']', what)
	}
	return slices.Clone(p.scratch), p.delim(']', what)
}

// offsets consumes a data_offsets array of exactly two non-negative integers.
func (p *parser) offsets(what string) (begin, end int64, err error) {
	what += " data_offsets"
	if err := p.delim('[', what); err != nil {
		return 0, 0, err
	}
	var v [2]int64
	n := 0
	for p.dec.More() {
		if n == 2 {
			return 0, 0, structErr("%s: more than two values", what)
		}
		if v[n], err = p.nonNegInt(what, math.MaxInt64); err != nil {
			return 0, 0, err
		}
		n++
	}
	if err := p.delim(']', what); err != nil {
		return 0, 0, err
	}
	if n != 2 {
		return 0, 0, structErr("%s: %d values, want 2", what, n)
	}
	return v[0], v[1], nil
}

// skip consumes one JSON value of any kind.
func (p *parser) skip() error {
	depth := 0
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// tokenKind describes a JSON token for an error message.
func tokenKind(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case json.Delim:
		switch v {
		case '{':
			return "an object"
		case '[':
			return "an array"
		default:
			return fmt.Sprintf("%q", string(v))
		}
	}
	return fmt.Sprintf("%T", tok)
}

// validate checks every entry against its dtype and shape and the buffer of
// bufLen bytes, then checks that the tensors tile the buffer exactly: sorted
// by offsets, each begins where the previous one ends, the first at 0 and the
// last ending at bufLen.
func validate(entries []entry, bufLen int64) error {
	for _, e := range entries {
		what := "tensor " + quote(e.name)
		want, err := byteSize(e.dtype, e.shape)
		if err != nil {
			return formatErr("%s: %v", what, err)
		}
		if e.begin > e.end {
			return formatErr("%s: data_offsets [%d, %d] end before they begin", what, e.begin, e.end)
		}
		if got := e.end - e.begin; got != want {
			return formatErr("%s: data_offsets [%d, %d] span %d bytes, but %s × shape %s needs %d",
				what, e.begin, e.end, got, e.dtype, shortShape(e.shape), want)
		}
		if e.end > bufLen {
			return formatErr("%s: data_offsets [%d, %d] run past the %d-byte buffer", what, e.begin, e.end, bufLen)
		}
	}
	order := make([]int, len(entries))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := &entries[order[i]], &entries[order[j]]
		if a.begin != b.begin {
			return a.begin < b.begin
		}
		return a.end < b.end
	})
	var pos int64
	for k, i := range order {
		e := &entries[i]
		switch {
		case k > 0 && e.begin < pos:
			return formatErr("tensors %s and %s overlap", quote(entries[order[k-1]].name), quote(e.name))
		case k == 0 && e.begin > 0:
			return formatErr("gap of %d bytes before tensor %s", e.begin, quote(e.name))
		case e.begin > pos:
			return formatErr("gap of %d bytes between tensors %s and %s",
				e.begin-pos, quote(entries[order[k-1]].name), quote(e.name))
		}
		pos = e.end
	}
	if pos != bufLen {
		return formatErr("tensors cover %d bytes, but the buffer holds %d", pos, bufLen)
	}
	return nil
}
