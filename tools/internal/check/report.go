package check

import (
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"netlings/tools/internal/catalog"
	"netlings/tools/internal/gotest"
)

// Result is one checked lesson: its exercises (top-level tests, in source
// order) with their outcome, and the run that produced them.
type Result struct {
	Lesson    catalog.Lesson
	Exercises []Exercise
	Run       *gotest.Run
}

// Exercise is one top-level test.
type Exercise struct {
	Name   string
	Status gotest.Status
	Ran    bool // false when the binary stopped (or never built) before it started
}

// Passed reports whether the lesson is done: it built, nothing crashed, and
// every exercise passed. A skipped exercise is not a passed one.
func (r Result) Passed() bool {
	if r.Run.BuildFailed || r.Run.Crash != nil || r.Run.Race || !r.Run.Passed || len(r.Exercises) == 0 {
		return false
	}
	for _, e := range r.Exercises {
		if e.Status != gotest.Pass {
			return false
		}
	}
	return true
}

// PassCount counts the exercises that passed.
func (r Result) PassCount() int {
	n := 0
	for _, e := range r.Exercises {
		if e.Status == gotest.Pass {
			n++
		}
	}
	return n
}

// NewResult matches a run against the lesson's list of exercises, so tests
// that never ran still appear in the report.
func NewResult(l catalog.Lesson, names []string, run *gotest.Run) Result {
	r := Result{Lesson: l, Run: run}
	for _, name := range names {
		e := Exercise{Name: name}
		if t := run.Test(name); t != nil {
			e.Status, e.Ran = t.Status, true
		}
		r.Exercises = append(r.Exercises, e)
	}
	return r
}

// Style switches the report's colours; the zero value is plain text.
type Style struct {
	Color bool
	// Verbose keeps what the report trims for the learner: the goroutines
	// of a leak report that never enter the lesson's code.
	Verbose bool
}

