package catalog

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mkdirs(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for f, content := range files {
		p := filepath.Join(root, f)
		if content == "/" { // a folder alone
			require.NoError(t, os.MkdirAll(p, 0o755))
			continue
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

func TestDiscover(t *testing.T) {
	root := t.TempDir()
	mkdirs(t, root, map[string]string{
		"lessons/02_echo/echo.go":      "package echo\n",
		"lessons/02_echo/echo_test.go": "package echo\n",
		"lessons/01_addresses/x.go":    "package addresses\n",
		"lessons/13_http_parser/p.go":  "package httpparser\n",
		"lessons/notes/readme.txt":     "not a lesson",
		"lessons/1_short/x.go":         "not a lesson either: one digit",
		"book/02_echo.md":              "Intro line\n# TCP echo: your first server\n\ntext\n# Later heading\n",
	})
	lessons, err := Discover(root)
	require.NoError(t, err)
	require.Len(t, lessons, 3)

	assert.Equal(t, []int{1, 2, 13}, []int{lessons[0].Number, lessons[1].Number, lessons[2].Number}, "number order")
	echo := lessons[1]
	assert.Equal(t, Lesson{
		Number: 2, Name: "02_echo", Slug: "echo",
		Dir: "lessons/02_echo", SolutionDir: "solutions/02_echo", Chapter: "book/02_echo.md",
		Title: "TCP echo: your first server",
	}, echo)
	assert.Equal(t, "netlings/lessons/02_echo", echo.Package())
	assert.Equal(t, "addresses", lessons[0].Title, "no chapter yet: the slug stands in")

	stubs, err := StubFiles(root, echo)
	require.NoError(t, err)
	assert.Equal(t, []string{"lessons/02_echo/echo.go"}, stubs, "test files are not stubs")
}

func TestDiscoverRejectsTwoLessonsWithOneNumber(t *testing.T) {
	root := t.TempDir()
	mkdirs(t, root, map[string]string{"lessons/03_tcp/": "/", "lessons/03_udp/": "/"})
	_, err := Discover(root)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "03_tcp and 03_udp")
}

func TestFind(t *testing.T) {
	lessons := []Lesson{{Number: 1, Name: "01_addresses"}, {Number: 13, Name: "13_http_parser"}}
	for _, arg := range []string{"13", "013", "13_http_parser", "lessons/13_http_parser/", "./lessons/13_http_parser"} {
		l, err := Find(lessons, arg)
		if assert.NoError(t, err, arg) {
			assert.Equal(t, 13, l.Number, arg)
		}
	}
	for _, arg := range []string{"7", "x", "", "-1", "02_echo"} {
		_, err := Find(lessons, arg)
		if assert.ErrorIs(t, err, ErrNoLesson, arg) {
			assert.Contains(t, err.Error(), "the lessons are 1, 13", arg)
		}
	}
}

func TestRoot(t *testing.T) {
	root := t.TempDir()
	mkdirs(t, root, map[string]string{"go.mod": "module netlings\n\ngo 1.26\n", "lessons/01_a/x.go": "package a\n"})
	got, err := Root(filepath.Join(root, "lessons", "01_a"))
	require.NoError(t, err)
	assert.Equal(t, root, got)

	other := t.TempDir()
	mkdirs(t, other, map[string]string{"go.mod": "module example.com/other\n"})
	_, err = Root(other)
	assert.Error(t, err)
}

func TestTestsAndImports(t *testing.T) {
	root := t.TempDir()
	mkdirs(t, root, map[string]string{
		"lessons/13_http_parser/p.go": "package httpparser\n",
		"lessons/14_http_server/s.go": "package httpserver\n\nimport parser \"netlings/lessons/13_http_parser\"\n\nvar _ = parser.X\n",
		"lessons/14_http_server/s_test.go": `package httpserver

import "testing"

func TestServe_KeepsAlive(t *testing.T) {}
func TestMain(m *testing.M)              {}
func Testing(t *testing.T)               {}
func helper(t *testing.T)                {}
func Test(t *testing.T)                  {}
func BenchmarkServe(b *testing.B)        {}
func Test_underscore(t *testing.T)       {}
`,
	})
	lessons, err := Discover(root)
	require.NoError(t, err)
	names, err := Tests(root, lessons[1])
	require.NoError(t, err)
	assert.Equal(t, []string{"TestServe_KeepsAlive", "Test", "Test_underscore"}, names)

	deps, err := Imports(root, lessons[1], lessons)
	require.NoError(t, err)
	require.Len(t, deps, 1)
	assert.Equal(t, 13, deps[0].Number)
	deps, err = Imports(root, lessons[0], lessons)
	require.NoError(t, err)
	assert.Empty(t, deps)
}

func TestFuzzers(t *testing.T) {
	root := t.TempDir()
	mkdirs(t, root, map[string]string{
		"lessons/13_p/p.go": "package p\n",
		"lessons/13_p/p_test.go": `package p

import "testing"

func TestParse(t *testing.T)       {}
func FuzzParse(f *testing.F)       {}
func Fuzzy(f *testing.F)           {}
func FuzzChunked_Lines(f *testing.F) {}
`,
	})
	lessons, err := Discover(root)
	require.NoError(t, err)
	got, err := Fuzzers(root, lessons[0])
	require.NoError(t, err)
	assert.Equal(t, []string{"FuzzParse", "FuzzChunked_Lines"}, got)
}
