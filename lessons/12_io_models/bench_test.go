package iomodels

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"netlings/tools/load"
)

// The benchmark's load: at every size, the same few active clients echo
// small messages as fast as they can while all the others sit idle.
var (
	benchSizes = []int{100, 1000, 3000, 10000} // connections held by the server
)

const (
	benchActive  = 32                      // clients with a message always in flight
	benchMessage = 64                      // bytes per message
	benchRun     = 1500 * time.Millisecond // load per model, size and round
	benchRounds  = 3                       // each round visits the models in the other order
)

// BenchmarkIOModels measures the three models side by side: for each
// number of connections (100 to 10,000, all but 32 of them idle) it
// starts each model's server in a child process, holds the connections
// open with the load generator in TCP mode (each idle one echoes one
// message first, then falls silent; 32 of them echo 64-byte messages for
// 1.5 s), and reads the server's memory while they are all open. Rounds
// alternate the order of the models. Run it once:
//
//	make bench-lesson N=12          (SOLUTION=1: the reference solution)
//
// It writes the table and a plot to .netlings/bench/12_io_models.md and
// .svg at the top of the workbook, and logs the table.
func BenchmarkIOModels(b *testing.B) {
	if got := raiseNoFile(uint64(slices.Max(benchSizes) + 1024)); got < uint64(slices.Max(benchSizes)+64) {
		b.Logf("the open-file limit is %d: the larger steps will fail to connect (raise it with ulimit -n)", got)
	}
	for b.Loop() {
		var samples []sample
		for _, n := range benchSizes {
			for round := range benchRounds {
				models := []string{"GoroutinePerConn", "Pool", "EventLoop"}
				if runtime.GOOS != "linux" {
					models = models[:2]
				}
				if round%2 == 1 {
					slices.Reverse(models)
				}
				for _, m := range models {
					s, err := measure(m, n)
					if err != nil {
						b.Fatalf("%s with %d connections: %v", m, n, err)
					}
					samples = append(samples, s)
				}
			}
		}
		rows := summarize(samples)
		md := table(rows)
		b.Log("\n" + md)
		if dir, err := benchDir(); err == nil {
			os.MkdirAll(dir, 0o755)
			mdPath := filepath.Join(dir, "12_io_models.md")
			svgPath := filepath.Join(dir, "12_io_models.svg")
			os.WriteFile(mdPath, []byte(machine()+"\n\n"+md), 0o644)
			os.WriteFile(svgPath, []byte(plot(rows, nil)), 0o644)
			os.WriteFile(filepath.Join(dir, "12_io_models.zh.svg"), []byte(plot(rows, chinese)), 0o644)
			b.Logf("wrote %s and %s (and the Chinese plot, for book/zh/)", mdPath, svgPath)
		}
		for _, r := range rows {
			if r.errors > 0 || r.idle < (r.conns-benchActive)*99/100 {
				b.Errorf("%s with %d connections: %d errors, %d of %d idle connections still open at the end",
					r.model, r.conns, r.errors, r.idle, r.conns-benchActive)
			}
		}
		b.ReportMetric(0, "ns/op") // one op is the whole comparison
	}
}

// sample is one model at one size in one round.
type sample struct {
	model          string
	conns          int
	perSecond      float64
	p50, p99       time.Duration
	errors, idle   int
	heap, stack    float64 // bytes per connection: Go heap objects, goroutine stacks
	rss            float64 // bytes per connection: resident set
	goroutines     int
	fds            int
	baseGoroutines int
}

// measure runs one model's server in a child process, loads it with n
// connections, and reads its memory before they connect and while they
// are all open. Per connection is the difference divided by n.
func measure(model string, n int) (sample, error) {
	c, err := startChild(model, n)
	if err != nil {
		return sample{}, err
	}
	defer c.quit()
	before := c.base
	var during memStats
	var memErr error
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := load.Run(ctx, load.Options{
		URL: "tcp://" + c.addr, Conns: benchActive, Idle: n - benchActive,
		Duration: benchRun, Message: benchMessage,
		Hold: func() { during, memErr = c.mem() },
	})
	if err == nil {
		err = memErr
	}
	if err != nil {
		return sample{}, err
	}
	return sample{
		model: model, conns: n,
		perSecond: r.PerSecond, p50: r.P50, p99: r.P99, errors: r.Errors, idle: r.Idle,
		heap:       float64(during.heap-before.heap) / float64(n),
		stack:      float64(during.stack-before.stack) / float64(n),
		rss:        float64(during.rss-before.rss) / float64(n),
		goroutines: during.goroutines, baseGoroutines: before.goroutines, fds: during.fds,
	}, c.quit()
}

// child is a server process started by startChild.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	addr  string
	base  memStats // the process before the server was made
	done  bool
}

type memStats struct {
	heap, stack, rss int64
	goroutines, fds  int
}

