package gotest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The streams in testdata were recorded from real `go test -json -race` runs
// of small packages that fail in each way a learner's code can fail.
func TestParseRecordedStreams(t *testing.T) {
	type want struct {
		passed, buildFailed, race bool
		statuses                  map[string]Status
		buildLine                 string // a substring of one build-output line
		crashKind, crashTest      string
		crashWhere                string
	}
	cases := map[string]want{
		"build_error.json": {buildFailed: true,
			buildLine: `lessons/02_echo/a.go:2:23: cannot use "x"`},
		"vet_error.json": {buildFailed: true,
			buildLine: "lessons/02_echo/a.go:3:39: fmt.Sprintf format %d has arg"},
		"mixed.json": {statuses: map[string]Status{"TestA": Pass, "TestA/sub": Pass, "TestB": Fail, "TestS": Skip}},
		"panic_in_test.json": {statuses: map[string]Status{"TestOK": Pass, "TestP": Fail},
			crashKind: "panic", crashTest: "TestP", crashWhere: "lessons/02_echo/a_test.go:4"},
		"panic_in_goroutine.json": {statuses: map[string]Status{"TestA": Running},
			crashKind: "panic", crashTest: "TestA", crashWhere: "lessons/02_echo/a.go:2"},
		"timeout.json": {statuses: map[string]Status{"TestOK": Pass, "TestSlow": Running},
			crashKind: "timeout", crashTest: "TestSlow", crashWhere: "lessons/02_echo/a_test.go:4"},
		"race.json": {race: true, statuses: map[string]Status{"TestRace": Fail}},
	}
	for file, w := range cases {
		t.Run(file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", file))
			require.NoError(t, err)
			defer f.Close()
			run, err := Parse(f)
			require.NoError(t, err)

			assert.True(t, run.Finished, "the package's final event was read")
			assert.Equal(t, w.passed, run.Passed, "package verdict")
			assert.Equal(t, w.buildFailed, run.BuildFailed, "build failed")
			assert.Equal(t, w.race, run.Race, "race reported")
			for name, st := range w.statuses {
				tt := run.Test(name)
				if assert.NotNil(t, tt, "test %s seen", name) {
					assert.Equal(t, st, tt.Status, "status of %s", name)
				}
			}
			if w.buildLine != "" {
				assert.True(t, containsLine(run.BuildOutput, w.buildLine), "build output %q has %q", run.BuildOutput, w.buildLine)
				for _, l := range run.BuildOutput {
					assert.False(t, strings.HasPrefix(l, "# "), "package headers are dropped: %q", l)
				}
			}
			if w.crashKind == "" {
				assert.Nil(t, run.Crash, "no crash")
				return
			}
			require.NotNil(t, run.Crash, "a crash is found")
			assert.Equal(t, w.crashKind, run.Crash.Kind)
			assert.Equal(t, w.crashTest, run.Crash.Test)
			assert.Equal(t, w.crashWhere, run.Crash.Where("lessons/02_echo"))
		})
	}
}

func TestParseDropsFramingAndKeepsMessages(t *testing.T) {
	f, err := os.Open("testdata/mixed.json")
	require.NoError(t, err)
	defer f.Close()
	run, err := Parse(f)
	require.NoError(t, err)
	b := run.Test("TestB")
	require.NotNil(t, b)
	assert.Equal(t, []string{"    a_test.go:4: want 1, got 2"}, b.Output)
	assert.Equal(t, []string{"TestA", "TestB", "TestS"}, names(run.TopLevel()))
}

func TestParseKeepsNonJSONLines(t *testing.T) {
	in := "go: cannot open overlay file: no such file\n" +
		`{"Action":"fail","Package":"netlings/lessons/01_addresses","Elapsed":0}` + "\n"
	run, err := Parse(strings.NewReader(in))
	require.NoError(t, err)
	assert.Equal(t, []string{"go: cannot open overlay file: no such file"}, run.Output)
	assert.False(t, run.Passed)
}

func TestPanicMessageDropsTestingNotes(t *testing.T) {
	c := findCrash([]string{"panic: assignment to entry in nil map [recovered, repanicked]"})
	require.NotNil(t, c)
	assert.Equal(t, "assignment to entry in nil map", c.Message)
}

func containsLine(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

func names(ts []*Test) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

func TestParseTellsACachedRunAndASkip(t *testing.T) {
	in := `{"Action":"run","Test":"TestBrowser"}
{"Action":"output","Test":"TestBrowser","Output":"    page_test.go:20: chromium is not installed: run make tools\n"}
{"Action":"skip","Test":"TestBrowser","Elapsed":0}
{"Action":"output","Output":"ok  \tnetlings/lessons/17_websocket_chat\t(cached)\n"}
{"Action":"pass","Elapsed":0}
`
	run, err := Parse(strings.NewReader(in))
	require.NoError(t, err)
	assert.True(t, run.Cached, "the ok line ends with (cached)")
	assert.True(t, run.Skipped())

	fresh, err := Parse(strings.NewReader(`{"Action":"output","Output":"ok  \tnetlings/lessons/01_addresses\t0.2s\n"}` + "\n"))
	require.NoError(t, err)
	assert.False(t, fresh.Cached)
	assert.False(t, fresh.Skipped())
}
