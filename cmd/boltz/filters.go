package main

import (
	"flag"
	"fmt"
	"image/png"
	"io"
	"path/filepath"

	"github.com/boltzgo/boltz/engine"
	"github.com/boltzgo/boltz/internal/atomicfile"
	"github.com/boltzgo/boltz/viz"
)

const filtersAbout = `Draws each hidden unit's weights W_i (its V incoming weights) as a grey
tile, rescaled per tile from its own minimum (black) to its maximum (white),
in a grid written as a PNG. The image shape of a tile is --shape, or 28x28
for 784 visible units, or n×n for n² units; other sizes need --shape.`

// gridFlags lay out the PNG grids of filters and sample.
type gridFlags struct {
	shape       string
	cols, scale int
	pad         int
	caption     bool
}

func (g *gridFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.shape, "shape", "", "image shape ROWSxCOLS of one tile (default: 28x28 for 784 visible units, n×n for n², else required)")
	fs.IntVar(&g.cols, "cols", 0, "tiles per grid row (0: ⌈√tiles⌉)")
	fs.IntVar(&g.scale, "scale", 0, "pixels per value in each direction, 1..16 (0: 2, more for tiles thinner than 4 values, so that a tile is at least 8 pixels across)")
	fs.BoolVar(&g.caption, "caption", true, "write a caption above the grid: the model, its size and the grey scale")
	fs.IntVar(&g.pad, "pad", 1, "pixels between tiles")
}

// options checks the flags against the model's visible units and the n
// tiles to draw (their number set by the flag more): a grid too large to
// draw is a usage error before any work.
func (g *gridFlags) options(visible, n int, more string) (viz.GridOptions, error) {
	switch {
	case g.cols < 0:
		return viz.GridOptions{}, usagef("--cols %d is negative", g.cols)
	case g.scale < 0 || g.scale > 16:
		return viz.GridOptions{}, usagef("--scale %d: want 1..16 (0: automatic)", g.scale)
	case g.pad < 0 || g.pad > 16:
		return viz.GridOptions{}, usagef("--pad %d: want 0..16", g.pad)
	}
	r, c, err := viz.TileShape(g.shape, visible)
	if err != nil {
		return viz.GridOptions{}, usageError{err}
	}
	scale := g.scale
	if scale == 0 {
		scale = min(16, max(2, (8+min(r, c)-1)/min(r, c)))
	}
	opt := viz.GridOptions{TileRows: r, TileCols: c, Columns: g.cols, Scale: scale, Pad: g.pad, Background: 128}
	if w, h := viz.GridSize(n, opt); int64(w)*int64(h) > viz.MaxGridPixels {
		return opt, usagef("%d tiles of %dx%d at --scale %d make a %d×%d image, over the %d megapixels drawn: lower %s or --scale", n, r, c, scale, w, h, viz.MaxGridPixels>>20, more)
	}
	return opt, nil
}

// writeOut writes a command's output file atomically, or to stdout when
// path is "-".
func writeOut(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == "-" {
		return write(stdout)
	}
	return atomicfile.WriteFile(path, 0o644, write)
}

// outName is how the messages name an output path.
func outName(path string) string {
	if path == "-" {
		return "standard output"
	}
	return path
}

// checkOut refuses an --out path that cannot be written, before any work.
func checkOut(flagName, path string) error {
	if path == "" {
		return usagef("--%s is required", flagName)
	}
	if path == "-" {
		return nil // standard output
	}
	if err := atomicfile.CheckWritable(path); err != nil {
		return usagef("--%s %s is not writable: %v", flagName, path, err)
	}
	return nil
}

func runFilters(args []string, stdout, stderr io.Writer) error {
	var (
		g         gridFlags
		modelPath string
		out       string
		maxUnits  int
	)
	fs := newFlags("filters", "--model M [--out filters.png] [flags]", filtersAbout, stderr)
	fs.StringVar(&modelPath, "model", "", "model file (required)")
	fs.StringVar(&out, "out", "filters.png", "PNG file to write (atomically; - for standard output)")
	fs.IntVar(&maxUnits, "max", 0, "draw only the first N hidden units (0: all)")
	g.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if modelPath == "" {
		return usagef("--model is required")
	}
	if maxUnits < 0 {
		return usagef("--max %d is negative", maxUnits)
	}
	if err := checkOut("out", out); err != nil {
		return err
	}
	m, _, err := engine.LoadFile(modelPath)
	if err != nil {
		return err
	}
	n := m.Hidden
	if maxUnits > 0 {
		n = min(n, maxUnits)
	}
	opt, err := g.options(m.Visible, n, "--max")
	if err != nil {
		return err
	}
	opt.Rescale = true
	if g.caption {
		lo, hi := m.W[0], m.W[0]
		for _, w := range m.W {
			lo, hi = min(lo, w), max(hi, w)
		}
		units := fmt.Sprintf("all %d hidden units", m.Hidden)
		if n < m.Hidden {
			units = fmt.Sprintf("hidden units 1-%d of %d", n, m.Hidden)
		}
		opt.Caption = []string{
			fmt.Sprintf("filters of %s: %dx%d RBM, %s", filepath.Base(modelPath), m.Visible, m.Hidden, units),
			fmt.Sprintf("each tile from its own min (black) to max (white); all weights %.3g..%.3g", lo, hi),
		}
	}
	img, err := viz.Grid(m.W, n, opt)
	if err != nil {
		return err
	}
	if err := writeOut(out, stdout, func(w io.Writer) error { return png.Encode(w, img) }); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %d filters of %dx%d to %s (%d×%d pixels)\n", n, opt.TileRows, opt.TileCols, outName(out), img.Bounds().Dx(), img.Bounds().Dy())
	return nil
}
