package viz

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/boltzgo/boltz/internal/atomicfile"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// TileShape returns the rows and columns of the image one data row of
// visible values forms. spec "RxC" (also "R×C" or "R,C") is used when
// given and must multiply to visible; otherwise 784 values are 28×28 (MNIST)
// and a perfect square n² is n×n; anything else is an error asking for a
// shape.
func TileShape(spec string, visible int) (rows, cols int, err error) {
	if visible <= 0 {
		return 0, 0, fmt.Errorf("viz: %d values per image", visible)
	}
	if spec = strings.TrimSpace(spec); spec != "" {
		f := strings.FieldsFunc(strings.ToLower(spec), func(r rune) bool { return r == 'x' || r == '×' || r == ',' })
		if len(f) != 2 {
			return 0, 0, fmt.Errorf("viz: shape %q: want ROWSxCOLS, e.g. 28x28", spec)
		}
		r, err1 := strconv.Atoi(strings.TrimSpace(f[0]))
		c, err2 := strconv.Atoi(strings.TrimSpace(f[1]))
		if err1 != nil || err2 != nil || r < 1 || c < 1 {
			return 0, 0, fmt.Errorf("viz: shape %q: want two positive integers ROWSxCOLS", spec)
		}
		if r*c != visible {
			return 0, 0, fmt.Errorf("viz: shape %dx%d has %d pixels but the model has %d visible units", r, c, r*c, visible)
		}
		return r, c, nil
	}
	if visible == 784 {
		return 28, 28, nil
	}
	n := int(math.Round(math.Sqrt(float64(visible))))
	if n*n == visible {
		return n, n, nil
	}
	return 0, 0, fmt.Errorf("viz: %d visible units is not a square number of pixels: give the image shape with --shape ROWSxCOLS", visible)
}

// GridOptions lay out a grid of tiles.
type GridOptions struct {
	// TileRows and TileCols are the shape of one image (see TileShape).
	TileRows, TileCols int
	// Columns is the number of tiles in a grid row (0: ⌈√(n·TileRows/TileCols)⌉,
	// which makes the grid about square: ⌈√n⌉ for square tiles).
	Columns int
	// Pad is the width in pixels of the separators between tiles and of
	// the border around the grid.
	Pad int
	// Scale magnifies each value into a Scale×Scale block of pixels (0: 1).
	Scale int
	// Rescale maps each tile's own minimum..maximum to black..white (for
	// weights); without it values are intensities, 0 black and 1 white,
	// clipped to [0, 1].
	Rescale bool
	// Background is the grey level of the separators and of the unused
	// cells of the last grid row.
	Background uint8
	// Caption lines are written in black on white above the grid (the
	// image widens to fit them); none: no caption.
	Caption []string
}

// Caption layout: a 7×13-pixel font, lines 15 pixels apart, 4 pixels of
// margin.
const (
	captionLine   = 15
	captionMargin = 4
)

func (o GridOptions) captionSize() (w, h int) {
	if len(o.Caption) == 0 {
		return 0, 0
	}
	for _, l := range o.Caption {
		w = max(w, font.MeasureString(basicfont.Face7x13, l).Ceil())
	}
	return w + 2*captionMargin, len(o.Caption)*captionLine + 2*captionMargin
}

func (o GridOptions) layout(n int) (cols, rows, scale int) {
	cols = o.Columns
	if cols <= 0 {
		aspect := 1.0
		if o.TileRows > 0 && o.TileCols > 0 {
			aspect = float64(o.TileRows) / float64(o.TileCols)
		}
		cols = int(math.Ceil(math.Sqrt(float64(n) * aspect)))
	}
	cols = max(1, min(cols, n))
	rows = (n + cols - 1) / cols
	scale = max(o.Scale, 1)
	return
}

// MaxGridPixels is the largest image Grid draws (256 megapixels).
const MaxGridPixels = 1 << 28

// GridSize returns the width and height in pixels of the grid of n tiles:
// width = cols·TileCols·Scale + (cols+1)·Pad, and likewise the height, plus
// the caption above it (which may widen it).
func GridSize(n int, opt GridOptions) (width, height int) {
	w, h, _ := opt.size(n)
	return w, h
}

// size is GridSize and the height of the caption strip.
func (o GridOptions) size(n int) (width, height, capH int) {
	cols, rows, scale := o.layout(n)
	pad := max(o.Pad, 0)
	capW, capH := o.captionSize()
	return max(cols*o.TileCols*scale+(cols+1)*pad, capW), rows*o.TileRows*scale + (rows+1)*pad + capH, capH
}

// Grid draws n tiles, tile t being values[t·R·C : (t+1)·R·C] in row-major
// order, left to right and top to bottom.
func Grid(values []float32, n int, opt GridOptions) (*image.Gray, error) {
	R, C := opt.TileRows, opt.TileCols
	if R < 1 || C < 1 {
		return nil, fmt.Errorf("viz: tile shape %dx%d", R, C)
	}
	if n < 1 || len(values) < n*R*C {
		return nil, fmt.Errorf("viz: %d tiles of %dx%d need %d values, have %d", n, R, C, n*R*C, len(values))
	}
	w, h, capH := opt.size(n)
	if int64(w)*int64(h) > MaxGridPixels {
		return nil, fmt.Errorf("viz: a %d×%d image is too large", w, h)
	}
	cols, _, scale := opt.layout(n)
	pad := max(opt.Pad, 0)
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = opt.Background
	}
	if capH > 0 {
		for i := range img.Pix[:capH*img.Stride] {
			img.Pix[i] = 255
		}
		d := font.Drawer{Dst: img, Src: image.Black, Face: basicfont.Face7x13}
		for i, l := range opt.Caption {
			d.Dot = fixed.P(captionMargin, captionMargin+i*captionLine+basicfont.Face7x13.Ascent)
			d.DrawString(l)
		}
	}
	for t := 0; t < n; t++ {
		tile := values[t*R*C : (t+1)*R*C]
		lo, span := float32(0), float32(1)
		if opt.Rescale {
			hi := tile[0]
			lo = tile[0]
			for _, x := range tile {
				lo, hi = min(lo, x), max(hi, x)
			}
			span = hi - lo
		}
		x0 := pad + (t%cols)*(C*scale+pad)
		y0 := capH + pad + (t/cols)*(R*scale+pad)
		for r := 0; r < R; r++ {
			for c := 0; c < C; c++ {
				x := tile[r*C+c]
				var g float32
				switch {
				case opt.Rescale && !(span > 0):
					g = 0.5
				default:
					g = (x - lo) / span
				}
				if !(g >= 0) { // NaN too
					g = 0
				}
				g = min(g, 1)
				v := uint8(g*255 + 0.5)
				for dy := 0; dy < scale; dy++ {
					row := img.Pix[(y0+r*scale+dy)*img.Stride:]
					for dx := 0; dx < scale; dx++ {
						row[x0+c*scale+dx] = v
					}
				}
			}
		}
	}
	return img, nil
}

// WritePNG writes img as a PNG file atomically (temporary file, fsync,
// rename).
func WritePNG(path string, img image.Image) error {
	return atomicfile.WriteFile(path, 0o644, func(w io.Writer) error { return png.Encode(w, img) })
}

// ReadPNG decodes the PNG file at path (for tests and checks).
func ReadPNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return png.Decode(f)
}
