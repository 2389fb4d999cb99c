package mutate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"netlings/tools/internal/catalog"
	"netlings/tools/internal/check"
)

// Status is what the tests made of one mutant.
type Status string

const (
	Killed     Status = "killed"           // a test failed, crashed or timed out
	Survived   Status = "survived"         // every test passed: the tests cannot tell
	NoCompile  Status = "does not compile" // not a wrong answer a learner could hand in
	Equivalent Status = "equivalent"       // listed in EquivalentFile, with a reason
	NotRun     Status = "not run"          // the time budget ran out first
)

// Result is one mutant and its fate.
type Result struct {
	Mutant
	Status Status
	Test   string // the first test that failed, for a killed mutant
	Reason string // why it is equivalent
}

// Options says how to run.
type Options struct {
	Root    string
	Lessons []catalog.Lesson
	Jobs    int           // mutants tested at once; 0 means one per CPU
	Sample  int           // test only this many mutants per lesson (0: all)
	Seed    uint64        // which sample
	Race    bool          // run the tests under -race (slower, catches more)
	Timeout time.Duration // per mutant; 0 means three times the solution's own run, at least 20 s
	Fresh   bool          // ignore results saved by an earlier run
	// Deadline, when set, is when no more mutants start; the ones still
	// running are stopped and reported as not run.
	Deadline time.Time
	Progress io.Writer // one line per mutant as it finishes; may be nil
}

// Report is a lesson's results, in mutant order.
type Report struct {
	Lesson  catalog.Lesson
	Results []Result
	Stale   []string // equivalent-file entries that match no mutant
	Elapsed time.Duration
}

// Count returns how many results have status s.
func (r *Report) Count(s Status) int {
	n := 0
	for _, res := range r.Results {
		if res.Status == s {
			n++
		}
	}
	return n
}

// Score is the share of the mutants that count (killed or survived) that
// were killed, in percent; 100 when none count.
func (r *Report) Score() float64 {
	k, s := r.Count(Killed), r.Count(Survived)
	if k+s == 0 {
		return 100
	}
	return 100 * float64(k) / float64(k+s)
}

// Mutants makes every mutant of a lesson's solution, file by file in name
// order. Given files (//netlings:given) are not the learner's work and are
// left alone.
func Mutants(root string, l catalog.Lesson) ([]Mutant, error) {
	files, err := catalog.SolutionFiles(root, l)
	if err != nil {
		return nil, err
	}
	var all []Mutant
	for _, f := range files {
		src, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return nil, err
		}
		if strings.Contains(string(src), "\n//netlings:given") {
			continue
		}
		stub := filepath.ToSlash(filepath.Join(l.Dir, filepath.Base(f)))
		if _, err := os.Stat(filepath.Join(root, stub)); err != nil {
			stub = ""
		}
		ms, err := File(root, f, stub)
		if err != nil {
			return nil, err
		}
		all = append(all, ms...)
	}
	return all, nil
}

