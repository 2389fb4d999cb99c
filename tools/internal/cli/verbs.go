package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"netlings/tools/internal/catalog"
	"netlings/tools/internal/check"
	"netlings/tools/internal/gotest"
	"netlings/tools/internal/progress"
	"netlings/tools/internal/watch"
)

func list(ctx context.Context, e *env, args []string) error {
	if pos, err := parse(flag.NewFlagSet("list", flag.ContinueOnError), args); err != nil || len(pos) > 0 {
		return noArgs(err)
	}
	store, err := e.progress()
	if err != nil {
		return err
	}
	s := check.Style{Color: color(e.stdout)}
	done := 0
	var rows []string
	titles := titleWidth(e.lessons, columns(e.stdout))
	for _, l := range e.lessons {
		state := store.State(e.root, l.Name, l.Dir)
		mark := map[progress.State]string{progress.Done: "✓", progress.NotDone: "✗", progress.NeverChecked: "·"}[state]
		if state == progress.Done {
			done++
		}
		rows = append(rows, fmt.Sprintf("  %s %02d  %-*s %s", mark, l.Number, titles, shorten(l.Title, titles), state))
	}
	fmt.Fprintf(e.stdout, "netlings: %d/%d lessons done  %s\n\n", done, len(e.lessons), bar(done, len(e.lessons), 30, s))
	fmt.Fprintln(e.stdout, strings.Join(rows, "\n"))
	return nil
}

// minTitle is the title column of the narrowest list: 80 columns.
const minTitle = 46

// titleWidth is the title column: the longest title when the line fits
// (or the output is not a terminal), else what the terminal leaves, and
// never less than minTitle.
func titleWidth(lessons []catalog.Lesson, width int) int {
	longest := minTitle
	for _, l := range lessons {
		longest = max(longest, utf8.RuneCountInString(l.Title))
	}
	if width <= 0 {
		return longest
	}
	// "  ✓ 01  " before the title, " never checked" after it.
	return max(minTitle, min(longest, width-8-1-len(progress.NeverChecked)))
}

// columns is the terminal's width: COLUMNS when set (as shells export it),
// else what the terminal says; 0 when stdout is not a terminal.
func columns(w io.Writer) int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return terminalWidth(w)
}

// shorten cuts a title to n characters, so the list stays a table.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

func bar(done, total, width int, s check.Style) string {
	filled := 0
	if total > 0 {
		filled = done * width / total
	}
	return "[" + s.Green(strings.Repeat("█", filled)) + strings.Repeat("░", width-filled) + "]"
}

// checkHow is what a check runs against, and how often.
type checkHow struct {
	solution bool
	count    int // runs; 0 or 1 is one run, which go test may serve from its cache
	verbose  bool
}