func (s Style) paint(code, text string) string {
	if !s.Color {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

// Green paints text green on a terminal.
func (s Style) Green(t string) string { return s.paint("32", t) }
func (s Style) red(t string) string   { return s.paint("31", t) }
func (s Style) dim(t string) string   { return s.paint("2", t) }
func (s Style) bold(t string) string  { return s.paint("1", t) }

// Write prints the report a learner reads after `netlings check`: a line per
// exercise, then the first thing to fix in plain words, then where to go next.
// root is stripped from paths so they read lessons/02_echo/echo.go:12.
func (r Result) Write(w io.Writer, root string, s Style, notes []string) {
	l := r.Lesson
	fmt.Fprintf(w, "%s\n\n", s.bold(fmt.Sprintf("Lesson %02d · %s", l.Number, l.Title)))
	for _, n := range notes {
		fmt.Fprintf(w, "  %s\n", s.dim("note: "+n))
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
	}
	if r.Run.BuildFailed || (!r.Run.Finished && len(r.Run.Tests) == 0) {
		r.writeBuildFailure(w, root, s)
		return
	}
	for _, e := range r.Exercises {
		fmt.Fprintf(w, "  %s\n", e.line(s))
	}
	r.writeSkips(w, s)
	fmt.Fprintln(w)
	if r.Passed() {
		fmt.Fprintf(w, "%s All %d exercises pass: lesson %02d is done.\n", s.Green("✓"), len(r.Exercises), l.Number)
		return
	}
	r.writeFirstProblem(w, root, s)
	fmt.Fprintf(w, "\n%d of %d exercises pass. Read %s (make book), stuck? make hint N=%d\n",
		r.PassCount(), len(r.Exercises), l.Chapter, l.Number)
}

// writeSkips gives each skipped exercise's reason: a skip is not a pass,
// and its last words say what is missing and how to install it.
func (r Result) writeSkips(w io.Writer, s Style) {
	for _, e := range r.Exercises {
		t := r.Run.Test(e.Name)
		if e.Status != gotest.Skip || t == nil {
			continue
		}
		reason := "no reason given"
		for _, line := range slices.Backward(t.Output) {
			if line = strings.TrimSpace(line); line != "" {
				reason = line
				break
			}
		}
		fmt.Fprintf(w, "\n  %s %s\n", s.dim(e.Name+" skipped:"), reason)
	}
}

func (e Exercise) line(s Style) string {
	switch {
	case !e.Ran:
		return s.dim("· " + e.Name + " (did not run)")
	case e.Status == gotest.Pass:
		return s.Green("✓") + " " + e.Name
	case e.Status == gotest.Skip:
		return s.dim("- " + e.Name + " (skipped)")
	case e.Status == gotest.Running:
		return s.red("✗") + " " + e.Name + s.dim(" (did not finish)")
	default:
		return s.red("✗") + " " + e.Name
	}
}

func (r Result) writeBuildFailure(w io.Writer, root string, s Style) {
	lines := r.Run.BuildOutput
	if len(lines) == 0 {
		lines = r.Run.Output
	}
	fmt.Fprintf(w, "%s lesson %02d does not build (a compile error, or go vet's), so no test can run yet:\n\n", s.red("✗"), r.Lesson.Number)
	for _, line := range clip(lines, 20) {
		fmt.Fprintf(w, "    %s\n", relative(line, root))
	}
	fmt.Fprintf(w, "\nFix the first error above (file:line:column), save, and check again.\n")
}

// writeFirstProblem explains the one thing to fix first: a crash or race
// beats a plain failure, because it can hide every other result. A time-out
// is the whole binary's budget running out, so the first real failure before
// it is shown too: that is often the cause.
func (r Result) writeFirstProblem(w io.Writer, root string, s Style) {
	run := r.Run
	switch {
	case run.Crash != nil:
		r.writeCrash(w, s)
		if run.Crash.Kind == "timeout" {
			if t := firstFailure(run, r.Exercises); t != nil {
				fmt.Fprintln(w)
				writeFailure(w, t, root, r.Lesson.Dir, s)
			}
		}
	case run.Race:
		fmt.Fprintf(w, "%s the race detector found a data race: two goroutines touched the same memory\n  without synchronisation. Where:\n", s.red("✗"))
		for _, loc := range raceLocations(run, r.Lesson.Dir) {
			fmt.Fprintf(w, "    %s\n", loc)
		}
		fmt.Fprintf(w, "  Protect the shared value with a mutex, or hand it over on a channel.\n")
	default:
		if t := firstFailure(run, r.Exercises); t != nil {
			writeFailure(w, t, root, r.Lesson.Dir, s)
			return
		}
		if t := stillRunning(run); t != nil { // no crash, no failure: the binary exited under it
			fmt.Fprintf(w, "%s the test binary exited while %s was running: does your code call os.Exit or log.Fatal?\n", s.red("✗"), t.Name)
			fmt.Fprintf(w, "  A library never exits the program: return an error instead. Its last words:\n")
			for _, line := range clip(tail(t.Output, 10), 10) {
				fmt.Fprintf(w, "    %s\n", relative(line, root))
			}
			return
		}
		fmt.Fprintf(w, "%s the tests did not pass:\n", s.red("✗"))
		for _, line := range clip(run.Output, 20) {
			fmt.Fprintf(w, "    %s\n", relative(line, root))
		}
	}
}

func (r Result) writeCrash(w io.Writer, s Style) {
	c, dir := r.Run.Crash, r.Lesson.Dir
	switch c.Kind {
	case "timeout":
		fmt.Fprintf(w, "%s the lesson's tests ran out of their time (%s) while %s was running.\n", s.red("✗"), strings.TrimPrefix(c.Message, "the test did not finish within "), orSome(c.Test))
		fmt.Fprintf(w, "  Something waits forever: a Read, Accept or channel receive with no deadline, or a goroutine nobody stops.\n")
	case "deadlock":
		fmt.Fprintf(w, "%s %s deadlocked: %s.\n", s.red("✗"), orSome(c.Test), c.Message)
	default:
		fmt.Fprintf(w, "%s %s crashed with a %s: %s\n", s.red("✗"), orSome(c.Test), c.Kind, c.Message)
		fmt.Fprintf(w, "  A panic stops the whole test binary, so the tests after it did not run.\n")
	}
	if where := c.Where(dir); where != "" {
		fmt.Fprintf(w, "  Look at %s.\n", where)
	}
	if r.Run.Race {
		fmt.Fprintf(w, "  The race detector also found a data race, at %s.\n", strings.Join(raceLocations(r.Run, dir), ", "))
	}
}

func writeFailure(w io.Writer, t *gotest.Test, root, dir string, s Style) {
	fmt.Fprintf(w, "%s %s\n\n", s.red("First failure:"), t.Name)
	lines := t.Output
	if !s.Verbose {
		lines = leaksInYourCode(lines, dir)
	}
	for _, line := range clip(failureText(lines, root), 30) {
		fmt.Fprintf(w, "    %s\n", line)
	}
}

// stillRunning returns the top-level test that never finished, if any.
func stillRunning(run *gotest.Run) *gotest.Test {
	for _, t := range run.Tests {
		if t.TopLevel() && t.Status == gotest.Running {
			return t
		}
	}
	return nil
}

func tail(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}

func orSome(test string) string {
	if test == "" {
		return "a test"
	}
	return test
}

// firstFailure finds the first failing leaf of the first failing exercise:
// the innermost failing subtest holds the assertion message.
func firstFailure(run *gotest.Run, exercises []Exercise) *gotest.Test {
	failing := func(t *gotest.Test, prefix string) bool {
		return t.Status == gotest.Fail && (t.Name == prefix || strings.HasPrefix(t.Name, prefix+"/"))
	}
	for _, e := range exercises {
		if e.Status != gotest.Fail {
			continue
		}
		for _, t := range run.Tests {
			if !failing(t, e.Name) {
				continue
			}
			leaf := true
			for _, c := range run.Tests {
				if c != t && failing(c, t.Name) {
					leaf = false
					break
				}
			}
			if leaf {
				return t
			}
		}
		return run.Test(e.Name)
	}
	return nil
}

// testifyNoise are the lines of a testify failure that say nothing new.
var testifyNoise = regexp.MustCompile(`^\s*Test:\s`)

// testifyField is the start of a field in a testify failure ("Error:").
var testifyField = regexp.MustCompile(`^\s*[A-Z][a-z]+( [A-Z][a-z]+)?:\s`)

// failureText tidies a failing test's output for the learner: testify's
// absolute "Error Trace" paths made relative, its "Test:" line and its Diff
// (which repeats the expected and actual values above it) dropped, the
// common indentation removed.
// goroutineStart is the first line of each goroutine in goleak's report.
var goroutineStart = regexp.MustCompile(`^\s*\[?Goroutine \d+ in state`)

// leaksInYourCode trims goleak's report ("found unexpected goroutines:")
// to the goroutines with a frame in the lesson's folder dir, the ones the
// learner can do something about, and counts the rest in one line.
func leaksInYourCode(lines []string, dir string) []string {
	var out, block []string
	in, hidden := false, 0
	flush := func() {
		if len(block) == 0 {
			return
		}
		mine := false
		for _, l := range block {
			mine = mine || strings.Contains(filepath.ToSlash(l), "/"+dir+"/")
		}
		if mine {
			out = append(out, block...)
		} else {
			hidden++
		}
		block = nil
	}
	for _, line := range lines {
		switch {
		case strings.Contains(line, "found unexpected goroutines:"):
			in = true
			out = append(out, line)
			continue
		case in && goroutineStart.MatchString(line):
			flush()
		case in && !strings.HasPrefix(line, "    ") && strings.TrimSpace(line) != "":
			flush() // the report is over: back to ordinary output
			in = false
		}
		if in {
			block = append(block, line)
		} else {
			out = append(out, line)
		}
	}
	flush()
	if hidden > 0 {
		out = append(out, fmt.Sprintf("        (%d more leaked goroutines with no frame in %s: netlings check --verbose shows them)", hidden, dir))
	}
	return out
}

func failureText(lines []string, root string) []string {
	var out []string
	inDiff := false
	for _, line := range lines {
		if strings.TrimSpace(line) == "Diff:" {
			inDiff = true
			continue
		}
		if inDiff && !testifyField.MatchString(line) {
			continue
		}
		inDiff = false
		if testifyNoise.MatchString(line) {
			continue
		}
		out = append(out, strings.ReplaceAll(relative(line, root), "\t", "  "))
	}
	return dedent(out)
}

func dedent(lines []string) []string {
	indent := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " "))
		if indent < 0 || n < indent {
			indent = n
		}
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		if len(l) >= indent && indent > 0 {
			l = l[indent:]
		}
		out[i] = strings.TrimRight(l, " ")
	}
	return out
}

// raceLocations lists the distinct file:line frames of a race report that are
// in the lesson's folder.
func raceLocations(run *gotest.Run, dir string) []string {
	seen := map[string]bool{}
	var locs []string
	for _, t := range run.Tests {
		for _, line := range t.Output {
			i := strings.Index(line, "/"+dir+"/")
			if i < 0 {
				continue
			}
			loc := strings.Fields(line[i+1:])[0]
			if !seen[loc] {
				seen[loc] = true
				locs = append(locs, loc)
			}
		}
	}
	return clip(locs, 8)
}

func relative(line, root string) string {
	if root == "" {
		return line
	}
	return strings.ReplaceAll(line, filepath.Clean(root)+string(filepath.Separator), "")
}

func clip(lines []string, max int) []string {
	if len(lines) <= max {
		return lines
	}
	return append(lines[:max:max], fmt.Sprintf("… and %d more lines", len(lines)-max))
}
