package report

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/forage-go/forage/bench/internal/suite"
)

// Plot file names, without the format's extension.
const (
	SpeedupPlot = "bench-speedup"
	PerUnitPlot = "bench-ns-per-op"
)

// Plots draws the speedup of every contender against the number of
// workers, one panel per workload, and the time per fork or task of every
// contender per workload; each in every format given ("png", "svg").
func Plots(dir string, res *suite.Results, formats []string) ([]string, error) {
	var written []string
	for _, f := range formats {
		path := filepath.Join(dir, SpeedupPlot+"."+f)
		if err := speedupPlot(path, f, res); err != nil {
			return written, err
		}
		written = append(written, path)
		path = filepath.Join(dir, PerUnitPlot+"."+f)
		if err := perUnitPlot(path, f, res); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

// palette colours the contenders other than forage and serial (Tableau 10
// without its red, which is forage's).
var palette = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 0xff}, // blue
	color.RGBA{0xff, 0x7f, 0x0e, 0xff}, // orange
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, // green
	color.RGBA{0x94, 0x67, 0xbd, 0xff}, // purple
	color.RGBA{0x8c, 0x56, 0x4b, 0xff}, // brown
	color.RGBA{0xe3, 0x77, 0xc2, 0xff}, // pink
	color.RGBA{0xbc, 0xbd, 0x22, 0xff}, // olive
	color.RGBA{0x17, 0xbe, 0xcf, 0xff}, // cyan
}

// style gives each contender a fixed colour and marker, forage standing out.
func style(names []string, c string) (color.Color, draw.GlyphDrawer, vg.Length) {
	switch c {
	case "forage":
		return color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, draw.CircleGlyph{}, vg.Points(2.5)
	case "serial":
		return color.Gray{Y: 90}, draw.RingGlyph{}, vg.Points(1.5)
	}
	i := 0
	for _, n := range names {
		if n == c {
			break
		}
		if n != "forage" && n != "serial" {
			i++
		}
	}
	return palette[i%len(palette)], plotutil.Shape(i), vg.Points(1.5)
}

// subtitle names the machine, the date and the load around the run.
func subtitle(res *suite.Results) string {
	s := res.Machine.Name() + ", " + res.Machine.Date.Format("2006-01-02")
	if res.Machine.LoadBefore != "" {
		s += ", load average " + strings.Fields(res.Machine.LoadBefore)[0] + " before and " +
			strings.Fields(res.Machine.LoadAfter + " ?")[0] + " after"
	}
	return s
}

func speedupPlot(path, format string, res *suite.Results) error {
	rows := Rows(res)
	workloads, titles := workloadOrder(res)
	names := contenderNames(res)
	const cols = 4
	nrows := (len(workloads) + 1 + cols - 1) / cols // one tile for the legend
	grid := make([][]*plot.Plot, nrows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	xmax := float64(slices.Max(append([]int{1}, res.Workers...)))
	for k, wl := range workloads {
		p := plot.New()
		p.Title.Text = titles[wl]
		p.Title.TextStyle.Font.Size = vg.Points(9)
		p.X.Label.Text = "workers"
		p.Y.Label.Text = "speedup over serial"
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = ticks125{}
		p.X.Tick.Marker = workerTicks(res.Workers)
		p.Add(plotter.NewGrid())
		lo, hi := 1.0, xmax
		for _, c := range names {
			if c == "serial" {
				continue
			}
			var xys plotter.XYs
			for _, r := range rows {
				if r.Cell.Workload == wl && r.Result.Contender == c && r.OK() && r.Speedup > 0 {
					xys = append(xys, plotter.XY{X: float64(r.Cell.Workers), Y: r.Speedup})
					lo, hi = math.Min(lo, r.Speedup), math.Max(hi, r.Speedup)
				}
			}
			if len(xys) == 0 {
				continue
			}
			l, s, err := plotter.NewLinePoints(xys)
			if err != nil {
				return err
			}
			col, shape, radius := style(names, c)
			l.Color, s.Color, s.Shape, s.Radius = col, col, shape, radius
			if c == "forage" {
				l.Width = vg.Points(2)
			}
			p.Add(l, s)
		}
		ideal, err := plotter.NewLine(plotter.XYs{{X: 1, Y: 1}, {X: xmax, Y: xmax}})
		if err != nil {
			return err
		}
		ideal.Color, ideal.Dashes = color.Gray{Y: 150}, []vg.Length{vg.Points(3), vg.Points(3)}
		p.Add(ideal)
		p.X.Min, p.X.Max = 0.8, xmax+0.2
		p.Y.Min, p.Y.Max = lo/1.5, hi*1.5
		grid[k/cols][k%cols] = p
	}
	// The legend tile.
	leg := plot.New()
	leg.HideAxes()
	leg.Legend.Top, leg.Legend.Left = true, true
	leg.Legend.TextStyle.Font.Size = vg.Points(10)
	for _, c := range names {
		if c == "serial" {
			continue
		}
		l, s, err := plotter.NewLinePoints(plotter.XYs{{X: 0, Y: 0}})
		if err != nil {
			return err
		}
		col, shape, radius := style(names, c)
		l.Color, s.Color, s.Shape, s.Radius = col, col, shape, radius
		leg.Legend.Add(c, l, s)
	}
	ideal, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}})
	ideal.Color, ideal.Dashes = color.Gray{Y: 150}, []vg.Length{vg.Points(3), vg.Points(3)}
	leg.Legend.Add("ideal (= workers)", ideal)
	n := len(workloads)
	grid[n/cols][n%cols] = leg

	width, height := 4*vg.Inch*cols/1.25, vg.Length(nrows)*2.7*vg.Inch+0.5*vg.Inch
	c, err := draw.NewFormattedCanvas(width, height, format)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	title := "Speedup over serial code — " + subtitle(res)
	drawTitle(dc, title, height)
	body := draw.Crop(dc, 0, 0, 0, -0.45*vg.Inch)
	tiles := draw.Tiles{Rows: nrows, Cols: cols, PadX: vg.Millimeter * 2, PadY: vg.Millimeter * 2, PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter}
	canvases := plot.Align(grid, tiles, body)
	for j := range grid {
		for i := range grid[j] {
			if grid[j][i] != nil {
				grid[j][i].Draw(canvases[j][i])
			}
		}
	}
	return writeCanvas(path, c)
}