// Lesson makes a lesson's mutants and runs its tests against each one.
func Lesson(ctx context.Context, o Options, l catalog.Lesson) (*Report, error) {
	start := time.Now()
	mutants, err := Mutants(o.Root, l)
	if err != nil {
		return nil, err
	}
	equiv, err := ReadEquivalents(o.Root, l)
	if err != nil {
		return nil, err
	}
	rep := &Report{Lesson: l, Stale: equiv.stale(mutants)}
	if o.Sample > 0 {
		mutants = sample(mutants, o.Sample, o.Seed)
	}
	timeout := o.Timeout
	switch {
	case timeout > 0:
	case o.Sample > 0 || !o.Deadline.IsZero():
		// A quick pass has no time for a baseline run; verify has already
		// shown that the solution passes.
		timeout = time.Minute
	default:
		if timeout, err = baseline(ctx, o, l); err != nil {
			return nil, err
		}
	}
	saved := loadSaved(o.Root, l, o.Fresh)
	testsKey, err := testsHash(o.Root, l, o.Race)
	if err != nil {
		return nil, err
	}

	rep.Results = make([]Result, len(mutants))
	jobs := o.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	var mu sync.Mutex
	// known is what needs no run: an equivalent, or an earlier run's result.
	known := func(m Mutant) (Result, bool) {
		if reason, ok := equiv.entries[m.ID]; ok {
			return Result{Mutant: m, Status: Equivalent, Reason: reason}, true
		}
		if prev, ok := saved.get(m.key(testsKey)); ok {
			return Result{Mutant: m, Status: prev.Status, Test: prev.Test}, true
		}
		return Result{Mutant: m}, false
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range jobs {
		wg.Go(func() {
			for i := range next {
				m := mutants[i]
				res, ok := known(m)
				if !ok {
					res.Status, res.Test = runMutant(ctx, o, l, m, timeout)
					if res.Status != NotRun {
						saved.put(m.key(testsKey), res)
					}
				}
				mu.Lock()
				rep.Results[i] = res
				if o.Progress != nil && res.Status != Equivalent {
					fmt.Fprintf(o.Progress, "  %-16s %s:%d %s\n", res.Status, m.File, m.Line, m.Diff())
				}
				mu.Unlock()
			}
		})
	}
	for i := range mutants {
		if !o.Deadline.IsZero() && time.Now().After(o.Deadline) || ctx.Err() != nil {
			// Out of time, but what earlier runs found still counts.
			res, ok := known(mutants[i])
			if !ok {
				res.Status = NotRun
			}
			rep.Results[i] = res
			continue
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := saved.save(); err != nil {
		return nil, err
	}
	rep.Elapsed = time.Since(start)
	return rep, ctx.Err()
}

// baseline runs the unchanged solution once: it must pass, or every mutant
// would look killed. Its time sets the per-mutant limit.
func baseline(ctx context.Context, o Options, l catalog.Lesson) (time.Duration, error) {
	t0 := time.Now()
	run, err := check.Tests(ctx, testOptions(o, 5*time.Minute), l)
	if err != nil {
		return 0, err
	}
	if !run.Passed {
		return 0, fmt.Errorf("%s: the reference solution does not pass its own tests (run `netlings check --solution %d`), so no mutant can be judged", l.Name, l.Number)
	}
	return max(20*time.Second, 3*time.Since(t0)), nil
}

func testOptions(o Options, timeout time.Duration) check.Options {
	return check.Options{
		Root: o.Root, Lessons: o.Lessons, Code: check.Solution, Race: o.Race, Count: 1,
		Timeout: timeout, Args: []string{"-failfast"},
	}
}

// runMutant runs the lesson's tests with one solution file swapped for the
// mutant, through the same overlay the checker uses.
func runMutant(ctx context.Context, o Options, l catalog.Lesson, m Mutant, timeout time.Duration) (Status, string) {
	dir, err := os.MkdirTemp("", "netlings-mutant-")
	if err != nil {
		return NotRun, ""
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, filepath.Base(m.File))
	if err := os.WriteFile(path, m.Src, 0o644); err != nil {
		return NotRun, ""
	}
	co := testOptions(o, timeout)
	co.Replace = map[string]string{filepath.Join(o.Root, l.Dir, filepath.Base(m.File)): path}

	// The go command itself is bounded too: compiling counts.
	limit := timeout + 2*time.Minute
	if !o.Deadline.IsZero() {
		limit = min(limit, time.Until(o.Deadline))
	}
	rctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	run, err := check.Tests(rctx, co, l)
	switch {
	case err != nil:
		return NotRun, ""
	case run.BuildFailed:
		return NoCompile, ""
	case run.Passed:
		return Survived, ""
	}
	for _, t := range run.TopLevel() {
		if t.Status.String() == "fail" {
			return Killed, t.Name
		}
	}
	if run.Crash != nil {
		return Killed, run.Crash.Test
	}
	return Killed, ""
}

// sample picks k mutants, the same k for the same seed, kept in file order.
func sample(ms []Mutant, k int, seed uint64) []Mutant {
	if k >= len(ms) {
		return ms
	}
	idx := rand.New(rand.NewPCG(seed, 0x6e65746c696e6773)).Perm(len(ms))[:k]
	slices.Sort(idx)
	out := make([]Mutant, k)
	for i, j := range idx {
		out[i] = ms[j]
	}
	return out
}

func (m Mutant) key(testsKey string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", testsKey, m.ID)
	h.Write(m.Src)
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// testsHash changes whenever the lesson's tests change, or the testkit
// they are built on, so saved results are only reused for the tests that
// produced them.
func testsHash(root string, l catalog.Lesson, race bool) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "race=%v\x00", race)
	if err := hashFiles(h, filepath.Join(root, l.Dir), func(name string) bool { return strings.HasSuffix(name, "_test.go") }); err != nil {
		return "", err
	}
	err := hashFiles(h, filepath.Join(root, testkitDir), func(name string) bool {
		return strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// testkitDir holds the helpers every lesson's tests use.
const testkitDir = "tools/testkit"

// hashFiles writes the name, size and contents of each file in dir that
// keep selects to h, in name order.
func hashFiles(h io.Writer, dir string, keep func(name string) bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !keep(e.Name()) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", e.Name(), len(data))
		h.Write(data)
	}
	return nil
}

// savedResults makes a run resumable: .netlings/mutate/NN_slug.json maps a
// mutant (and the tests it met) to its status.
type savedResults struct {
	path string
	mu   sync.Mutex
	m    map[string]Result
}

type savedEntry struct {
	Status Status `json:"status"`
	Test   string `json:"test,omitempty"`
}

func loadSaved(root string, l catalog.Lesson, fresh bool) *savedResults {
	s := &savedResults{path: filepath.Join(root, ".netlings", "mutate", l.Name+".json"), m: map[string]Result{}}
	if fresh {
		return s
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		return s
	}
	var entries map[string]savedEntry
	if json.Unmarshal(data, &entries) != nil {
		return s // a damaged file costs a rerun, nothing more
	}
	for k, e := range entries {
		s.m[k] = Result{Status: e.Status, Test: e.Test}
	}
	return s
}

func (s *savedResults) get(key string) (Result, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.m[key]
	return r, ok
}

func (s *savedResults) put(key string, r Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = r
}

func (s *savedResults) save() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	entries := make(map[string]savedEntry, len(s.m))
	for k, r := range s.m {
		entries[k] = savedEntry{Status: r.Status, Test: r.Test}
	}
	data, err := json.MarshalIndent(entries, "", "\t")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(s.path, data, 0o644)
}

// ErrEquivalentFile wraps every mistake in an equivalents file.
var ErrEquivalentFile = errors.New("equivalent-mutants file")
