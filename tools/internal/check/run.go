// Package check runs a lesson's tests with `go test -json` and reads the
// result: against the learner's stubs, or against the reference solutions
// through an overlay.
package check

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"netlings/tools/internal/catalog"
	"netlings/tools/internal/gotest"
	"netlings/tools/internal/overlay"
)

// Code says whose code runs under the lesson's tests.
type Code int

const (
	// Yours runs the lesson's files as they are on disk.
	Yours Code = iota
	// Solution swaps every lesson's files for its reference solution.
	Solution
	// StubAmongSolutions keeps this lesson's stubs but solves every other
	// lesson: proof that the stub alone makes the tests fail, even when the
	// lessons it builds on are done.
	StubAmongSolutions
)

// Options says how to run the tests.
type Options struct {
	Root    string
	Lessons []catalog.Lesson // every lesson, for the overlay
	Code    Code
	Race    bool
	Count   int           // -count; 0 lets go test reuse a cached result
	Timeout time.Duration // go test -timeout: the whole run, all tests
	Args    []string      // more go test flags, e.g. -bench for Stream
	// Replace adds overlay entries over the solution overlay (absolute
	// paths, as in overlay.Overlay): how `netlings mutate` swaps one
	// solution file for a mutant. Only with Code Solution.
	Replace map[string]string
	// Quick is for a first check on a machine whose build cache is empty:
	// no go vet (whose facts about every imported package are a fifth of
	// the build) and no cgo (the pure-Go resolver; the cgo one is compiled
	// with gcc). The runs that count, under -race, have both.
	Quick bool
}

// ErrNoGo is returned when the go command cannot be found.
var ErrNoGo = errors.New("netlings needs the `go` command on your PATH: install Go 1.26 or newer, then try again")

// Tests runs `go test -json` on one lesson and parses what it said. The error
// is only for a run that could not start; a failing, crashing or
// non-compiling lesson is a *gotest.Run that says so.
func Tests(ctx context.Context, o Options, l catalog.Lesson) (*gotest.Run, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return nil, ErrNoGo
	}
	args, cleanup, err := testArgs(o, l, "-json")
	if err != nil {
		return nil, err
	}
	defer cleanup()
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = o.Root
	cmd.Env = append(os.Environ(), "NETLINGS_CHECK=1") // testkit.Main: no tip about the checker inside the checker
	if o.Quick {
		cmd.Env = append(cmd.Env, "CGO_ENABLED=0") // as make builds the checker: one set of compiled packages
	}
	ownProcessGroup(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A non-zero exit is the normal way for tests to fail; the event stream says why.
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	run, err := gotest.Parse(&stdout)
	if err != nil {
		return nil, err
	}
	if s := strings.TrimSpace(stderr.String()); s != "" {
		run.Output = append(run.Output, strings.Split(s, "\n")...)
	}
	if !run.Finished && runErr != nil && len(run.Output) == 0 {
		run.Output = append(run.Output, runErr.Error())
	}
	return run, nil
}

// testArgs builds the go test command line, writing the overlay file when one
// is needed; cleanup removes it.
func testArgs(o Options, l catalog.Lesson, extra ...string) (args []string, cleanup func(), err error) {
	cleanup = func() {}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	args = append([]string{"test", "-timeout", timeout.String()}, extra...)
	if o.Race {
		args = append(args, "-race")
	}
	if o.Quick {
		args = append(args, "-vet=off")
	}
	if o.Count > 0 {
		args = append(args, "-count", strconv.Itoa(o.Count))
	}
	args = append(args, o.Args...)
	if o.Code != Yours {
		keep := 0
		if o.Code == StubAmongSolutions {
			keep = l.Number
		}
		ov, err := overlay.Solutions(o.Root, o.Lessons, keep)
		if err != nil {
			return nil, cleanup, err
		}
		maps.Copy(ov.Replace, o.Replace)
		dir, err := os.MkdirTemp("", "netlings-overlay-")
		if err != nil {
			return nil, cleanup, err
		}
		cleanup = func() { os.RemoveAll(dir) }
		path := filepath.Join(dir, "overlay.json")
		if err := ov.Write(path); err != nil {
			cleanup()
			return nil, func() {}, err
		}
		args = append(args, "-overlay", path)
	}
	return append(args, "./"+l.Dir), cleanup, nil
}

// RaceSupported reports whether `go test -race` can work here: the race
// detector needs cgo and a C compiler. The reason says what is missing.
func RaceSupported(ctx context.Context) (ok bool, reason string) {
	out, err := exec.CommandContext(ctx, "go", "env", "CGO_ENABLED", "CC").Output()
	if err != nil {
		return false, "could not ask `go env` about cgo"
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 2 || lines[0] != "1" {
		return false, "cgo is off (CGO_ENABLED=0), and the race detector needs it"
	}
	cc := strings.Fields(lines[1])
	if len(cc) == 0 {
		return false, "no C compiler is configured (go env CC), and the race detector needs one"
	}
	if _, err := exec.LookPath(cc[0]); err != nil {
		return false, "the C compiler " + cc[0] + " is not installed, and the race detector needs it"
	}
	return true, ""
}

// Stream runs go test on the lesson without -json and passes its plain
// output through: for benchmarks and fuzzing, whose own output is already
// what a reader wants.
func Stream(ctx context.Context, o Options, l catalog.Lesson, stdout, stderr io.Writer) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return ErrNoGo
	}
	args, cleanup, err := testArgs(o, l)
	if err != nil {
		return err
	}
	defer cleanup()
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = o.Root, stdout, stderr
	cmd.Env = append(os.Environ(), "NETLINGS_CHECK=1") // testkit.Main: no tip about the checker inside the checker
	ownProcessGroup(cmd)
	return cmd.Run()
}
