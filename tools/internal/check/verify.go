package check

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"netlings/tools/internal/catalog"
	"netlings/tools/internal/gotest"
)

// StubBudget is how long the untouched stub of a lesson may take to fail:
// a learner's first check must be quick, and a stub must never hang.
const StubBudget = 20 * time.Second

// Verdict is what `verify` found for one lesson.
type Verdict struct {
	Lesson    catalog.Lesson
	Exercises int
	Solution  string        // "pass" or a short reason
	Stub      string        // "fails every test" or a short reason
	StubTime  time.Duration // the stub's test binary, compile excluded
	Problems  []string      // every breach, in words
}

// OK reports whether the lesson keeps its promises.
func (v Verdict) OK() bool { return len(v.Problems) == 0 }

// Verify proves a lesson's two promises: its reference solution passes every
// test (o.Race and o.Count as given), and its untouched stub fails every
// exercise within StubBudget. A test skipped for a missing tool is a problem
// in CI, where every tool is installed, and a warning elsewhere.
func Verify(ctx context.Context, o Options, l catalog.Lesson) (Verdict, error) {
	v := Verdict{Lesson: l}
	names, err := catalog.Tests(o.Root, l)
	if err != nil {
		return v, err
	}
	v.Exercises = len(names)
	if len(names) == 0 {
		v.problem("it has no Test functions: every lesson needs at least one exercise")
	}
	if _, err := os.Stat(filepath.Join(o.Root, l.SolutionDir)); err != nil {
		v.Solution, v.Stub = "missing", "-"
		v.problem("it has no reference solution in %s", l.SolutionDir)
		return v, nil
	}

	if err := v.judgeCopies(o.Root); err != nil {
		return v, err
	}

	sol := o
	sol.Code = Solution
	run, err := Tests(ctx, sol, l)
	if err != nil {
		return v, err
	}
	v.Solution = v.judgeSolution(NewResult(l, names, run))

	stub := o
	stub.Code, stub.Race, stub.Count, stub.Timeout = StubAmongSolutions, false, 1, StubBudget
	run, err = Tests(ctx, stub, l)
	if err != nil {
		return v, err
	}
	v.StubTime = run.Elapsed
	v.Stub = v.judgeStub(NewResult(l, names, run))
	return v, nil
}

func (v *Verdict) problem(format string, args ...any) {
	v.Problems = append(v.Problems, fmt.Sprintf(format, args...))
}

// judgeCopies flags solution files that are byte-for-byte their lesson
// file: given code lives once, in lessons/, and the overlay keeps it there.
// Two copies drift apart, and then the learner and CI test different code.
func (v *Verdict) judgeCopies(root string) error {
	solved, err := catalog.SolutionFiles(root, v.Lesson)
	if err != nil {
		return err
	}
	for _, s := range solved {
		mine, err := os.ReadFile(filepath.Join(root, s))
		if err != nil {
			return err
		}
		stub, err := os.ReadFile(filepath.Join(root, v.Lesson.Dir, filepath.Base(s)))
		if err == nil && bytes.Equal(mine, stub) {
			v.problem("%s is the same as its lesson file: given code lives once, in %s; delete the copy", s, v.Lesson.Dir)
		}
	}
	return nil
}

func (v *Verdict) judgeSolution(r Result) string {
	run := r.Run
	switch {
	case run.BuildFailed:
		v.problem("the solution does not compile: %s", firstLine(run.BuildOutput))
		return "does not compile"
	case run.Crash != nil:
		v.problem("the solution crashed in %s: %s %s", orSome(run.Crash.Test), run.Crash.Kind, run.Crash.Message)
		return "crashed"
	case run.Race:
		v.problem("the solution has a data race")
		return "data race"
	}
	bad := 0
	for _, e := range r.Exercises {
		switch {
		case e.Status == gotest.Skip && os.Getenv("CI") == "":
			fmt.Fprintf(os.Stderr, "warning: %s skipped on the solution of lesson %02d (a tool is missing here; CI installs it)\n", e.Name, v.Lesson.Number)
		case e.Status != gotest.Pass:
			bad++
			v.problem("the solution does not pass %s (%s)", e.Name, statusWord(e))
		}
	}
	if !run.Passed && bad == 0 && len(r.Exercises) > 0 {
		v.problem("the solution's test run failed: %s", firstLine(run.Output))
		return "fail"
	}
	if bad > 0 {
		return fmt.Sprintf("%d failing", bad)
	}
	return "pass"
}

func (v *Verdict) judgeStub(r Result) string {
	run := r.Run
	if run.BuildFailed {
		v.problem("the stub does not compile (stubs must build, so editors work from minute one): %s", firstLine(run.BuildOutput))
		return "does not compile"
	}
	if run.Crash != nil {
		v.problem("the stub run crashed in %s (%s: %s): stubs return zero values or errors, they never panic or hang",
			orSome(run.Crash.Test), run.Crash.Kind, run.Crash.Message)
	}
	bad := 0
	for _, e := range r.Exercises {
		if e.Status != gotest.Fail {
			bad++
			if e.Status == gotest.Pass {
				v.problem("%s passes on the untouched stub: a test that passes on the stub teaches nothing", e.Name)
			} else {
				v.problem("%s does not fail on the stub (%s)", e.Name, statusWord(e))
			}
		}
	}
	if r.Run.Elapsed > StubBudget {
		v.problem("the stub's tests took %s, over the %s budget", r.Run.Elapsed.Round(time.Millisecond), StubBudget)
	}
	if bad > 0 {
		return fmt.Sprintf("%d not failing", bad)
	}
	return "fails every test"
}

func statusWord(e Exercise) string {
	if !e.Ran {
		return "did not run"
	}
	return e.Status.String()
}

func firstLine(lines []string) string {
	for _, l := range lines {
		if s := strings.TrimSpace(l); s != "" {
			return s
		}
	}
	return "(no output)"
}
