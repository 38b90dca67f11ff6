// Package viz draws what boltz shows a person: grids of small grey images
// (a model's filters, Gibbs samples) and learning curves, written as PNG
// files atomically.
package viz
