// Package atomicfile writes files atomically: the new content is written to a
// temporary file in the destination directory, flushed and synced to stable
// storage, and then renamed over the destination, so that readers (and a
// crash at any point) observe either the complete old file or the complete
// new one, never a partial write.
//
// It also offers [CheckWritable], which lets a long-running command verify
// that its output path can be written before it starts the expensive work.
package atomicfile
