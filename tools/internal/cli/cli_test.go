package cli

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/internal/catalog"
)

// A tiny workbook with one lesson, built in a temp dir: the CLI is tested end
// to end on it, with the real go command, as a learner would use it.
var workbook = map[string]string{
	"go.mod": "module netlings\n\ngo 1.26\n",
	"lessons/01_sum/sum.go": `package sum

// Sum adds up xs.
func Sum(xs ...int) int {
	return 0 // TODO: add them up
}
`,
	"lessons/01_sum/sum_test.go": `package sum

import "testing"

func TestSum_AddsNumbers(t *testing.T) {
	if got := Sum(1, 2, 3); got != 6 {
		t.Fatalf("Sum(1, 2, 3) = %d, want 6", got)
	}
}

func TestSum_OfNothingIsZero(t *testing.T) {
	if got := Sum(); got != 0 || Sum(4) != 4 {
		t.Fatalf("Sum() = %d, want 0; Sum(4) = %d, want 4", got, Sum(4))
	}
}
`,
	"solutions/01_sum/sum.go": `package sum

// Sum adds up xs.
func Sum(xs ...int) int {
	total := 0
	for _, x := range xs {
		total += x
	}
	return total
}
`,
	"book/01_sum.md": "# Adding numbers\n\nText.\n\n## Hints\n\nUse a loop.\n\n## Further reading\n\nNone.\n",
}

func newWorkbook(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	t.Chdir(root)
	// No background race warm-up in a workbook the test deletes: the race
	// runtime is in the build cache already, where these tests run.
	t.Setenv("NETLINGS_NO_WARMUP", "1")
	markRaceReady(root)
	return root
}

// commitAll makes root a git repository with everything in one commit, as a
// learner's clone is.
func commitAll(t *testing.T, root string) {
	t.Helper()
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
	}
}

// netlings runs the CLI in the current directory and returns its exit status
// and everything it printed.
func netlings(t *testing.T, stdin string, args ...string) (int, string) {
	t.Helper()
	var out strings.Builder
	code := Main(args, strings.NewReader(stdin), &out, &out)
	return code, out.String()
}

func TestCheckListAndProgress(t *testing.T) {
	root := newWorkbook(t, workbook)

	code, out := netlings(t, "", "list")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "0/1 lessons done")
	assert.Contains(t, out, "01  Adding numbers")
	assert.Contains(t, out, "never checked")

	code, out = netlings(t, "", "check", "1")
	assert.Equal(t, 1, code, "a failing lesson exits 1:\n%s", out)
	assert.Contains(t, out, "✗ TestSum_AddsNumbers")
	assert.Contains(t, out, "Sum(1, 2, 3) = 0, want 6")
	assert.Contains(t, out, "make hint N=1")

	code, out = netlings(t, "", "check", "01_sum", "--solution")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "All 2 exercises pass")

	code, out = netlings(t, "", "list")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "not done", "checking the solution does not count as the learner's progress")

	solved, err := os.ReadFile(filepath.Join(root, "solutions/01_sum/sum.go"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(root, "lessons/01_sum/sum.go"), solved, 0o644))
	code, out = netlings(t, "", "check", "01")
	assert.Equal(t, 0, code, out)
	_, out = netlings(t, "", "list")
	assert.Contains(t, out, "1/1 lessons done")
	_, out = netlings(t, "", "next")
	assert.Contains(t, out, "Every lesson is done")

	require.NoError(t, os.WriteFile(filepath.Join(root, "lessons/01_sum/sum.go"), append(solved, []byte("// edited\n")...), 0o644))
	_, out = netlings(t, "", "list")
	assert.Contains(t, out, "0/1 lessons done", "an edit after the green check makes the lesson pending again")
}

func TestVerify(t *testing.T) {
	newWorkbook(t, workbook)
	code, out := netlings(t, "", "verify")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "fails every test")
	assert.Contains(t, out, "verify: 1 passed, 0 failed")
}

