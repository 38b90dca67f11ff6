package viz

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/boltzgo/boltz/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// CurvePoint holds one epoch's monitoring values; NaN marks a missing value
// (no validation data, a monitor not run that epoch). The zero value of PLL
// and LogLik counts as missing too, so that a literal without them draws
// two panels.
type CurvePoint struct {
	Epoch   int
	TrainCE float64 // reconstruction cross-entropy of the training subset, nats per row
	ValCE   float64 // the same on the validation data
	TrainFE float64 // mean free energy of the training subset
	ValFE   float64 // mean free energy of the validation data
	PLL     float64 // mean pseudo-log-likelihood of the monitored rows (boltz train --pll)
	LogLik  float64 // mean AIS log-likelihood of the monitored rows (boltz train --logz-every)
}

// Series is one named line of a plot.
type Series struct {
	Name   string
	X, Y   []float64 // points with a NaN coordinate are left out
	Dashed bool
	// Color picks palette colour Color−1 (0: the series' position), so
	// that related series (train and validation of one run) can share one.
	Color int
}

// Plot sizes in pixels (at 100 dots per inch).
const (
	plotDPI        = 100
	PlotWidth      = 800
	PanelHeight    = 420
	curvesPanelGap = 10
)

// PlotCurves writes a PNG (PlotWidth × 2·PanelHeight pixels) with two panels
// over the epochs: the reconstruction cross-entropy of the training subset
// and of the validation data, and their mean free energies, each with axes,
// grid and legend. Validation lines are left out when all their values are
// NaN. When some point has a PLL or LogLik a third panel shows them
// (PlotWidth × 3·PanelHeight). title may be empty.
func PlotCurves(path, title string, pts []CurvePoint) error {
	if len(pts) == 0 {
		return fmt.Errorf("viz: no epochs to plot")
	}
	get := func(f func(CurvePoint) float64) Series {
		s := Series{X: make([]float64, len(pts)), Y: make([]float64, len(pts))}
		for i, p := range pts {
			s.X[i], s.Y[i] = float64(p.Epoch), f(p)
		}
		return s
	}
	named := func(s Series, name string) Series { s.Name = name; return s }
	dashed := func(s Series) Series { s.Dashed = true; return s }
	ce := []Series{
		named(get(func(p CurvePoint) float64 { return p.TrainCE }), "train"),
		dashed(named(get(func(p CurvePoint) float64 { return p.ValCE }), "validation")),
	}
	fe := []Series{
		named(get(func(p CurvePoint) float64 { return p.TrainFE }), "train"),
		dashed(named(get(func(p CurvePoint) float64 { return p.ValFE }), "validation")),
	}
	ceTitle := "reconstruction cross-entropy"
	if title != "" {
		ceTitle = title + ": " + ceTitle
	}
	p1, err := newPlot(ceTitle, "epoch", "nats per row", ce)
	if err != nil {
		return err
	}
	p2, err := newPlot("mean free energy F(v)", "epoch", "nats", fe)
	if err != nil {
		return err
	}
	missing := func(x float64) float64 {
		if x == 0 {
			return math.NaN()
		}
		return x
	}
	ll := []Series{
		named(get(func(p CurvePoint) float64 { return missing(p.PLL) }), "pseudo-log-likelihood"),
		named(get(func(p CurvePoint) float64 { return missing(p.LogLik) }), "log-likelihood (AIS)"),
	}
	if !anyFinite(ll) {
		return writePlots(path, PlotWidth, 2*PanelHeight, p1, p2)
	}
	p3, err := newPlot("likelihood monitors (higher is better)", "epoch", "nats per row", ll)
	if err != nil {
		return err
	}
	return writePlots(path, PlotWidth, 3*PanelHeight, p1, p2, p3)
}

// PlotSeries writes a PNG (PlotWidth × PanelHeight pixels) of the series as
// lines with points, with axes, grid and a legend of the named series (a
// series with an empty Name is drawn but not listed). The legend goes to the
// corner the lines cross least, or above the data when every corner is
// crossed.
func PlotSeries(path, title, xLabel, yLabel string, series []Series) error {
	p, err := newPlot(title, xLabel, yLabel, series)
	if err != nil {
		return err
	}
	return writePlots(path, PlotWidth, PanelHeight, p)
}

// palette is a colour-blind-safe set (Okabe & Ito).
var palette = []color.RGBA{
	{0, 114, 178, 255}, {213, 94, 0, 255}, {0, 158, 115, 255}, {204, 121, 167, 255},
	{230, 159, 0, 255}, {86, 180, 233, 255}, {0, 0, 0, 255}, {240, 228, 66, 255},
}

func newPlot(title, xLabel, yLabel string, series []Series) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	drawn, named := 0, 0
	for k, s := range series {
		if len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("viz: series %q has %d x and %d y values", s.Name, len(s.X), len(s.Y))
		}
		var xy plotter.XYs
		for i := range s.X {
			if finite(s.X[i]) && finite(s.Y[i]) {
				xy = append(xy, plotter.XY{X: s.X[i], Y: s.Y[i]})
			}
		}
		if len(xy) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, err
		}
		ci := k
		if s.Color > 0 {
			ci = s.Color - 1
		}
		c := palette[ci%len(palette)]
		l.Color, l.Width = c, vg.Points(1.5)
		pts.Color, pts.Shape, pts.Radius = c, shapes[ci%len(shapes)], vg.Points(2.5)
		if s.Dashed {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(l, pts)
		if s.Name != "" {
			p.Legend.Add(s.Name, l, pts)
			named++
		}
		drawn++
	}
	if drawn == 0 {
		return nil, fmt.Errorf("viz: nothing to plot in %q (every value is NaN)", title)
	}
	if t, ok := integerTicks(series); ok {
		p.X.Tick.Marker = t
	} else {
		p.X.Tick.Marker = niceTicks{}
	}
	p.Y.Tick.Marker = niceTicks{}
	placeLegend(p, series, named)
	return p, nil
}