// runCheck checks one lesson, writes the report to w and, for the learner's
// own code, records the outcome in the progress file.
func runCheck(ctx context.Context, e *env, w io.Writer, l catalog.Lesson, how checkHow) (check.Result, error) {
	solution := how.solution
	o := check.Options{Root: e.root, Lessons: e.lessons, Timeout: 60 * time.Second}
	var notes []string
	if how.count > 1 {
		// Network code that passes once is not done: each run is a new
		// schedule. The time limit grows with the runs.
		o.Count, o.Timeout = how.count, time.Duration(how.count)*o.Timeout
		notes = append(notes, fmt.Sprintf("running the tests %d times; the first failing run is reported", how.count))
	}
	if solution {
		o.Code = check.Solution
		notes = append(notes, "running the tests against the reference solution in "+l.SolutionDir)
	}
	if ok, why := check.RaceSupported(ctx); ok {
		o.Race = true
	} else {
		notes = append(notes, "race detector off: "+why)
	}
	// Go builds its race runtime once per machine, and on a fresh machine
	// that build is most of a first check's minute. Until it is ready, a
	// check runs without -race while the race build warms in the
	// background, and a pass is confirmed under -race before it counts.
	warming := o.Race && !raceReady(e.root) && canWarmRace()
	if warming {
		o.Race, o.Quick = false, true
		notes = append(notes, "first check here: a quick run without the race detector and go vet; Go builds its race runtime in the background after this report (once); a pass is confirmed under -race, with vet, before it counts")
	}
	store, err := e.progress()
	if err != nil {
		return check.Result{}, err
	}
	if !solution {
		deps, _ := catalog.Imports(e.root, l, e.lessons)
		for _, d := range deps {
			if store.State(e.root, d.Name, d.Dir) != progress.Done {
				notes = append(notes, fmt.Sprintf("this lesson builds on lesson %02d, which is not done yet: make check-lesson N=%d", d.Number, d.Number))
			}
		}
	}
	// The tests are the spec: a lesson passed against edited tests is not
	// done. Said up front, and the pass is not recorded.
	edited := []string{}
	if !solution {
		edited = editedTests(ctx, e.root, l)
		if len(edited) > 0 {
			notes = append(notes, fmt.Sprintf("you changed this lesson's tests (%s): a pass counts only against the committed tests; restore them with git checkout -- %s",
				strings.Join(edited, ", "), strings.Join(edited, " ")))
		}
	}
	// A test file that does not parse yields no names: go test then reports
	// the syntax error as a build failure, with file:line, like any other.
	names, _ := catalog.Tests(e.root, l)
	// Hash the files before the run: a save during it must not be recorded
	// as the version that passed.
	tested, err := progress.Hash(filepath.Join(e.root, l.Dir))
	if err != nil {
		return check.Result{}, err
	}
	run, err := testsSaying(ctx, w, o, l)
	if err == nil && warming && check.NewResult(l, names, run).Passed() {
		o.Race, o.Quick = true, false // a pass counts only under the race detector, vetted
		run, err = testsSaying(ctx, w, o, l)
	}
	if err != nil {
		return check.Result{}, err
	}
	r := check.NewResult(l, names, run)
	r.Write(w, e.root, check.Style{Color: color(w), Verbose: how.verbose}, notes)
	if warming && !o.Race {
		warmRace(e.root, l) // now that the verdict is out, while the learner reads it
	}
	if r.Passed() && len(edited) > 0 {
		fmt.Fprintf(w, "Not recorded as done: the tests in %s were edited.\n", strings.Join(edited, ", "))
	}
	if !solution {
		store.Record(l.Name, tested, r.Passed() && len(edited) == 0, time.Now())
		if err := store.Save(e.root); err != nil {
			return r, err
		}
	}
	return r, nil
}

// testsSaying runs the tests, saying what runs while go test builds and
// runs them: on a terminal a line that the report then replaces, elsewhere
// (make in an IDE, CI) a plain line.
func testsSaying(ctx context.Context, w io.Writer, o check.Options, l catalog.Lesson) (*gotest.Run, error) {
	race := map[bool]string{true: "-race ", false: ""}[o.Race]
	if o.Quick {
		race = "-vet=off "
	}
	if color(w) {
		fmt.Fprintf(w, "checking lesson %02d: go test %s./%s …", l.Number, race, l.Dir)
	} else {
		fmt.Fprintf(w, "checking lesson %02d: go test %s./%s …\n", l.Number, race, l.Dir)
	}
	run, err := check.Tests(ctx, o, l)
	if err == nil && run.Cached && run.Skipped() {
		// A skip for a missing tool outlives the install in go test's
		// cache: a run that skipped anything is never taken from it.
		o.Count = 1
		run, err = check.Tests(ctx, o, l)
	}
	if color(w) {
		fmt.Fprint(w, "\r\x1b[K") // erase the line
	}
	if err == nil && o.Race && !run.BuildFailed {
		markRaceReady(o.Root)
	}
	return run, err
}

func checkCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	solution := fs.Bool("solution", false, "run the tests against the reference solution")
	count := fs.Int("count", 1, "run the tests this many times (under -race); the first failing run is reported")
	verbose := fs.Bool("verbose", false, "show everything the tests said, e.g. every leaked goroutine")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *count < 1 {
		return usageError{"--count needs a number of runs, 1 or more"}
	}
	l, ok, err := e.currentLesson(pos)
	if err != nil {
		return err
	}
	if !ok {
		return next(ctx, e, nil)
	}
	r, err := runCheck(ctx, e, e.stdout, l, checkHow{solution: *solution, count: *count, verbose: *verbose})
	if err != nil {
		return err
	}
	if !r.Passed() {
		return errFailed{}
	}
	if !*solution {
		store, err := e.progress()
		if err != nil {
			return err
		}
		if n, ok := firstNotDone(e, store); ok {
			fmt.Fprintf(e.stdout, "Next: lesson %02d · %s: read %s, then make check-lesson N=%d\n", n.Number, n.Title, n.Chapter, n.Number)
		}
	}
	return nil
}