func TestVerifyCatchesATestThatPassesOnTheStub(t *testing.T) {
	files := maps.Clone(workbook)
	files["lessons/01_sum/sum_test.go"] += `
func TestSum_Compiles(t *testing.T) { _ = Sum }
`
	newWorkbook(t, files)
	code, out := netlings(t, "", "verify")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "TestSum_Compiles passes on the untouched stub")
	assert.Contains(t, out, "verify: 0 passed, 1 failed")
}

func TestVerifyCatchesABrokenSolution(t *testing.T) {
	files := maps.Clone(workbook)
	files["solutions/01_sum/sum.go"] = strings.Replace(files["solutions/01_sum/sum.go"], "total += x", "total = x", 1)
	newWorkbook(t, files)
	code, out := netlings(t, "", "verify")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "the solution does not pass TestSum_AddsNumbers")
}

func TestResetRestoresOnlyTheStubs(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	root := newWorkbook(t, workbook)
	commitAll(t, root)
	stub := filepath.Join(root, "lessons/01_sum/sum.go")
	test := filepath.Join(root, "lessons/01_sum/sum_test.go")
	require.NoError(t, os.WriteFile(stub, []byte("package sum // my work\n"), 0o644))
	require.NoError(t, os.WriteFile(test, []byte("package sum // edited test\n"), 0o644))

	code, out := netlings(t, "n\n", "reset", "1")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "Nothing changed")
	data, _ := os.ReadFile(stub)
	assert.Equal(t, "package sum // my work\n", string(data), "answering n keeps the learner's work")

	code, out = netlings(t, "y\n", "reset", "1")
	assert.Equal(t, 0, code, out)
	data, _ = os.ReadFile(stub)
	assert.Equal(t, workbook["lessons/01_sum/sum.go"], string(data))
	data, _ = os.ReadFile(test)
	assert.Equal(t, "package sum // edited test\n", string(data), "reset never touches the tests")
}

func TestMistakesGetOneClearLine(t *testing.T) {
	newWorkbook(t, workbook)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"check", "7"}, 1, `no such lesson "7": the lessons are 1`},
		{[]string{"check", "1", "2"}, 2, "name one lesson"},
		{[]string{"check", "--nope", "1"}, 2, "flag provided but not defined"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"hint", "1", "2"}, 2, "usage: netlings hint [--lang zh] [N]"},
	}
	for _, c := range cases {
		code, out := netlings(t, "", c.args...)
		assert.Equal(t, c.code, code, "%v: %s", c.args, out)
		assert.Contains(t, out, c.want, c.args)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(out), "\n")+1, "one line for %v: %q", c.args, out)
	}
}

func TestNoGoOnPath(t *testing.T) {
	newWorkbook(t, workbook)
	t.Setenv("PATH", t.TempDir())
	code, out := netlings(t, "", "check", "1")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "needs the `go` command on your PATH")
}

func TestOutsideTheWorkbook(t *testing.T) {
	t.Chdir(t.TempDir())
	code, out := netlings(t, "", "list")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "not inside the netlings workbook")
}

func TestHintPrintsTheChaptersHintsSection(t *testing.T) {
	newWorkbook(t, workbook)
	code, out := netlings(t, "", "hint", "1")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "Hints for lesson 01 · Adding numbers")
	assert.Contains(t, out, "Use a loop.")
	assert.NotContains(t, out, "Further reading", "only the Hints section")
}

