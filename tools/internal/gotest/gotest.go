// Package gotest turns the event stream of `go test -json` into a summary a
// learner can read: which tests passed, which failed and why, and what went
// wrong when the test binary never got to say (a compile error, a panic in a
// goroutine, a time-out, a data race).
package gotest

import (
	"bufio"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"time"
)

// Event is one line of `go test -json` (see `go doc test2json`).
type Event struct {
	Time        time.Time
	Action      string
	Package     string
	ImportPath  string // set on build-output and build-fail events
	Test        string
	Output      string
	Elapsed     float64
	FailedBuild string
}

// Status is the outcome of one test.
type Status int

const (
	Running Status = iota // started, never finished: the binary died or timed out during it
	Pass
	Fail
	Skip
)

func (s Status) String() string {
	return [...]string{"did not finish", "pass", "fail", "skip"}[s]
}

// Test is one test or subtest, in the order it started.
type Test struct {
	Name    string
	Status  Status
	Elapsed time.Duration
	Output  []string // lines, newline trimmed, without the === RUN / --- FAIL framing
}

// TopLevel reports whether the test is a top-level Test function (an exercise).
func (t *Test) TopLevel() bool { return !strings.Contains(t.Name, "/") }

// Crash says why the test binary stopped before its tests could finish.
type Crash struct {
	Kind    string // "panic", "timeout", "deadlock", "fatal"
	Test    string // the test that was running, if known
	Message string // the panic value or the time-out
	Stack   []string
}

// Run is everything one `go test -json` run of one package said.
type Run struct {
	Tests       []*Test
	BuildFailed bool
	BuildOutput []string // compiler and vet lines, e.g. "lessons/02_echo/echo.go:12:2: undefined: x"
	Output      []string // package-level lines not attached to any test
	Race        bool     // the race detector reported a data race
	Crash       *Crash
	Passed      bool // the package's final verdict
	Finished    bool // a final pass/fail/skip event for the package arrived
	Cached      bool // go test served this result from its cache, without running
	Elapsed     time.Duration
}

// Skipped reports whether any test skipped (a missing tool, say).
func (r *Run) Skipped() bool {
	for _, t := range r.Tests {
		if t.Status == Skip {
			return true
		}
	}
	return false
}

