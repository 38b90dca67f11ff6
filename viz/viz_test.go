package viz

import (
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTileShape(t *testing.T) {
	for _, c := range []struct {
		spec      string
		v, r, c   int
		errSubstr string
	}{
		{"", 784, 28, 28, ""},
		{"", 64, 8, 8, ""},
		{"", 1, 1, 1, ""},
		{"", 100, 10, 10, ""},
		{"4x25", 100, 4, 25, ""},
		{"4×25", 100, 4, 25, ""},
		{" 4 X 25 ", 100, 4, 25, ""},
		{"", 60, 0, 0, "--shape"},
		{"5x5", 60, 0, 0, "60 visible"},
		{"ax5", 60, 0, 0, "positive"},
		{"0x60", 60, 0, 0, "positive"},
		{"6x10x1", 60, 0, 0, "ROWSxCOLS"},
	} {
		r, col, err := TileShape(c.spec, c.v)
		if c.errSubstr != "" {
			if err == nil || !strings.Contains(err.Error(), c.errSubstr) {
				t.Errorf("TileShape(%q, %d): error %v, want one mentioning %q", c.spec, c.v, err, c.errSubstr)
			}
			continue
		}
		if err != nil || r != c.r || col != c.c {
			t.Errorf("TileShape(%q, %d) = %d, %d, %v; want %d, %d", c.spec, c.v, r, col, err, c.r, c.c)
		}
	}
}

func TestGrid(t *testing.T) {
	// 5 tiles of 2×3: tile t has the value (t+1)/5 everywhere except pixel (1,2) = 0.
	const n, R, C = 5, 2, 3
	vals := make([]float32, n*R*C)
	for tl := 0; tl < n; tl++ {
		for i := 0; i < R*C; i++ {
			vals[tl*R*C+i] = float32(tl+1) / 5
		}
		vals[tl*R*C+R*C-1] = 0
	}
	opt := GridOptions{TileRows: R, TileCols: C, Pad: 1, Scale: 2, Background: 77}
	img, err := Grid(vals, n, opt)
	if err != nil {
		t.Fatal(err)
	}
	// ⌈√5⌉ = 3 columns, 2 rows: 3·3·2+4 = 22 wide, 2·2·2+3 = 11 high.
	if w, h := GridSize(n, opt); w != 22 || h != 11 || img.Bounds() != image.Rect(0, 0, 22, 11) {
		t.Fatalf("size %v, GridSize %d×%d, want 22×11", img.Bounds(), w, h)
	}
	at := func(x, y int) uint8 { return img.GrayAt(x, y).Y }
	if at(0, 0) != 77 || at(21, 10) != 77 || at(7, 1) != 77 {
		t.Error("separators are not the background")
	}
	// tile 4 (second row, middle): origin x = 1 + 1·7 = 8, y = 1 + 1·5 = 6
	if g := at(8, 6); g != 255 {
		t.Errorf("tile 4 pixel (0,0) = %d, want 255", g)
	}
	if g := at(8+5, 6+3); g != 0 {
		t.Errorf("tile 4 pixel (1,2) = %d, want 0", g)
	}
	if g := at(1, 1); g != 51 { // 0.2·255
		t.Errorf("tile 0 pixel (0,0) = %d, want 51", g)
	}
	// the unused cell of the last row is background
	if g := at(15, 7); g != 77 {
		t.Errorf("unused cell = %d", g)
	}
	// Rescale: every tile spans black to white.
	opt.Rescale = true
	img, _ = Grid(vals, n, opt)
	if g := img.GrayAt(1, 1).Y; g != 255 {
		t.Errorf("rescaled tile 0 max = %d", g)
	}
	if g := img.GrayAt(1+4, 1+2).Y; g != 0 {
		t.Errorf("rescaled tile 0 min = %d", g)
	}
	// constant tile and NaN do not break it
	flat := []float32{3, 3, 3, 3, float32(math.NaN()), 3}
	if _, err := Grid(flat, 1, GridOptions{TileRows: 2, TileCols: 3, Rescale: true}); err != nil {
		t.Error(err)
	}
	if _, err := Grid(vals[:10], n, opt); err == nil {
		t.Error("too few values: no error")
	}
	if _, err := Grid(vals, n, GridOptions{}); err == nil {
		t.Error("no tile shape: no error")
	}
}

func TestWritePNG(t *testing.T) {
	vals := make([]float32, 10*784)
	for i := range vals {
		vals[i] = float32(i%784) / 784
	}
	opt := GridOptions{TileRows: 28, TileCols: 28, Columns: 5, Pad: 1, Scale: 2, Background: 128}
	img, err := Grid(vals, 10, opt)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "g.png")
	if err := WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
	back, err := ReadPNG(path)
	if err != nil {
		t.Fatal(err)
	}
	w, h := GridSize(10, opt)
	if back.Bounds().Dx() != w || back.Bounds().Dy() != h || w != 5*56+6 || h != 2*56+3 {
		t.Errorf("decoded %v, want %d×%d", back.Bounds(), w, h)
	}
}