func next(ctx context.Context, e *env, args []string) error {
	if pos, err := parse(flag.NewFlagSet("next", flag.ContinueOnError), args); err != nil || len(pos) > 0 {
		return noArgs(err)
	}
	store, err := e.progress()
	if err != nil {
		return err
	}
	l, ok := firstNotDone(e, store)
	if !ok {
		fmt.Fprintf(e.stdout, "Every lesson is done. Well played.\n")
		return nil
	}
	fmt.Fprintf(e.stdout, "Next: lesson %02d · %s\n  read   %s (make book)\n  edit   %s/\n  check  make check-lesson N=%d\n",
		l.Number, l.Title, l.Chapter, l.Dir, l.Number)
	return nil
}

// currentLesson is the lesson named in pos or, when none is named, the
// first one not done yet (ok is false when every lesson is done).
func (e *env) currentLesson(pos []string) (l catalog.Lesson, ok bool, err error) {
	if len(pos) > 0 {
		l, err = e.oneLesson(pos)
		return l, err == nil, err
	}
	store, err := e.progress()
	if err != nil {
		return l, false, err
	}
	l, ok = firstNotDone(e, store)
	return l, ok, nil
}

func firstNotDone(e *env, store *progress.Store) (catalog.Lesson, bool) {
	for _, l := range e.lessons {
		if store.State(e.root, l.Name, l.Dir) != progress.Done {
			return l, true
		}
	}
	return catalog.Lesson{}, false
}

func watchVerb(ctx context.Context, e *env, args []string) error {
	if pos, err := parse(flag.NewFlagSet("watch", flag.ContinueOnError), args); err != nil || len(pos) > 0 {
		return noArgs(err)
	}
	store, err := e.progress()
	if err != nil {
		return err
	}
	first, ok := firstNotDone(e, store)
	if !ok {
		return next(ctx, e, nil)
	}
	checkAndAnnounce := func(ctx context.Context, l catalog.Lesson) {
		if color(e.stdout) {
			fmt.Fprint(e.stdout, "\x1b[H\x1b[2J") // a fresh screen per check, as rustlings does
		}
		r, err := runCheck(ctx, e, e.stdout, l, checkHow{})
		if ctx.Err() != nil {
			return // a newer save took over, or Ctrl-C
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "netlings watch: %v\n", err)
			return
		}
		if r.Passed() {
			store, _ := e.progress()
			if n, ok := firstNotDone(e, store); ok {
				fmt.Fprintf(e.stdout, "\nOn to lesson %02d · %s: read %s and edit %s/\n", n.Number, n.Title, n.Chapter, n.Dir)
			} else {
				fmt.Fprintf(e.stdout, "\nThat was the last lesson. Every lesson is done.\n")
			}
		}
		fmt.Fprintf(e.stdout, "\n%s watching lessons/ for saves… (Ctrl-C to stop)\n", time.Now().Format("15:04:05"))
	}
	checks := &latestCheck{}
	checks.start(ctx, e.stdout, first, checkAndAnnounce)
	err = watch.Lessons(ctx, e.root, e.lessons, 300*time.Millisecond, func(l catalog.Lesson) {
		checks.start(ctx, e.stdout, l, checkAndAnnounce)
	})
	checks.stop()
	fmt.Fprintln(e.stdout, "\nstopped watching.")
	return err // nil after Ctrl-C: stopping is what was asked
}

// latestCheck runs one check at a time in the background and, when a newer
// save arrives, cancels the running one (killing its test binary) rather
// than waiting for it: a check of files that changed since is stale, and a
// hung one would hold the learner for a minute.
type latestCheck struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func (c *latestCheck) start(ctx context.Context, w io.Writer, l catalog.Lesson, run func(context.Context, catalog.Lesson)) {
	if c.running() {
		fmt.Fprintf(w, "\n%s a newer save: stopping this check and starting again\n", time.Now().Format("15:04:05"))
	}
	c.stop()
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	c.cancel, c.done = cancel, done
	go func() {
		defer close(done)
		run(cctx, l)
	}()
}

