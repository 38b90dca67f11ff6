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
	opt := GridOptions{TileRows: R, TileCols: C, Columns: 3, Pad: 1, Scale: 2, Background: 77}
	img, err := Grid(vals, n, opt)
	if err != nil {
		t.Fatal(err)
	}
	// 3 columns, 2 rows: 3·3·2+4 = 22 wide, 2·2·2+3 = 11 high.
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
	cp := func(e int, tce, vce, tfe, vfe float64) CurvePoint {
		return CurvePoint{Epoch: e, TrainCE: tce, ValCE: vce, TrainFE: tfe, ValFE: vfe}
	}
	pts := []CurvePoint{cp(1, 110, 112, -60, -58), cp(2, 95, 99, -65, -62), cp(3, 88, 93, -67, -63)}
	for name, p := range map[string][]CurvePoint{
		"full.png":  pts,
		"noval.png": {cp(1, 110, nan, -60, nan), cp(2, 100, nan, -62, nan)},
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
	if err := PlotCurves(filepath.Join(dir, "nan.png"), "", []CurvePoint{cp(1, nan, nan, nan, nan)}); err == nil {
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

// TestGridLayoutAspect: without Columns the grid is about square in pixels,
// also for wide tiles: 9 tiles of 1×17 stack in one column, not in a 3×3
// grid 106×10 pixels large.
func TestGridLayoutAspect(t *testing.T) {
	for _, c := range []struct{ n, R, C, w, h int }{
		{9, 1, 17, 1*17*2 + 2, 9*1*2 + 10},
		{5, 2, 3, 2*3*2 + 3, 3*2*2 + 4},
		{10, 28, 28, 4*56 + 5, 3*56 + 4}, // square tiles: ⌈√n⌉ columns as before
	} {
		w, h := GridSize(c.n, GridOptions{TileRows: c.R, TileCols: c.C, Pad: 1, Scale: 2})
		if w != c.w || h != c.h {
			t.Errorf("%d tiles of %dx%d: %d×%d, want %d×%d", c.n, c.R, c.C, w, h, c.w, c.h)
		}
	}
}

// TestGridCaption: the caption lines are drawn in black on a white strip
// above the tiles, and widen an image narrower than the text.
func TestGridCaption(t *testing.T) {
	vals := make([]float32, 4*4)
	opt := GridOptions{TileRows: 2, TileCols: 2, Pad: 1, Scale: 1, Background: 128, Caption: []string{"a long enough caption line", "two"}}
	img, err := Grid(vals, 4, opt)
	if err != nil {
		t.Fatal(err)
	}
	w, h := GridSize(4, opt)
	if img.Bounds().Dx() != w || img.Bounds().Dy() != h || w < 26*7 || h != 2*2+3+2*15+8 {
		t.Fatalf("captioned grid %v, GridSize %d×%d", img.Bounds(), w, h)
	}
	black, white := 0, 0
	for y := 0; y < 2*15+8; y++ {
		for x := 0; x < w; x++ {
			switch img.GrayAt(x, y).Y {
			case 0:
				black++
			case 255:
				white++
			}
		}
	}
	if black < 50 || white < 10*black {
		t.Errorf("caption strip: %d black and %d white pixels", black, white)
	}
	if g := img.GrayAt(0, h-1).Y; g != 128 {
		t.Errorf("the grid's border is %d, want the background 128", g)
	}
}

// TestPlotCurvesMonitors: points with a pseudo-log-likelihood or an AIS
// log-likelihood get a third panel.
func TestPlotCurvesMonitors(t *testing.T) {
	nan := math.NaN()
	pts := []CurvePoint{
		{Epoch: 1, TrainCE: 110, ValCE: 112, TrainFE: -60, ValFE: -58, PLL: -140, LogLik: nan},
		{Epoch: 2, TrainCE: 95, ValCE: 99, TrainFE: -65, ValFE: -62, PLL: -120, LogLik: -130},
	}
	path := filepath.Join(t.TempDir(), "m.png")
	if err := PlotCurves(path, "t", pts); err != nil {
		t.Fatal(err)
	}
	img, err := ReadPNG(path)
	if err != nil || img.Bounds().Dx() != PlotWidth || img.Bounds().Dy() != 3*PanelHeight {
		t.Fatalf("%v %v, want %d×%d", err, img.Bounds(), PlotWidth, 3*PanelHeight)
	}
	// The third panel has the lines' colours.
	coloured := 0
	for y := 2 * PanelHeight; y < 3*PanelHeight; y++ {
		for x := 0; x < PlotWidth; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r != g || g != b {
				coloured++
			}
		}
	}
	if coloured < 200 {
		t.Errorf("the monitors panel has %d coloured pixels", coloured)
	}
}

// TestNiceTicks: labels are distinct, share one format, and cover the
// range, for ranges like those of the learning curves.
func TestNiceTicks(t *testing.T) {
	for _, r := range [][2]float64{{135.2, 136.1}, {-50, 135}, {-0.3, 0.2}, {88, 112}, {1e-4, 3e-4}, {-67.5, -58.2}, {2000, 90000}} {
		ticks := niceTicks{}.Ticks(r[0], r[1])
		seen := map[string]bool{}
		dec := -1
		labelled := 0
		for _, tk := range ticks {
			if tk.Label == "" {
				continue
			}
			labelled++
			if tk.Value < r[0]-1e-12 || tk.Value > r[1]+1e-12 {
				t.Errorf("%v: tick %v outside the range", r, tk.Value)
			}
			if seen[tk.Label] {
				t.Errorf("%v: label %q twice in %v", r, tk.Label, ticks)
			}
			seen[tk.Label] = true
			d := 0
			if i := strings.IndexByte(tk.Label, '.'); i >= 0 {
				d = len(tk.Label) - i - 1
			}
			if dec >= 0 && d != dec {
				t.Errorf("%v: labels mix %d and %d decimals: %v", r, dec, d, ticks)
			}
			dec = d
		}
		if labelled < 2 || labelled > 11 {
			t.Errorf("%v: %d labelled ticks: %v", r, labelled, ticks)
		}
	}
}