func TestPlotCurves(t *testing.T) {
	dir := t.TempDir()
	nan := math.NaN()
	pts := []CurvePoint{
		{1, 110, 112, -60, -58}, {2, 95, 99, -65, -62}, {3, 88, 93, -67, -63},
	}
	for name, p := range map[string][]CurvePoint{
		"full.png":  pts,
		"noval.png": {{1, 110, nan, -60, nan}, {2, 100, nan, -62, nan}},
		"one.png":   pts[:1],
	} {
		path := filepath.Join(dir, name)
		if err := PlotCurves(path, "test", p); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		img, err := ReadPNG(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if img.Bounds().Dx() != PlotWidth || img.Bounds().Dy() != 2*PanelHeight {
			t.Errorf("%s: %v, want %d×%d", name, img.Bounds(), PlotWidth, 2*PanelHeight)
		}
		// Something was drawn: not all one colour.
		if distinctColours(img) < 4 {
			t.Errorf("%s: the image is nearly blank", name)
		}
	}
	if err := PlotCurves(filepath.Join(dir, "none.png"), "", nil); err == nil {
		t.Error("no points: no error")
	}
	if err := PlotCurves(filepath.Join(dir, "nan.png"), "", []CurvePoint{{1, nan, nan, nan, nan}}); err == nil {
		t.Error("all NaN: no error")
	}
	if _, err := os.Stat(filepath.Join(dir, "nan.png")); err == nil {
		t.Error("a failed plot left a file")
	}
	s := []Series{{Name: "k=1", X: []float64{1, 2, 3}, Y: []float64{5, 4, 3}}, {Name: "k=5", X: []float64{1, 2, 3}, Y: []float64{6, 4, 2}, Dashed: true, Color: 1}}
	path := filepath.Join(dir, "series.png")
	if err := PlotSeries(path, "t", "epoch", "nats", s); err != nil {
		t.Fatal(err)
	}
	img, err := ReadPNG(path)
	if err != nil || img.Bounds().Dx() != PlotWidth || img.Bounds().Dy() != PanelHeight {
		t.Errorf("series plot: %v %v", err, img.Bounds())
	}
}

func distinctColours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}

// TestGridRescaleNegative: with Rescale each tile goes from its own minimum
// (black) to its maximum (white), also when the minimum is negative, and a
// tile of weights symmetric about 0 has 0 at mid-grey.
func TestGridRescaleNegative(t *testing.T) {
	const R, C = 2, 2
	vals := []float32{-0.3, 0, 0.3, -0.1, -2, -1, -1.5, -1.25}
	img, err := Grid(vals, 2, GridOptions{TileRows: R, TileCols: C, Columns: 2, Scale: 1, Pad: 0, Rescale: true})
	if err != nil {
		t.Fatal(err)
	}
	at := func(x, y int) uint8 { return img.GrayAt(x, y).Y }
	// tile 0: -0.3 black, 0 mid-grey (128), 0.3 white, -0.1 at 1/3.
	for _, c := range []struct {
		x, y int
		want uint8
	}{{0, 0, 0}, {1, 0, 128}, {0, 1, 255}, {1, 1, 85}, {2, 0, 0}, {3, 0, 255}, {2, 1, 128}, {3, 1, 191}} {
		if g := at(c.x, c.y); g != c.want {
			t.Errorf("pixel (%d,%d) = %d, want %d", c.x, c.y, g, c.want)
		}
	}
}