func TestVerifyKeepsGivenCodeInStep(t *testing.T) {
	const given = "package sum\n\n//netlings:given\n// Given is shared by the exercises.\nconst Given = 1\n"
	cases := []struct {
		name             string
		lesson, solution string // "" for no file
		want             string // a problem verify reports, "" for none
	}{
		{"given and copied", given, given, ""},
		{"given, copy drifted", given, strings.Replace(given, "= 1", "= 2", 1), "lessons/01_sum/given.go is given code (//netlings:given) but differs from solutions/01_sum/given.go"},
		{"given, no copy", given, "", "has no copy in solutions/01_sum/given.go"},
		{"copied but not marked", "package sum\n\nconst Given = 1\n", "package sum\n\nconst Given = 1\n", "mark both with a //netlings:given line"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := maps.Clone(workbook)
			files["lessons/01_sum/given.go"] = c.lesson
			if c.solution != "" {
				files["solutions/01_sum/given.go"] = c.solution
			}
			newWorkbook(t, files)
			code, out := netlings(t, "", "verify")
			if c.want == "" {
				assert.Equal(t, 0, code, out)
				return
			}
			assert.Equal(t, 1, code, out)
			assert.Contains(t, out, c.want)
		})
	}
}

func TestVerifySaysWhenASolvedStubIsLocalWork(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	root := newWorkbook(t, workbook)
	commitAll(t, root)
	solved, err := os.ReadFile(filepath.Join(root, "solutions/01_sum/sum.go"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(root, "lessons/01_sum/sum.go"), solved, 0o644))
	code, out := netlings(t, "", "verify")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "lessons/01_sum has local changes: verify judges the stubs on disk")
}

func TestHintWithoutANumberIsForTheLessonYouAreOn(t *testing.T) {
	newWorkbook(t, workbook)
	code, out := netlings(t, "", "hint")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "Hints for lesson 01 · Adding numbers")
}

func TestCheckCountRunsTheTestsSeveralTimes(t *testing.T) {
	root := newWorkbook(t, workbook)
	require.NoError(t, os.WriteFile(filepath.Join(root, "lessons/01_sum/sum.go"), []byte(workbook["solutions/01_sum/sum.go"]), 0o644))
	code, out := netlings(t, "", "check", "--count", "3", "1")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "running the tests 3 times")

	code, out = netlings(t, "", "check", "--count", "0", "1")
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "--count needs a number of runs")
}

func TestLatestCheckCancelsTheStaleRun(t *testing.T) {
	var c latestCheck
	var out strings.Builder
	firstStopped := make(chan struct{})
	c.start(t.Context(), &out, catalog.Lesson{Number: 1}, func(ctx context.Context, _ catalog.Lesson) {
		<-ctx.Done() // a hung check
		close(firstStopped)
	})
	second := make(chan int, 1)
	c.start(t.Context(), &out, catalog.Lesson{Number: 2}, func(ctx context.Context, l catalog.Lesson) {
		select {
		case <-firstStopped:
			second <- l.Number
		default:
			second <- -1 // the stale check was still running
		}
	})
	c.stop()
	assert.Equal(t, 2, <-second, "the second check starts only after the first was cancelled and gone")
	assert.Contains(t, out.String(), "a newer save: stopping this check and starting again")
}

func TestResetKeepsACopyAndResetsAll(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	root := newWorkbook(t, workbook)
	commitAll(t, root)
	stub := filepath.Join(root, "lessons/01_sum/sum.go")
	require.NoError(t, os.WriteFile(stub, []byte("package sum // my work\n"), 0o644))

	code, out := netlings(t, "", "reset", "--yes", "--all")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "Every lesson's stub files are back")
	data, _ := os.ReadFile(stub)
	assert.Equal(t, workbook["lessons/01_sum/sum.go"], string(data))

	copies, _ := filepath.Glob(filepath.Join(root, ".netlings/backup/*/lessons/01_sum/sum.go"))
	require.Len(t, copies, 1, "reset keeps a copy of what it replaces: %s", out)
	data, _ = os.ReadFile(copies[0])
	assert.Equal(t, "package sum // my work\n", string(data))
	assert.Contains(t, out, filepath.Dir(filepath.Dir(filepath.Dir(strings.TrimPrefix(copies[0], root+"/")))))

	code, out = netlings(t, "", "reset", "--all", "1")
	assert.Equal(t, 2, code, out)
}