func (c *latestCheck) running() bool {
	if c.done == nil {
		return false
	}
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// stop cancels the running check, if any, and waits until it has gone.
func (c *latestCheck) stop() {
	if c.cancel != nil {
		c.cancel()
		<-c.done
	}
}

func reset(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("reset", flag.ContinueOnError)
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	all := fs.Bool("all", false, "reset every lesson")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	lessons := e.lessons
	if !*all {
		l, err := e.oneLesson(pos)
		if err != nil {
			return err
		}
		lessons = []catalog.Lesson{l}
	} else if len(pos) > 0 {
		return usageError{"--all resets every lesson: name none"}
	}
	var files []string
	for _, l := range lessons {
		changed, err := changedStubs(ctx, e.root, l)
		if err != nil {
			return err
		}
		files = append(files, changed...)
	}
	what := fmt.Sprintf("Lesson %02d's stub files are", lessons[0].Number)
	if *all {
		what = "Every lesson's stub files are"
	}
	if len(files) == 0 {
		fmt.Fprintf(e.stdout, "%s as they are in your last commit: nothing to restore.\n", what)
		return nil
	}
	fmt.Fprintf(e.stdout, "This restores, replacing your changes (a copy is kept):\n  %s\n", strings.Join(files, "\n  "))
	if !*yes {
		fmt.Fprint(e.stdout, "Go ahead? [y/N] ")
		answer, _ := bufio.NewReader(e.stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(e.stdout, "Nothing changed.")
			return nil
		}
	}
	backup, err := backUp(e.root, files)
	if err != nil {
		return fmt.Errorf("could not keep a copy of your files, so nothing was restored: %v", err)
	}
	if _, err := gitOutput(ctx, e.root, append([]string{"checkout", "HEAD", "--"}, files...)...); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s back as in your last commit (tests untouched). Files you added yourself were kept.\nYour versions are in %s/.\n", what, backup)
	return nil
}

// changedStubs lists a lesson's stub files that git knows and that differ
// from the last commit.
func changedStubs(ctx context.Context, root string, l catalog.Lesson) ([]string, error) {
	stubs, err := catalog.StubFiles(root, l)
	if err != nil {
		return nil, err
	}
	tracked, err := gitOutput(ctx, root, append([]string{"ls-files", "--"}, stubs...)...)
	if err != nil {
		return nil, fmt.Errorf("reset restores files from git, and git failed: %v", err)
	}
	files := strings.Fields(tracked)
	if len(files) == 0 {
		return nil, fmt.Errorf("none of lesson %02d's files are known to git, so there is nothing to restore them from", l.Number)
	}
	changed, err := gitOutput(ctx, root, append([]string{"diff", "--name-only", "HEAD", "--"}, files...)...)
	return strings.Fields(changed), err
}

// backUp copies files (relative to root) to a new folder under
// .netlings/backup, named for the time, and returns that folder.
func backUp(root string, files []string) (string, error) {
	dir := filepath.Join(".netlings", "backup", time.Now().Format("2006-01-02T15-04-05.000"))
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return "", err
		}
		dst := filepath.Join(root, dir, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// editedTests lists the lesson's test files that differ from the last
// commit, added ones included. Outside a git checkout it finds none.
func editedTests(ctx context.Context, root string, l catalog.Lesson) []string {
	out, err := gitOutput(ctx, root, "status", "--porcelain", "--untracked-files=all", "--", l.Dir)
	if err != nil {
		return nil
	}
	var edited []string
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 3 && strings.HasSuffix(line, "_test.go") {
			edited = append(edited, strings.TrimSpace(line[3:]))
		}
	}
	return edited
}

func gitOutput(ctx context.Context, root string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = root
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		return "", fmt.Errorf("git %s: %s", args[0], strings.TrimSpace(string(ee.Stderr)))
	}
	return string(out), err
}

