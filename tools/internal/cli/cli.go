// Package cli is the netlings command: one function per verb, each a thin
// layer over the packages that do the work.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"netlings/tools/internal/catalog"
	"netlings/tools/internal/progress"
)

// env is what every verb gets: where the workbook is, its lessons, and the
// streams to talk on.
type env struct {
	root    string
	lessons []catalog.Lesson
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
}

type verb struct {
	name, args, help string
	run              func(ctx context.Context, e *env, args []string) error
}

func verbs() []verb {
	return []verb{
		{"list", "", "every lesson, done or not, with a progress bar", list},
		{"check", "[--solution] [--count K] [--verbose] [N]", "run lesson N's tests (default: the next lesson) and explain the first failure", checkCmd},
		{"watch", "", "re-check the lesson you edit on every save", watchVerb},
		{"hint", "[--lang zh] [N]", "print the hints for lesson N (default: the lesson you are on), in English or Chinese", hint},
		{"next", "", "the first lesson not done yet", next},
		{"reset", "[--yes] (N | --all)", "restore lesson N's stub files from git, keeping a copy in .netlings/backup (asks first)", reset},
		{"verify", "[--jobs 2] [N...]", "prove every solution passes and every stub fails (make test)", verify},
		{"bench", "[--solution] N", "run lesson N's benchmark against its standard-library peer", bench},
		{"fuzz", "[--solution] [--time 20s] [N...]", "run the lessons' fuzz targets for a bounded time", fuzz},
		{"book", "[--check] [--out DIR] | --stamp FILE...", "render the book to book/_site (--check: only check it; --stamp: a translation is up to date)", bookCmd},
		{"serve", "[--port N]", "serve the book on 127.0.0.1 with live progress and a check button", serve},
		{"mutate", "[--sample K] [--seed S] [--budget D] [--race] [--min-score P] [N...]", "maintainers: do the tests kill machine-made wrong versions of the solutions?", mutateCmd},
		{"load", "-url URL [-c N] [-d DUR] [-n N]", "a bounded loopback load generator (HTTP/1.1 or WebSocket)", loadCmd},
	}
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// Main runs the command and returns its exit status: 0 when all is well,
// 1 when a check failed or something went wrong, 2 for a bad command line.
// Every error is one line for the learner, never a stack trace.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	var v *verb
	for _, c := range verbs() {
		if c.name == args[0] {
			v = &c
		}
	}
	if v == nil {
		fmt.Fprintf(stderr, "netlings: unknown command %q (netlings help lists them)\n", args[0])
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	e, err := newEnv(stdin, stdout, stderr)
	if err == nil {
		err = v.run(ctx, e, args[1:])
	}
	var ue usageError
	var failed errFailed
	var status exitStatus
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "netlings %s: %s (usage: netlings %s %s)\n", v.name, ue.msg, v.name, v.args)
		return 2
	case errors.As(err, &failed):
		return 1 // the report already said why
	case errors.As(err, &status):
		return int(status)
	case errors.Is(err, context.Canceled):
		return 130
	default:
		fmt.Fprintf(stderr, "netlings %s: %v\n", v.name, err)
		return 1
	}
}

// errFailed means the verb ran and said what failed; nothing more to print.
type errFailed struct{}

func (errFailed) Error() string { return "failed" }

// exitStatus passes on the status of a verb that printed its own errors.
type exitStatus int

func (s exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

func usage(w io.Writer) {
	fmt.Fprintln(w, "netlings — learn network programming in Go by making failing tests pass.")
	fmt.Fprintln(w, "\nUsage: go run ./tools/netlings COMMAND (or: make COMMAND)")
	for _, v := range verbs() {
		fmt.Fprintf(w, "  %-26s %s\n", strings.TrimSpace(v.name+" "+v.args), v.help)
	}
	fmt.Fprintln(w, "\nLessons are named by number (3), zero-padded (03) or folder (03_layers).")
}

func newEnv(stdin io.Reader, stdout, stderr io.Writer) (*env, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	root, err := catalog.Root(wd)
	if err != nil {
		return nil, err
	}
	lessons, err := catalog.Discover(root)
	if err != nil {
		return nil, err
	}
	return &env{root: root, lessons: lessons, stdin: stdin, stdout: stdout, stderr: stderr}, nil
}

// parse reads flags anywhere among the arguments (check 3 --solution works
// as well as check --solution 3) and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, usageError{"flags: " + flagList(fs)}
			}
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// someLessons resolves the lesson arguments of a verb; none means all.
func (e *env) someLessons(pos []string) ([]catalog.Lesson, error) {
	if len(pos) == 0 {
		return e.lessons, nil
	}
	var lessons []catalog.Lesson
	for _, p := range pos {
		l, err := catalog.Find(e.lessons, p)
		if err != nil {
			return nil, err
		}
		lessons = append(lessons, l)
	}
	return lessons, nil
}

// lessonArg parses a verb's flags and its one lesson argument.
func (e *env) lessonArg(fs *flag.FlagSet, args []string) (catalog.Lesson, error) {
	pos, err := parse(fs, args)
	if err != nil {
		return catalog.Lesson{}, err
	}
	return e.oneLesson(pos)
}

// noArgs is the error of a verb that takes no arguments and got some.
func noArgs(err error) error {
	if err != nil {
		return err
	}
	return usageError{"this command takes no arguments"}
}

// flagList names a verb's flags, for -h.
func flagList(fs *flag.FlagSet) string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, "--"+f.Name+" ("+f.Usage+")") })
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// oneLesson resolves the single lesson argument of a verb.
func (e *env) oneLesson(pos []string) (catalog.Lesson, error) {
	if len(pos) != 1 {
		return catalog.Lesson{}, usageError{"name one lesson, e.g. 3"}
	}
	return catalog.Find(e.lessons, pos[0])
}

func (e *env) progress() (*progress.Store, error) { return progress.Load(e.root) }

// color reports whether w is a terminal that wants colour.
func color(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