func TestCheckDoesNotCountEditedTests(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	root := newWorkbook(t, workbook)
	commitAll(t, root)
	require.NoError(t, os.WriteFile(filepath.Join(root, "lessons/01_sum/sum_test.go"),
		[]byte("package sum\n\nimport \"testing\"\n\nfunc TestSum_AddsNumbers(t *testing.T) {}\n\nfunc TestSum_OfNothingIsZero(t *testing.T) {}\n"), 0o644))
	code, out := netlings(t, "", "check", "1")
	assert.Equal(t, 0, code, out) // the tests as edited do pass...
	assert.Contains(t, out, "you changed this lesson's tests (lessons/01_sum/sum_test.go)")
	assert.Contains(t, out, "Not recorded as done")
	_, out = netlings(t, "", "list")
	assert.Contains(t, out, "0/1 lessons done", "...but the lesson is not done")
}

func TestFirstCheckRunsWithoutRaceWhileTheRaceRuntimeWarms(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("the warm-up needs a POSIX shell")
	}
	root := newWorkbook(t, workbook)
	require.NoError(t, os.Remove(filepath.Join(root, raceReadyFile)))
	t.Setenv("NETLINGS_NO_WARMUP", "")
	require.NoError(t, os.WriteFile(filepath.Join(root, "lessons/01_sum/sum.go"), []byte(workbook["solutions/01_sum/sum.go"]), 0o644))

	code, out := netlings(t, "", "check", "1")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "checking lesson 01: go test -vet=off ./lessons/01_sum …", "the first verdict comes without -race and vet")
	assert.Contains(t, out, "a quick run without the race detector and go vet; Go builds its race runtime in the background after this report")
	assert.Contains(t, out, "checking lesson 01: go test -race ./lessons/01_sum …", "a pass is confirmed under -race")
	_, list := netlings(t, "", "list")
	assert.Contains(t, list, "1/1 lessons done")

	// Let the warm-up finish before the workbook is deleted.
	require.Eventually(t, func() bool {
		_, err := os.Stat(filepath.Join(root, raceWarmingFile))
		return os.IsNotExist(err)
	}, 2*time.Minute, 100*time.Millisecond, "the race warm-up never finished")
	assert.True(t, raceReady(root))

	_, out = netlings(t, "", "check", "1")
	assert.NotContains(t, out, "without the race detector", "once the race runtime is built, every check runs under -race")
}

func TestAVetProblemKeepsALessonFromBeingDoneEvenOnTheQuickFirstCheck(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("the warm-up needs a POSIX shell")
	}
	root := newWorkbook(t, workbook)
	require.NoError(t, os.Remove(filepath.Join(root, raceReadyFile)))
	t.Setenv("NETLINGS_NO_WARMUP", "")
	// Right answers, and a Printf verb that vet rejects.
	vetBad := strings.Replace(workbook["solutions/01_sum/sum.go"], "package sum\n", "package sum\n\nimport \"fmt\"\n\nvar _ = fmt.Sprintf(\"%d\", \"not a number\")\n", 1)
	require.NoError(t, os.WriteFile(filepath.Join(root, "lessons/01_sum/sum.go"), []byte(vetBad), 0o644))

	code, out := netlings(t, "", "check", "1")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "go test -vet=off ./lessons/01_sum", "the quick first run skips vet...")
	assert.Contains(t, out, "go test -race ./lessons/01_sum", "...its pass is confirmed under -race, with vet...")
	assert.Contains(t, out, "Sprintf format %d has arg", "...which reports the problem")
	_, list := netlings(t, "", "list")
	assert.Contains(t, list, "0/1 lessons done")
}

