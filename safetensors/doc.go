// Package safetensors reads and writes the safetensors tensor file format
// (https://github.com/huggingface/safetensors).
//
// A safetensors file is laid out as
//
//	8 bytes   N, the header length, a little-endian uint64
//	N bytes   a UTF-8 JSON object, the header
//	rest      the byte buffer holding all tensor data
//
// The header maps each tensor name to {"dtype", "shape", "data_offsets"},
// where data_offsets = [begin, end] locates the tensor's bytes relative to the
// start of the byte buffer. Tensor data is stored little-endian in C (row
// major) order. The optional key "__metadata__" holds a map of string to
// string.
//
// [Write] produces files the official Python and Rust libraries read: the
// header is padded with spaces to a multiple of 8 bytes, tensors are ordered
// by descending element size and then by name, and they are packed without
// gaps so that the data_offsets cover the buffer exactly.
//
// [Read] treats its input as hostile. It checks the header length against the
// source size and [Limits.MaxHeader] before allocating anything, rejects
// malformed or ambiguous headers (duplicate keys, unknown dtypes, negative or
// overflowing shapes and offsets, sizes that disagree with dtype × shape,
// overlapping tensors, gaps or unused bytes in the buffer), and allocates the
// tensor data only after the whole header has been validated. Every such
// failure is a single-line error wrapping [ErrFormat]; Read never panics on bad
// input.
package safetensors
