package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/internal/catalog"
	"netlings/tools/internal/gotest"
)

var echo = catalog.Lesson{Number: 2, Name: "02_echo", Dir: "lessons/02_echo", Chapter: "book/02_echo.md", Title: "TCP echo"}

// recorded parses one of the event streams recorded in gotest's testdata.
func recorded(t *testing.T, name string) *gotest.Run {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "gotest", "testdata", name))
	require.NoError(t, err)
	defer f.Close()
	run, err := gotest.Parse(f)
	require.NoError(t, err)
	return run
}

func TestReportSaysWhatWentWrongInPlainWords(t *testing.T) {
	cases := []struct {
		stream string
		tests  []string
		want   []string // lines or fragments, in this order
		absent []string
	}{
		{"build_error.json", []string{"TestF"}, []string{
			"lesson 02 does not build",
			`lessons/02_echo/a.go:2:23: cannot use "x" (untyped string constant) as int value`,
			"Fix the first error above",
		}, []string{"# netlings", "✓", "exercises pass"}},
		{"vet_error.json", []string{"TestF"}, []string{
			"does not build", "lessons/02_echo/a.go:3:39: fmt.Sprintf format %d",
		}, nil},
		{"mixed.json", []string{"TestA", "TestB", "TestS", "TestNeverRan"}, []string{
			"✓ TestA", "✗ TestB", "- TestS (skipped)", "· TestNeverRan (did not run)",
			"First failure: TestB", "a_test.go:4: want 1, got 2",
			"1 of 4 exercises pass", "make hint N=2",
		}, []string{"=== RUN", "--- FAIL"}},
		{"panic_in_goroutine.json", []string{"TestA", "TestB"}, []string{
			"✗ TestA (did not finish)", "· TestB (did not run)",
			"TestA crashed with a panic: assignment to entry in nil map",
			"the tests after it did not run",
			"Look at lessons/02_echo/a.go:2.",
		}, nil},
		{"timeout.json", []string{"TestOK", "TestSlow"}, []string{
			"✓ TestOK", "the lesson's tests ran out of their time (3s) while TestSlow was running",
			"waits forever", "Look at lessons/02_echo/a_test.go:4.",
		}, nil},
		{"race.json", []string{"TestRace"}, []string{
			"the race detector found a data race", "lessons/02_echo/a_test.go:3", "mutex",
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.stream, func(t *testing.T) {
			r := NewResult(echo, c.tests, recorded(t, c.stream))
			assert.False(t, r.Passed(), "a failing run is not done")
			var out strings.Builder
			r.Write(&out, "/home/learner/netlings", Style{}, nil)
			text := out.String()
			at := 0
			for _, w := range c.want {
				i := strings.Index(text[at:], w)
				if !assert.GreaterOrEqual(t, i, 0, "report lacks %q after position %d:\n%s", w, at, text) {
					return
				}
				at += i + len(w)
			}
			for _, a := range c.absent {
				assert.NotContains(t, text, a)
			}
			assert.NotContains(t, text, "/home/learner/netlings/", "paths are relative to the workbook")
		})
	}
}

func TestReportOfADoneLesson(t *testing.T) {
	stream := `{"Action":"run","Test":"TestA"}
{"Action":"pass","Test":"TestA","Elapsed":0.1}
{"Action":"run","Test":"TestB"}
{"Action":"pass","Test":"TestB","Elapsed":0.1}
{"Action":"pass","Elapsed":0.3}
`
	run, err := gotest.Parse(strings.NewReader(stream))
	require.NoError(t, err)
	r := NewResult(echo, []string{"TestA", "TestB"}, run)
	assert.True(t, r.Passed())
	var out strings.Builder
	r.Write(&out, "", Style{}, []string{"race detector off: cgo is off"})
	assert.Contains(t, out.String(), "note: race detector off")
	assert.Contains(t, out.String(), "All 2 exercises pass: lesson 02 is done.")

	r = NewResult(echo, []string{"TestA", "TestB", "TestC"}, run)
	assert.False(t, r.Passed(), "an exercise that never ran is not passed")
}

func TestColourOnlyWhenAsked(t *testing.T) {
	assert.Equal(t, "ok", Style{}.Green("ok"))
	assert.Equal(t, "\x1b[32mok\x1b[0m", Style{Color: true}.Green("ok"))
}

func TestFailureTextTidiesTestifyOutput(t *testing.T) {
	in := []string{
		"    x_test.go:87: ",
		"        \tError Trace:\t/home/learner/netlings/lessons/01_a/x_test.go:87",
		"        \tError:      \tNot equal: ",
		"        \t            \texpected: \"unspecified\"",
		"        \t            \tactual  : \"invalid\"",
		"        \t            \tDiff:",
		"        \t            \t--- Expected",
		"        \t            \t+++ Actual",
		"        \t            \t@@ -1 +1 @@",
		"        \tTest:       \tTestClassify/0.0.0.0",
		"        \tMessages:   \tClassify(0.0.0.0) = invalid",
	}
	got := strings.Join(failureText(in, "/home/learner/netlings"), "\n")
	assert.Contains(t, got, "Error Trace:  lessons/01_a/x_test.go:87")
	assert.Contains(t, got, `actual  : "invalid"`)
	assert.Contains(t, got, "Messages:     Classify(0.0.0.0) = invalid")
	assert.NotContains(t, got, "Diff")
	assert.NotContains(t, got, "@@")
	assert.NotContains(t, got, "Test: ")
	assert.True(t, strings.HasPrefix(got, "x_test.go:87:"), "common indentation removed: %q", got)
}

func TestReportOfACrashAlsoNamesARace(t *testing.T) {
	run := recorded(t, "timeout.json")
	run.Race = true // as when a goroutine raced before the test hung
	var out strings.Builder
	NewResult(echo, []string{"TestOK", "TestSlow"}, run).Write(&out, "", Style{}, nil)
	assert.Contains(t, out.String(), "ran out of their time")
	assert.Contains(t, out.String(), "also found a data race, at lessons/02_echo/a_test.go:4")
}

// parse reads an event stream written inline.
func parse(t *testing.T, stream string) *gotest.Run {
	t.Helper()
	run, err := gotest.Parse(strings.NewReader(stream))
	require.NoError(t, err)
	return run
}

func TestReportOfATimeoutAlsoShowsTheFailureBeforeIt(t *testing.T) {
	// The whole binary's -timeout ran out in TestC, but TestB had already
	// failed: its message is often the cause (a server that never stops).
	run := parse(t, `{"Action":"run","Test":"TestB"}
{"Action":"output","Test":"TestB","Output":"    helpers_test.go:49: ServeEcho did not return within 5s after its ctx was cancelled\n"}
{"Action":"fail","Test":"TestB","Elapsed":5}
{"Action":"run","Test":"TestC"}
{"Action":"output","Test":"TestC","Output":"panic: test timed out after 1m0s\n"}
{"Action":"fail","Elapsed":60}
`)
	var out strings.Builder
	NewResult(echo, []string{"TestB", "TestC"}, run).Write(&out, "", Style{}, nil)
	text := out.String()
	assert.Contains(t, text, "ran out of their time (1m0s) while TestC was running")
	assert.Contains(t, text, "First failure: TestB")
	assert.Contains(t, text, "ServeEcho did not return within 5s")
}

func TestReportOfAnExitInTheLearnersCode(t *testing.T) {
	run := parse(t, `{"Action":"run","Test":"TestA"}
{"Action":"output","Test":"TestA","Output":"2026/11/24 10:00:00 accept: something went wrong\n"}
{"Action":"fail","Elapsed":0.1}
`)
	var out strings.Builder
	NewResult(echo, []string{"TestA", "TestB"}, run).Write(&out, "", Style{}, nil)
	text := out.String()
	assert.Contains(t, text, "the test binary exited while TestA was running: does your code call os.Exit or log.Fatal?")
	assert.Contains(t, text, "accept: something went wrong")
	assert.Contains(t, text, "· TestB (did not run)")
}

func TestReportGivesTheReasonOfASkip(t *testing.T) {
	run := parse(t, `{"Action":"run","Test":"TestBrowser"}
{"Action":"output","Test":"TestBrowser","Output":"    page_test.go:20: chromium is not installed: run make tools\n"}
{"Action":"skip","Test":"TestBrowser","Elapsed":0}
{"Action":"pass","Elapsed":0}
`)
	var out strings.Builder
	r := NewResult(echo, []string{"TestBrowser"}, run)
	r.Write(&out, "", Style{}, nil)
	assert.False(t, r.Passed(), "a skip is not a pass")
	assert.Contains(t, out.String(), "TestBrowser skipped: page_test.go:20: chromium is not installed: run make tools")
}

func TestReportShowsOnlyTheLeakedGoroutinesInYourCode(t *testing.T) {
	leak := []string{
		"    roundtrip_test.go:113: found unexpected goroutines:",
		"        [Goroutine 19 in state IO wait, with internal/poll.runtime_pollWait on top of the stack:",
		"        internal/poll.runtime_pollWait(0x7fe1dc2c8000, 0x72)",
		"        \t/usr/local/go/src/runtime/netpoll.go:351 +0x85",
		"        netlings/tools/testkit.StartTCPServer.func1()",
		"        \t/home/learner/netlings/tools/testkit/tcp.go:63 +0x67",
		"        ",
		"         Goroutine 23 in state chan receive, with netlings/lessons/02_echo.Roundtrip.func2 on top of the stack:",
		"        netlings/lessons/02_echo.Roundtrip.func2()",
		"        \t/home/learner/netlings/lessons/02_echo/roundtrip.go:44 +0x2a",
		"        ]",
	}
	var text strings.Builder
	writeFailure(&text, &gotest.Test{Name: "TestRoundtrip", Output: leak}, "/home/learner/netlings", "lessons/02_echo", Style{})
	out := text.String()
	assert.Contains(t, out, "Goroutine 23", "the goroutine in the learner's code is shown")
	assert.Contains(t, out, "lessons/02_echo/roundtrip.go:44")
	assert.NotContains(t, out, "Goroutine 19", "a goroutine with no frame in the lesson is only counted")
	assert.Contains(t, out, "(1 more leaked goroutines with no frame in lessons/02_echo: netlings check --verbose shows them)")

	text.Reset()
	writeFailure(&text, &gotest.Test{Name: "TestRoundtrip", Output: leak}, "/home/learner/netlings", "lessons/02_echo", Style{Verbose: true})
	assert.Contains(t, text.String(), "Goroutine 19", "--verbose shows everything")
}
