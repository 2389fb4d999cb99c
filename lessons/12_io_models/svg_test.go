package iomodels

import (
	"fmt"
	"math"
	"strings"
)

// plot draws rows as an SVG: three panels (messages per second, p99
// latency, memory per connection) against the number of connections on a
// log scale, one colour per model. Memory has two lines per model: RSS
// solid, Go heap+stacks dashed. Only the benchmark's numbers go in. words
// translates the labels (the Chinese book has its own copy); nil is English.
func plot(rows []row, words map[string]string) string {
	say := func(s string) string {
		if t, ok := words[s]; ok {
			return t
		}
		return s
	}
	const panelW, panelH, pad = 300, 220, 50
	colors := map[string]string{"GoroutinePerConn": "#1f77b4", "Pool": "#ff7f0e", "EventLoop": "#2ca02c"}
	models := []string{"GoroutinePerConn", "Pool", "EventLoop"}
	type panel struct {
		title string
		value func(row) float64
		alt   func(row) float64 // a second, dashed line per model, or nil
	}
	panels := []panel{
		{say("messages/s"), func(r row) float64 { return r.perSecond }, nil},
		{say("p99 latency (ms)"), func(r row) float64 { return float64(r.p99) / 1e6 }, nil},
		{say("memory / connection (KiB): RSS, - - Go heap+stacks"), func(r row) float64 { return r.rss / 1024 }, func(r row) float64 { return (r.heap + r.stack) / 1024 }},
	}
	w, h := len(panels)*(panelW+pad)+pad, panelH+2*pad+30
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", w, h, w, h)
	fmt.Fprintf(&sb, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)

	minN, maxN := math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		minN, maxN = math.Min(minN, float64(r.conns)), math.Max(maxN, float64(r.conns))
	}
	if len(rows) == 0 || minN == maxN {
		maxN = minN * 10
	}
	for i, p := range panels {
		x0, y0 := float64(pad+i*(panelW+pad)), float64(pad)
		top := 0.0
		for _, r := range rows {
			top = math.Max(top, p.value(r))
			if p.alt != nil {
				top = math.Max(top, p.alt(r))
			}
		}
		top = niceCeil(top)
		x := func(n int) float64 {
			return x0 + (math.Log10(float64(n))-math.Log10(minN))/(math.Log10(maxN)-math.Log10(minN))*panelW
		}
		y := func(v float64) float64 { return y0 + panelH - v/top*panelH }
		fmt.Fprintf(&sb, `<text x="%.0f" y="%.0f" font-weight="bold">%s</text>`+"\n", x0, y0-12, p.title)
		fmt.Fprintf(&sb, `<rect x="%.0f" y="%.0f" width="%d" height="%d" fill="none" stroke="#999"/>`+"\n", x0, y0, panelW, panelH)
		for k := 0; k <= 4; k++ { // y grid and labels
			v := top * float64(k) / 4
			fmt.Fprintf(&sb, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#eee"/>`+"\n", x0, y(v), x0+panelW, y(v))
			fmt.Fprintf(&sb, `<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n", x0-4, y(v)+4, short(v))
		}
		for _, n := range benchSizes { // x labels
			fmt.Fprintf(&sb, `<text x="%.1f" y="%.0f" text-anchor="middle">%d</text>`+"\n", x(n), y0+panelH+14, n)
		}
		fmt.Fprintf(&sb, `<text x="%.0f" y="%.0f" text-anchor="middle">%s</text>`+"\n", x0+panelW/2, y0+panelH+30, say("connections (log scale)"))
		for _, m := range models {
			lines := []struct {
				f    func(row) float64
				dash string
			}{{p.value, ""}}
			if p.alt != nil {
				lines = append(lines, struct {
					f    func(row) float64
					dash string
				}{p.alt, ` stroke-dasharray="4 3"`})
			}
			for _, l := range lines {
				var pts []string
				for _, r := range rows {
					if r.model == m {
						pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(r.conns), y(l.f(r))))
					}
				}
				if len(pts) == 0 {
					continue
				}
				fmt.Fprintf(&sb, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.Join(pts, " "), colors[m], l.dash)
				for _, pt := range pts {
					xy := strings.Split(pt, ",")
					fmt.Fprintf(&sb, `<circle cx="%s" cy="%s" r="2.5" fill="%s"/>`+"\n", xy[0], xy[1], colors[m])
				}
			}
		}
	}
	for i, m := range models { // legend
		lx := float64(pad + i*200)
		ly := float64(h - 12)
		fmt.Fprintf(&sb, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="%s" stroke-width="3"/>`+"\n", lx, ly-4, lx+24, ly-4, colors[m])
		fmt.Fprintf(&sb, `<text x="%.0f" y="%.0f">%s</text>`+"\n", lx+30, ly, m)
	}
	sb.WriteString("</svg>\n")
	return sb.String()
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// short formats an axis label: 12000 is "12k".
func short(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%gM", math.Round(v/1e5)/10)
	case v >= 1e3:
		return fmt.Sprintf("%gk", math.Round(v/1e2)/10)
	default:
		return fmt.Sprintf("%g", math.Round(v*100)/100)
	}
}

// chinese are the plot's labels in the Chinese book (book/zh/12_io_models.svg).
var chinese = map[string]string{
	"messages/s":       "每秒消息数",
	"p99 latency (ms)": "p99 延迟（ms）",
	"memory / connection (KiB): RSS, - - Go heap+stacks": "每连接内存（KiB）：RSS，- - 为 Go 堆+栈",
	"connections (log scale)":                            "连接数（对数刻度）",
}