func verify(ctx context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("verify", flag.ContinueOnError)
	jobs := flags.Int("jobs", 2, "lessons verified at once")
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	lessons, err := e.someLessons(pos)
	if err != nil {
		return err
	}
	*jobs = max(*jobs, 1)
	// Twice under -race: a second schedule catches what one run hides,
	// and make test must stay under 8 minutes from an empty build cache.
	o := check.Options{Root: e.root, Lessons: e.lessons, Count: 2, Timeout: 5 * time.Minute}
	if ok, why := check.RaceSupported(ctx); ok {
		o.Race = true
	} else {
		fmt.Fprintf(e.stderr, "warning: solutions run without -race: %s\n", why)
	}
	fmt.Fprintf(e.stdout, "%-22s %5s  %-14s %-18s %s\n", "lesson", "tests", "solution", "stub", "stub time")
	// Two lessons at a time: while one compiles, the other's tests mostly
	// wait on timers and sockets. Rows still come out in lesson order.
	type result struct {
		v   check.Verdict
		err error
	}
	results := make([]chan result, len(lessons))
	for i := range lessons {
		results[i] = make(chan result, 1)
	}
	// The longest first, so no long lesson runs alone at the end.
	queue := make(chan int, len(lessons))
	for _, i := range longestFirst(e.root, lessons) {
		queue <- i
	}
	close(queue)
	for range *jobs {
		go func() {
			for i := range queue {
				v, err := check.Verify(ctx, o, lessons[i])
				results[i] <- result{v, err}
			}
		}()
	}
	var broken []check.Verdict
	for i, l := range lessons {
		r := <-results[i]
		if r.err != nil {
			return r.err
		}
		v := r.v
		fmt.Fprintf(e.stdout, "%-22s %5d  %-14s %-18s %s\n", l.Name, v.Exercises, v.Solution, v.Stub, v.StubTime.Round(10*time.Millisecond))
		if !v.OK() {
			broken = append(broken, v)
		}
	}
	for _, v := range broken {
		fmt.Fprintf(e.stdout, "\nlesson %s:\n", v.Lesson.Name)
		for _, p := range v.Problems {
			fmt.Fprintf(e.stdout, "  - %s\n", p)
		}
	}
	fmt.Fprintf(e.stdout, "\nverify: %d passed, %d failed\n", len(lessons)-len(broken), len(broken))
	if len(broken) > 0 {
		return errFailed{}
	}
	return nil
}

func bench(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	solution := fs.Bool("solution", false, "benchmark the reference solution")
	l, err := e.lessonArg(fs, args)
	if err != nil {
		return err
	}
	o := check.Options{Root: e.root, Lessons: e.lessons, Timeout: 10 * time.Minute,
		Args: []string{"-run", "^$", "-bench", ".", "-benchtime", "1x"}}
	if *solution {
		o.Code = check.Solution
	}
	return check.Stream(ctx, o, l, e.stdout, e.stderr)
}

// fuzz runs every fuzz target of the named lessons (default: all) for a
// bounded time each. go test fuzzes one target of one package at a time.
func fuzz(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
	solution := fs.Bool("solution", false, "fuzz the reference solution")
	fuzztime := fs.Duration("time", 20*time.Second, "how long to fuzz each target")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	lessons, err := e.someLessons(pos)
	if err != nil {
		return err
	}
	ran := 0
	for _, l := range lessons {
		targets, err := catalog.Fuzzers(e.root, l)
		if err != nil {
			return err
		}
		for _, target := range targets {
			fmt.Fprintf(e.stdout, "fuzzing %s %s for %s\n", l.Name, target, *fuzztime)
			o := check.Options{Root: e.root, Lessons: e.lessons, Timeout: *fuzztime + 5*time.Minute,
				Args: []string{"-run", "^$", "-fuzz", "^" + target + "$", "-fuzztime", fuzztime.String()}}
			if *solution {
				o.Code = check.Solution
			}
			if err := check.Stream(ctx, o, l, e.stdout, e.stderr); err != nil {
				return fmt.Errorf("%s %s: %v", l.Name, target, err)
			}
			ran++
		}
	}
	fmt.Fprintf(e.stdout, "fuzz: %d targets, no finding\n", ran)
	return nil
}

// longestFirst orders the lessons' indexes by the size of their tests, the
// largest first: a cheap guess at how long each takes to verify.
func longestFirst(root string, lessons []catalog.Lesson) []int {
	size := make([]int64, len(lessons))
	order := make([]int, len(lessons))
	for i, l := range lessons {
		order[i] = i
		files, _ := filepath.Glob(filepath.Join(root, l.Dir, "*_test.go"))
		for _, f := range files {
			if st, err := os.Stat(f); err == nil {
				size[i] += st.Size()
			}
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return size[order[a]] > size[order[b]] })
	return order
}