// startChild starts this test binary again as the named model's server
// (see runChild) and waits for its address.
func startChild(model string, n int) (*child, error) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s:%d", childEnv, model, n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, stdin: stdin, lines: make(chan string, 1)}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	line, err := c.line()
	if err == nil {
		c.base, err = parseMem(line)
	}
	if err == nil {
		line, err = c.line()
	}
	if err != nil || !strings.HasPrefix(line, "addr ") {
		c.quit()
		return nil, fmt.Errorf("the server process said %q (%v)", line, err)
	}
	c.addr = strings.TrimPrefix(line, "addr ")
	return c, nil
}

func (c *child) line() (string, error) {
	select {
	case l, ok := <-c.lines:
		if !ok {
			return "", errors.New("the server process ended")
		}
		return l, nil
	case <-time.After(30 * time.Second):
		return "", errors.New("the server process did not answer within 30s")
	}
}

// mem asks the server process for its memory.
func (c *child) mem() (memStats, error) {
	if _, err := io.WriteString(c.stdin, "mem\n"); err != nil {
		return memStats{}, err
	}
	line, err := c.line()
	if err != nil {
		return memStats{}, err
	}
	return parseMem(line)
}

func parseMem(line string) (memStats, error) {
	var m memStats
	_, err := fmt.Sscanf(line, "mem heap=%d stack=%d rss=%d goroutines=%d fds=%d", &m.heap, &m.stack, &m.rss, &m.goroutines, &m.fds)
	if err != nil {
		err = fmt.Errorf("the server process said %q: %w", line, err)
	}
	return m, err
}

// quit stops the server process: its Serve must return within 10 s.
func (c *child) quit() error {
	if c.done {
		return nil
	}
	c.done = true
	io.WriteString(c.stdin, "quit\n")
	c.stdin.Close()
	exited := make(chan error, 1)
	go func() { exited <- c.cmd.Wait() }()
	select {
	case err := <-exited:
		return err
	case <-time.After(15 * time.Second):
		c.cmd.Process.Kill()
		<-exited
		return errors.New("the server process did not stop within 15s")
	}
}

// row is one model at one size, averaged over the rounds.
type row struct {
	model                    string
	conns                    int
	perSecond                float64
	p50, p99                 time.Duration
	errors, idle             int
	heap, stack, rss         float64
	goroutines, fds, samples int
}

func summarize(samples []sample) []row {
	var rows []row
	for _, n := range benchSizes {
		for _, m := range []string{"GoroutinePerConn", "Pool", "EventLoop"} {
			r := row{model: m, conns: n, idle: math.MaxInt}
			for _, s := range samples {
				if s.model != m || s.conns != n {
					continue
				}
				r.samples++
				r.perSecond += s.perSecond
				r.p50 += s.p50
				r.p99 += s.p99
				r.heap += s.heap
				r.stack += s.stack
				r.rss += s.rss
				r.errors += s.errors
				r.idle = min(r.idle, s.idle)
				r.goroutines = max(r.goroutines, s.goroutines)
				r.fds = max(r.fds, s.fds)
			}
			if r.samples == 0 {
				continue
			}
			k := float64(r.samples)
			r.perSecond /= k
			r.p50 /= time.Duration(r.samples)
			r.p99 /= time.Duration(r.samples)
			r.heap /= k
			r.stack /= k
			r.rss /= k
			rows = append(rows, r)
		}
	}
	return rows
}

// table formats rows as Markdown, with ratios to GoroutinePerConn.
func table(rows []row) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "| conns | model | msg/s | p50 | p99 | heap / conn | stacks / conn | RSS / conn | goroutines | fds | msg/s ÷ GPC | heap+stacks ÷ GPC | RSS ÷ GPC |\n")
	fmt.Fprintf(&sb, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	base := map[int]row{}
	for _, r := range rows {
		if r.model == "GoroutinePerConn" {
			base[r.conns] = r
		}
	}
	for _, r := range rows {
		g := base[r.conns]
		fmt.Fprintf(&sb, "| %d | %s | %.0f | %s | %s | %s | %s | %s | %d | %d | %s | %s | %s |\n",
			r.conns, r.model, r.perSecond, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond),
			kib(r.heap), kib(r.stack), kib(r.rss), r.goroutines, r.fds,
			ratio(r.perSecond, g.perSecond), ratio(r.heap+r.stack, g.heap+g.stack), ratio(r.rss, g.rss))
	}
	fmt.Fprintf(&sb, "\n%d active clients (%d-byte messages) at every size, the rest idle; %s of load per model, size and round; %d rounds, models in alternating order; each idle client echoed one message before it fell silent; memory read in the server's process while every connection is open, minus that process's memory before the server was made, divided by the connections; GPC = GoroutinePerConn.\n",
		benchActive, benchMessage, benchRun, benchRounds)
	return sb.String()
}

func kib(bytes float64) string { return fmt.Sprintf("%.1f KiB", bytes/1024) }

func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	if a/b < 0.1 {
		return fmt.Sprintf("%.3f", a/b) // the event loop's memory: two decimals say 0.00
	}
	return fmt.Sprintf("%.2f", a/b)
}

// machine describes where the benchmark ran.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("Machine: %s/%s, %d CPUs (%s), %s.", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpu, runtime.Version())
}

// benchDir is .netlings/bench at the top of the workbook (where go.mod is).
func benchDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".netlings", "bench"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
