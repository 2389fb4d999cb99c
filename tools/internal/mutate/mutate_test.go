package mutate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/internal/catalog"
)

// A one-lesson workbook whose tests kill some mutants and miss others.
var workbook = map[string]string{
	"go.mod":                  "module netlings\n\ngo 1.26\n",
	"lessons/01_sum/sum.go":   "package sum\n\nfunc Sum(xs ...int) int { return 0 }\n\nfunc Positive(x int) bool { return false }\n\nfunc Parse(s string) (int, error) { return 0, nil }\n",
	"solutions/01_sum/sum.go": solution,
	"lessons/01_sum/sum_test.go": `package sum

import "testing"

func TestSum(t *testing.T) {
	if Sum(1, 2, 3) != 6 {
		t.Fatal("Sum(1, 2, 3) != 6")
	}
}

// Zero is never tried: x >= 0 survives.
func TestPositive(t *testing.T) {
	if !Positive(1) || !Positive(5) || Positive(-1) {
		t.Fatal("Positive")
	}
}

func TestParse(t *testing.T) {
	if n, err := Parse("12"); n != 12 || err != nil {
		t.Fatal("Parse(12)")
	}
}
`,
}

const solution = `package sum

import "strconv"

func Sum(xs ...int) int {
	total := 0
	for _, x := range xs {
		total += x
	}
	return total
}

func Positive(x int) bool {
	return x > 0
}

func Parse(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, err
	}
	return n, nil
}
`

func newWorkbook(t *testing.T) (string, catalog.Lesson, []catalog.Lesson) {
	t.Helper()
	root := t.TempDir()
	for name, content := range workbook {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	lessons, err := catalog.Discover(root)
	require.NoError(t, err)
	return root, lessons[0], lessons
}

func ids(ms []Mutant) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func TestFile_MakesTheSameMutantsEveryTime(t *testing.T) {
	root, _, _ := newWorkbook(t)
	ms, err := File(root, "solutions/01_sum/sum.go", "")
	require.NoError(t, err)
	assert.Equal(t, []string{
		"sum.go:Sum:constant:`0` → `1`",
		"sum.go:Positive:boundary:`x > 0` → `x >= 0`",
		"sum.go:Positive:constant:`0` → `1`",
		"sum.go:Parse:drop error check:`if err != nil { return 0, err }` → `(removed)`",
		"sum.go:Parse:negate:`err != nil` → `!(err != nil)`",
		"sum.go:Parse:swallow error:`return 0, err` → `return 0, nil`",
		"sum.go:Parse:constant:`0` → `1`",
	}, ids(ms))
	again, err := File(root, "solutions/01_sum/sum.go", "")
	require.NoError(t, err)
	assert.Equal(t, ms, again)
	assert.Contains(t, string(ms[1].Src), "return x >= 0")
	assert.Equal(t, 14, ms[1].Line)
}

func TestFile_CoversEveryKindOfChange(t *testing.T) {
	root := t.TempDir()
	src := `package p

import (
	"context"
	"strings"
	"sync"
)

func f(ctx context.Context, mu *sync.Mutex, a, b string, c chan int) {
	mu.Lock()
	defer mu.Unlock()
	go g(ctx)
	if strings.EqualFold(a, b) && a < b {
		return
	}
	select {
	case <-ctx.Done():
	case c <- 1:
	}
}

func g(context.Context) {}
`
	require.NoError(t, os.WriteFile(filepath.Join(root, "p.go"), []byte(src), 0o644))
	ms, err := File(root, "p.go", "")
	require.NoError(t, err)
	got := strings.Join(ids(ms), "\n")
	for _, want := range []string{
		"p.go:f:remove defer:`defer mu.Unlock()` → `(removed)`",
		"p.go:f:go inline:`go g(ctx)` → `g(ctx)`",
		"p.go:f:ignore ctx:`g(ctx)` → `g(context.Background())`",
		"p.go:f:boundary:`strings.EqualFold(a, b) && a < b` → `strings.EqualFold(a, b) || a < b`",
		"p.go:f:boundary:`a < b` → `a <= b`",
		"p.go:f:case:`strings.EqualFold(a, b)` → `func() bool { return a == b }()`",
		"p.go:f:remove select case:`case <-ctx.Done()` → `(removed)`",
		"p.go:f:remove select case:`case c <- 1` → `(removed)`",
	} {
		assert.Contains(t, got, want)
	}
}

func TestLesson_TellsKilledFromSurvivedFromNotCompiling(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test once per mutant")
	}
	root, l, lessons := newWorkbook(t)
	equiv := "# reviewed\nsum.go:Parse:constant:`0` → `1` -- the 0 is returned with an error, and callers ignore it\n"
	require.NoError(t, os.WriteFile(filepath.Join(root, l.Dir, EquivalentFile), []byte(equiv), 0o644))

	o := Options{Root: root, Lessons: lessons, Timeout: time.Minute}
	rep, err := Lesson(context.Background(), o, l)
	require.NoError(t, err)
	status := map[string]Status{}
	for _, r := range rep.Results {
		status[r.ID] = r.Status
	}
	assert.Equal(t, map[string]Status{
		"sum.go:Sum:constant:`0` → `1`":                                                 Killed,
		"sum.go:Positive:boundary:`x > 0` → `x >= 0`":                                   Survived,
		"sum.go:Positive:constant:`0` → `1`":                                            Killed,
		"sum.go:Parse:drop error check:`if err != nil { return 0, err }` → `(removed)`": NoCompile,
		"sum.go:Parse:negate:`err != nil` → `!(err != nil)`":                            Killed,
		"sum.go:Parse:swallow error:`return 0, err` → `return 0, nil`":                  Survived,
		"sum.go:Parse:constant:`0` → `1`":                                               Equivalent,
	}, status)
	assert.InDelta(t, 60.0, rep.Score(), 0.01, "3 killed of 5 that count")
	assert.Empty(t, rep.Stale)

	// A second run reuses the saved results: no go test at all.
	start := time.Now()
	again, err := Lesson(context.Background(), o, l)
	require.NoError(t, err)
	assert.Equal(t, rep.Results, again.Results)
	assert.Less(t, time.Since(start), 2*time.Second)

	// Out of time before the first mutant: what earlier runs found still counts.
	late := o
	late.Deadline = time.Now().Add(-time.Second)
	again, err = Lesson(context.Background(), late, l)
	require.NoError(t, err)
	assert.Equal(t, rep.Results, again.Results)

	// The tests are built on testkit too: a change there is a change of the tests.
	require.NoError(t, os.MkdirAll(filepath.Join(root, testkitDir), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, testkitDir, "kit.go"), []byte("package testkit\n"), 0o644))
	again, err = Lesson(context.Background(), late, l)
	require.NoError(t, err)
	assert.Equal(t, 6, again.Count(NotRun), "a testkit change leaves no saved result valid")
	assert.Equal(t, 1, again.Count(Equivalent))
}