func TestAFailingFirstCheckWarmsTheRaceRuntimeAfterItsReport(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("the warm-up needs a POSIX shell")
	}
	root := newWorkbook(t, workbook)
	require.NoError(t, os.Remove(filepath.Join(root, raceReadyFile)))
	t.Setenv("NETLINGS_NO_WARMUP", "")

	code, out := netlings(t, "", "check", "1") // the stub: a failing first check
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "checking lesson 01: go test -vet=off ./lessons/01_sum …", "the first verdict comes without -race")
	assert.NotContains(t, out, "go test -race", "a failing check is not confirmed under -race")
	_, err := os.Stat(filepath.Join(root, raceWarmingFile))
	assert.NoError(t, err, "once the report is out, the race runtime warms in the background")
	require.Eventually(t, func() bool { return raceReady(root) }, 2*time.Minute, 100*time.Millisecond, "the race warm-up never finished")
}

func TestHintSpeaksChineseWhenAskedOrWhenTheLocaleIsChinese(t *testing.T) {
	files := maps.Clone(workbook)
	files["book/zh/01_sum.md"] = "# 数字相加 {#adding-numbers}\n\n## 提示 {#hints}\n\n用一个循环。\n\n## 延伸阅读 {#further-reading}\n\n不要。\n"
	newWorkbook(t, files)
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("LANG", "en_US.UTF-8")
	code, out := netlings(t, "", "hint", "--lang", "zh", "1")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "用一个循环。")
	assert.Contains(t, out, "第 01 课的提示 · 数字相加（出自 book/zh/01_sum.md）", "the heading is Chinese too, without the {#id}")
	assert.NotContains(t, out, "不要", "only the hints section")

	t.Setenv("LANG", "zh_CN.UTF-8")
	_, out = netlings(t, "", "hint", "1")
	assert.Contains(t, out, "用一个循环。", "a Chinese locale picks the Chinese hints")
	_, out = netlings(t, "", "hint", "--lang", "en", "1")
	assert.Contains(t, out, "Use a loop.", "--lang en wins over the locale")
}

func TestHintFallsBackToEnglishWithoutATranslation(t *testing.T) {
	newWorkbook(t, workbook)
	code, out := netlings(t, "", "hint", "--lang", "zh", "1")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "no zh translation of book/01_sum.md yet")
	assert.Contains(t, out, "Use a loop.")
}

func TestListShowsWholeTitlesWhenTheyFit(t *testing.T) {
	long := []catalog.Lesson{{Title: strings.Repeat("t", 60)}, {Title: "short"}}
	assert.Equal(t, 60, titleWidth(long, 0), "not a terminal: titles are never cut")
	assert.Equal(t, 60, titleWidth(long, 200), "a wide terminal shows the whole title")
	assert.Equal(t, 100-22, titleWidth(append(long, catalog.Lesson{Title: strings.Repeat("u", 90)}), 100), "the title column takes what the line leaves")
	assert.Equal(t, minTitle, titleWidth(long, 60), "a narrow terminal still gets a readable column")
	assert.Equal(t, minTitle, titleWidth([]catalog.Lesson{{Title: "short"}}, 200), "short titles keep the table's width")

	files := maps.Clone(workbook)
	files["lessons/02_long/long.go"] = "package long\n"
	files["book/02_long.md"] = "# " + strings.Repeat("A very long title ", 4) + "indeed\n\n## Hints\n\nNone.\n"
	newWorkbook(t, files)
	t.Setenv("COLUMNS", "200")
	_, out := netlings(t, "", "list")
	assert.Contains(t, out, strings.Repeat("A very long title ", 4)+"indeed", "on a wide terminal the title is whole")
	t.Setenv("COLUMNS", "80")
	_, out = netlings(t, "", "list")
	assert.Contains(t, out, "…", "on an 80-column terminal a long title is cut")
	for _, line := range strings.Split(out, "\n") {
		assert.LessOrEqual(t, utf8.RuneCountInString(line), 80, "every line fits 80 columns: %q", line)
	}
}