// Test returns the named test, or nil.
func (r *Run) Test(name string) *Test {
	for _, t := range r.Tests {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// TopLevel returns the top-level tests in the order they ran.
func (r *Run) TopLevel() []*Test {
	var out []*Test
	for _, t := range r.Tests {
		if t.TopLevel() {
			out = append(out, t)
		}
	}
	return out
}

// Parse reads a `go test -json` stream. Lines that are not JSON (go's own
// error messages, e.g. a bad overlay file) are kept as package output, so
// nothing the toolchain said is lost.
func Parse(r io.Reader) (*Run, error) {
	run := &Run{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		var ev Event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &ev) != nil {
			run.Output = append(run.Output, string(line))
			continue
		}
		run.add(ev)
	}
	run.finish()
	return run, sc.Err()
}

func (r *Run) add(ev Event) {
	switch ev.Action {
	case "build-output":
		if !strings.HasPrefix(ev.Output, "# ") { // "# pkg" headers say nothing to a learner
			r.BuildOutput = append(r.BuildOutput, strings.TrimRight(ev.Output, "\n"))
		}
	case "build-fail":
		r.BuildFailed = true
	case "run":
		if ev.Test != "" && r.Test(ev.Test) == nil {
			r.Tests = append(r.Tests, &Test{Name: ev.Test})
		}
	case "output":
		r.output(ev)
	case "pass", "fail", "skip":
		if ev.Test == "" {
			r.Finished = true
			r.Passed = ev.Action != "fail"
			r.Elapsed = seconds(ev.Elapsed)
			if ev.FailedBuild != "" {
				r.BuildFailed = true
			}
			return
		}
		t := r.Test(ev.Test)
		if t == nil { // a skip can arrive without a run event
			t = &Test{Name: ev.Test}
			r.Tests = append(r.Tests, t)
		}
		t.Status = map[string]Status{"pass": Pass, "fail": Fail, "skip": Skip}[ev.Action]
		t.Elapsed = seconds(ev.Elapsed)
	}
}

// framing is the test runner's own bookkeeping, which the report replaces
// with its ✓ and ✗.
var framing = regexp.MustCompile(`^\s*(=== (RUN|PAUSE|CONT|NAME)|--- (PASS|FAIL|SKIP):)`)

func (r *Run) output(ev Event) {
	line := strings.TrimRight(ev.Output, "\n")
	switch {
	case strings.HasPrefix(line, "WARNING: DATA RACE"):
		r.Race = true
	case line == "PASS" || line == "FAIL" || strings.HasPrefix(line, "ok  \t") || strings.HasPrefix(line, "FAIL\t"):
		r.Cached = r.Cached || strings.HasSuffix(line, "(cached)")
		return
	}
	if t := r.Test(ev.Test); t != nil {
		if !framing.MatchString(line) {
			t.Output = append(t.Output, line)
		}
		return
	}
	r.Output = append(r.Output, line)
}

// finish finds a crash: output that says the binary died, and which test was
// running then. A test with no final event ran when the binary stopped.
func (r *Run) finish() {
	var running string
	for _, t := range r.Tests {
		if t.Status == Running && t.TopLevel() {
			running = t.Name
		}
	}
	for _, t := range r.Tests {
		if c := findCrash(t.Output); c != nil {
			c.Test = t.Name
			if c.Kind == "timeout" && running != "" {
				c.Test = running
			}
			r.Crash = c
			return
		}
	}
	if c := findCrash(r.Output); c != nil {
		c.Test = running
		r.Crash = c
	}
}

// recovered is the testing package's note that it re-panicked a test's panic.
var recovered = regexp.MustCompile(`\s*\[recovered.*\]$`)

var timedOut = regexp.MustCompile(`^panic: test timed out after (\S+)`)

func findCrash(lines []string) *Crash {
	for i, line := range lines {
		var c *Crash
		switch {
		case timedOut.MatchString(line):
			c = &Crash{Kind: "timeout", Message: "the test did not finish within " + timedOut.FindStringSubmatch(line)[1]}
		case strings.HasPrefix(line, "fatal error: all goroutines are asleep - deadlock!"):
			c = &Crash{Kind: "deadlock", Message: "every goroutine is blocked: nothing can ever happen again"}
		case strings.HasPrefix(line, "panic: "):
			c = &Crash{Kind: "panic", Message: recovered.ReplaceAllString(strings.TrimPrefix(line, "panic: "), "")}
		case strings.HasPrefix(line, "fatal error: "):
			c = &Crash{Kind: "fatal", Message: strings.TrimPrefix(line, "fatal error: ")}
		default:
			continue
		}
		c.Stack = lines[i+1:]
		return c
	}
	return nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Where returns the first frame of the crash's stack inside dir (a path
// relative to the repository, e.g. "lessons/02_echo"), preferring the
// learner's code over the tests: "lessons/02_echo/echo.go:23". It returns ""
// when no frame is in dir.
func (c *Crash) Where(dir string) string {
	var inTest string
	for _, line := range c.Stack {
		frame := strings.TrimSpace(line)
		i := strings.Index(frame, "/"+dir+"/")
		if i < 0 || !strings.HasPrefix(line, "\t") {
			continue
		}
		loc := frame[i+1:]
		if sp := strings.IndexByte(loc, ' '); sp >= 0 {
			loc = loc[:sp]
		}
		if !strings.Contains(loc, "_test.go:") {
			return loc
		}
		if inTest == "" {
			inTest = loc
		}
	}
	return inTest
}