func TestReadEquivalents_RefusesAnEntryWithoutAReason(t *testing.T) {
	root, l, _ := newWorkbook(t)
	path := filepath.Join(root, l.Dir, EquivalentFile)
	for _, bad := range []string{"sum.go:Sum:constant:`0` → `1`\n", "sum.go:Sum:constant:`0` → `1` -- \n", "just words\n"} {
		require.NoError(t, os.WriteFile(path, []byte(bad), 0o644))
		_, err := ReadEquivalents(root, l)
		require.ErrorIs(t, err, ErrEquivalentFile, "%q", bad)
		assert.Contains(t, err.Error(), ":1: every entry is a mutant's id")
	}

	require.NoError(t, os.WriteFile(path, []byte("a.go:f:case:`x` → `y`#2 -- same -- really\n"), 0o644))
	e, err := ReadEquivalents(root, l)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a.go:f:case:`x` → `y`#2": "same -- really"}, e.entries)
	assert.Equal(t, []string{"a.go:f:case:`x` → `y`#2"}, e.stale(nil))
}

func TestSample_IsDeterministicAndKeepsFileOrder(t *testing.T) {
	ms := make([]Mutant, 20)
	for i := range ms {
		ms[i].Line = i
	}
	a, b := sample(ms, 5, 7), sample(ms, 5, 7)
	assert.Equal(t, a, b)
	assert.Len(t, a, 5)
	assert.IsIncreasing(t, []int{a[0].Line, a[1].Line, a[2].Line, a[3].Line, a[4].Line})
	assert.NotEqual(t, a, sample(ms, 5, 8))
	assert.Equal(t, ms, sample(ms, 50, 1))
}

func TestFile_LeavesGivenFunctionsAlone(t *testing.T) {
	root, _, _ := newWorkbook(t)
	// The stub has Positive exactly as the solution does: given code.
	stub := "package sum\n\nfunc Sum(xs ...int) int { return 0 }\n\n// Positive, documented differently.\nfunc Positive(x int) bool {\n\treturn x > 0\n}\n"
	require.NoError(t, os.WriteFile(filepath.Join(root, "lessons/01_sum/sum.go"), []byte(stub), 0o644))
	ms, err := File(root, "solutions/01_sum/sum.go", "lessons/01_sum/sum.go")
	require.NoError(t, err)
	for _, id := range ids(ms) {
		assert.NotContains(t, id, ":Positive:", "Positive is the same in the stub: not the learner's work")
	}
	assert.Contains(t, ids(ms), "sum.go:Sum:constant:`0` → `1`")
}