// placeLegend puts the legend in the corner of the data area that the lines
// cross least: a box about 40 % of the width wide and 6.5 % of the height
// high per entry, tested at points along every segment.
func placeLegend(p *plot.Plot, series []Series, entries int) {
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	var pts [][2]float64
	for _, s := range series {
		var prev *[2]float64
		for i := range s.X {
			if !finite(s.X[i]) || !finite(s.Y[i]) {
				continue
			}
			q := [2]float64{s.X[i], s.Y[i]}
			xmin, xmax = math.Min(xmin, q[0]), math.Max(xmax, q[0])
			ymin, ymax = math.Min(ymin, q[1]), math.Max(ymax, q[1])
			if prev != nil {
				for t := 0.0; t < 1; t += 0.05 {
					pts = append(pts, [2]float64{prev[0] + t*(q[0]-prev[0]), prev[1] + t*(q[1]-prev[1])})
				}
			}
			pts = append(pts, q)
			prev = &q
		}
	}
	if entries == 0 || !(xmax > xmin) || !(ymax > ymin) {
		return
	}
	wf, hf := 0.4, math.Min(0.9, 0.065*float64(entries))
	best, bestN := 0, math.MaxInt
	for corner := 0; corner < 4; corner++ { // top-right, top-left, bottom-right, bottom-left
		left, top := corner%2 == 1, corner < 2
		n := 0
		for _, q := range pts {
			fx, fy := (q[0]-xmin)/(xmax-xmin), (q[1]-ymin)/(ymax-ymin)
			inX := (left && fx <= wf) || (!left && fx >= 1-wf)
			inY := (top && fy >= 1-hf) || (!top && fy <= hf)
			if inX && inY {
				n++
			}
		}
		if n < bestN {
			best, bestN = corner, n
		}
	}
	if bestN > 0 {
		// No free corner: make room above the data.
		best = 0
		p.Y.Max = ymax + (ymax-ymin)*hf/(1-hf)
	}
	p.Legend.Left, p.Legend.Top = best%2 == 1, best < 2
	if p.Legend.Left {
		p.Legend.XOffs = vg.Points(8)
	} else {
		p.Legend.XOffs = -vg.Points(8)
	}
	if p.Legend.Top {
		p.Legend.YOffs = -vg.Points(4)
	} else {
		p.Legend.YOffs = vg.Points(4)
	}
}

// integerTicks labels every integer x when all x are integers and there are
// at most 20 of them (epochs), instead of ticks at 1.5, 2.5, ….
func integerTicks(series []Series) (plot.ConstantTicks, bool) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, x := range s.X {
			if !finite(x) {
				continue
			}
			if x != math.Trunc(x) {
				return nil, false
			}
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	if !(hi >= lo) || hi-lo > 20 {
		return nil, false
	}
	var t plot.ConstantTicks
	for x := lo; x <= hi; x++ {
		t = append(t, plot.Tick{Value: x, Label: fmt.Sprintf("%.0f", x)})
	}
	return t, true
}

// niceTicks labels 4 to 10 values at a step of 1, 2 or 5 times a power of
// ten, all with the same number of decimals (enough for the step), so that no
// two labels read the same and they do not mix formats.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || !finite(lo) || !finite(hi) {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 6, 64)}}
	}
	raw := (hi - lo) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	decimals := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	var ticks []plot.Tick
	for k := math.Ceil(lo/step - 1e-9); k*step <= hi+step*1e-9; k++ {
		v := k * step
		label := strconv.FormatFloat(v, 'f', decimals, 64)
		if strings.Trim(label, "-0.") == "" {
			label = strconv.FormatFloat(0, 'f', decimals, 64) // not "-0"
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
		// unlabelled minor ticks halfway
		if m := v + step/2; m <= hi {
			ticks = append(ticks, plot.Tick{Value: m})
		}
	}
	return ticks
}

func anyFinite(series []Series) bool {
	for _, s := range series {
		for i := range s.Y {
			if finite(s.Y[i]) && i < len(s.X) && finite(s.X[i]) {
				return true
			}
		}
	}
	return false
}

var shapes = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.CrossGlyph{},
	draw.PlusGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{},
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// writePlots stacks the plots vertically on a widthPx × heightPx white canvas
// and writes it as a PNG atomically.
func writePlots(path string, widthPx, heightPx int, plots ...*plot.Plot) error {
	w := vg.Length(widthPx) * vg.Inch / plotDPI
	h := vg.Length(heightPx) * vg.Inch / plotDPI
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(plotDPI), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	grid := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		grid[i] = []*plot.Plot{p}
	}
	pad := vg.Length(curvesPanelGap) * vg.Inch / plotDPI
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadTop: pad, PadBottom: pad, PadLeft: pad, PadRight: pad, PadY: 2 * pad}
	canvases := plot.Align(grid, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[i][0])
	}
	return atomicfile.WriteFile(path, 0o644, func(out io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(out)
		return err
	})
}