// ticks125 marks a log axis at 1, 2 and 5 times powers of ten, labelling
// all of them when the axis spans little more than a decade and only the
// powers of ten otherwise.
type ticks125 struct{}

// Ticks implements plot.Ticker.
func (ticks125) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= lo {
		return nil
	}
	few := hi/lo < 30
	var t []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v < lo || v > hi {
				continue
			}
			label := ""
			if m == 1 || few {
				label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			t = append(t, plot.Tick{Value: v, Label: label})
		}
	}
	return t
}

// workerTicks puts a tick on each worker count.
func workerTicks(ws []int) plot.ConstantTicks {
	var t []plot.Tick
	for _, w := range ws {
		t = append(t, plot.Tick{Value: float64(w), Label: fmt.Sprint(w)})
	}
	return t
}

func drawTitle(dc draw.Canvas, title string, height vg.Length) {
	sty := text.Style{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, vg.Points(13)),
		XAlign:  draw.XCenter,
		YAlign:  draw.YTop,
		Handler: plot.DefaultTextHandler,
	}
	dc.FillText(sty, vg.Point{X: dc.Center().X, Y: height - 0.12*vg.Inch}, title)
}

func perUnitPlot(path, format string, res *suite.Results) error {
	rows := Rows(res)
	workloads, _ := workloadOrder(res)
	names := contenderNames(res)
	maxW := slices.Max(append([]int{0}, res.Workers...))
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Time per fork or task at %d workers (log scale) — %s", maxW, subtitle(res))
	p.Y.Label.Text = "ns per fork or task"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = ticks125{}
	p.Add(plotter.NewGrid())
	p.NominalX(workloads...)
	leg := plot.NewLegend()
	leg.Top, leg.Left = true, true
	leg.TextStyle.Font.Size = vg.Points(11)
	lo, hi := math.Inf(1), math.Inf(-1)
	for k, c := range names {
		var xys plotter.XYs
		for i, wl := range workloads {
			for _, r := range rows {
				if r.Cell.Workload == wl && r.Cell.Workers == maxW && r.Result.Contender == c && r.OK() && r.PerUnit() > 0 {
					off := (float64(k) - float64(len(names)-1)/2) * 0.07
					xys = append(xys, plotter.XY{X: float64(i) + off, Y: r.PerUnit()})
					lo, hi = math.Min(lo, r.PerUnit()), math.Max(hi, r.PerUnit())
				}
			}
		}
		if len(xys) == 0 {
			continue
		}
		s, err := plotter.NewScatter(xys)
		if err != nil {
			return err
		}
		col, shape, radius := style(names, c)
		s.Color, s.Shape, s.Radius = col, shape, radius+vg.Points(1)
		p.Add(s)
		leg.Add(c, s)
	}
	if !math.IsInf(lo, 0) {
		p.Y.Min, p.Y.Max = lo/1.5, hi*1.5
	}
	// The plot on the left, its legend in a column on the right.
	const legendWidth = 1.3 * vg.Inch
	width := vg.Length(max(8, len(workloads)))*1.1*vg.Inch + legendWidth
	height := 5.5 * vg.Inch
	c, err := draw.NewFormattedCanvas(width, height, format)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	p.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
	leg.Draw(draw.Crop(dc, width-legendWidth+0.15*vg.Inch, 0, 0, -0.8*vg.Inch))
	return writeCanvas(path, c)
}

func writeCanvas(path string, c interface {
	WriteTo(w io.Writer) (int64, error)
}) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
