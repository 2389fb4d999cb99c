package check

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
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
	v.Stub = v.judgeStub(o.Root, NewResult(l, names, run))
	return v, nil
}

func (v *Verdict) problem(format string, args ...any) {
	v.Problems = append(v.Problems, fmt.Sprintf(format, args...))
}

// GivenMarker marks a lesson file that is given code, not an exercise: the
// types and helpers the exercises share. It is a directive comment, so go doc
// hides it, and a learner reading the file sees they need not change it.
const GivenMarker = "//netlings:given"

// judgeCopies keeps given code from drifting: the overlay swaps every lesson
// file that has a solution twin, so a given file is copied into solutions/
// (which must build on its own), and the copy must stay byte-for-byte the
// same, or the learner and CI would test different code. A solution file that
// equals its lesson file but is not marked given is flagged too.
func (v *Verdict) judgeCopies(root string) error {
	stubs, err := catalog.StubFiles(root, v.Lesson)
	if err != nil {
		return err
	}
	for _, s := range stubs {
		lesson, err := os.ReadFile(filepath.Join(root, s))
		if err != nil {
			return err
		}
		twin := filepath.ToSlash(filepath.Join(v.Lesson.SolutionDir, filepath.Base(s)))
		solution, err := os.ReadFile(filepath.Join(root, twin))
		given := bytes.Contains(lesson, []byte("\n"+GivenMarker+"\n"))
		switch {
		case given && err != nil:
			v.problem("%s is given code (%s) but has no copy in %s: copy it there", s, GivenMarker, twin)
		case given && !bytes.Equal(lesson, solution):
			v.problem("%s is given code (%s) but differs from %s: make the two the same", s, GivenMarker, twin)
		case !given && err == nil && bytes.Equal(lesson, solution):
			v.problem("%s is the same as %s: if it is given code, mark both with a %s line", s, twin, GivenMarker)
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
			v.problem("the solution does not pass %s (%s)%s", e.Name, statusWord(e), whyFailed(run, e.Name))
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

func (v *Verdict) judgeStub(root string, r Result) string {
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
	if bad > 0 && localChanges(root, v.Lesson.Dir) {
		v.problem("%s has local changes: verify judges the stubs on disk, so run it on a clean checkout", v.Lesson.Dir)
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

// localChanges reports whether git sees edits under dir (false when git
// cannot tell, e.g. outside a clone).
func localChanges(root, dir string) bool {
	out, err := exec.Command("git", "-C", root, "status", "--porcelain", "--", dir).Output()
	return err == nil && len(bytes.TrimSpace(out)) > 0
}

// whyFailed is what the failing tests under name printed, indented, so a
// CI log says why without a rerun (a flaky failure may not come back).
func whyFailed(run *gotest.Run, name string) string {
	var b strings.Builder
	lines := 0
	for _, t := range run.Tests {
		if t.Status != gotest.Fail || (t.Name != name && !strings.HasPrefix(t.Name, name+"/")) {
			continue
		}
		for _, l := range failureText(t.Output, "") {
			if strings.TrimSpace(l) == "" || lines >= 20 {
				continue
			}
			b.WriteString("\n      " + l)
			lines++
		}
	}
	return b.String()
}
