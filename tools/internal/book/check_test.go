package book

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chapterHead is the start of every fixture chapter: lines 1-6. What a case
// adds starts at line 7, so a fenced include written first sits on line 8.
const chapterHead = "# A\n\n## Hints\n\nNudge.\n\n"

// writeFixture writes a tiny workbook: lesson 01_a with a chapter made of
// chapterHead + extra, and any further files given.
func writeFixture(t *testing.T, extra string, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	base := map[string]string{
		"go.mod": "module fixture\n\ngo 1.26.0\n",
		"lessons/01_a/a.go": "package a\n\n// ANCHOR: good\n\n// Good is good.\nfunc Good() int { return 1 }\n\n" +
			"// ANCHOR_END: good\n\n// ANCHOR: empty\n\n// ANCHOR_END: empty\n",
		"solutions/01_a/a.go":                "package a\n\n// Good is good.\nfunc Good() int { return 1 }\n",
		"lessons/01_a/testdata/unclosed.txt": "one\n// ANCHOR: open\ntwo\n",
		"lessons/01_a/testdata/dup.txt":      "// ANCHOR: x\na\n// ANCHOR_END: x\n// ANCHOR: x\nb\n// ANCHOR_END: x\n",
		"lessons/01_a/testdata/stray.txt":    "a\n// ANCHOR_END: y\n",
		"book/01_a.md":                       chapterHead + extra,
	}
	for name, data := range files {
		base[name] = data
	}
	for name, data := range base {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		if data == "<dir>" {
			continue
		}
		require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	}
	return root
}

func TestCheck_CleanFixtureHasNoProblems(t *testing.T) {
	root := writeFixture(t, "```go\n{{#include ../lessons/01_a/a.go:good}}\n```\n\n"+
		"<details><summary>Show the solution</summary>\n\n```go\n{{#include ../solutions/01_a/a.go#Good}}\n```\n\n</details>\n\n"+
		"```go nocheck\nnot Go at all\n```\n\n```go\npackage main\n\nfunc main() {}\n```\n\n[self](#hints) [file](../lessons/01_a/a.go) [ext](https://go.dev)\n", nil)
	assert.Empty(t, Check(Options{Root: root}))
}

// TestCheck_ReportsEveryProblemWithFileAndLine runs each kind of broken book
// and expects the problem at chapter.md:LINE with a message that says what
// to fix.
func TestCheck_ReportsEveryProblemWithFileAndLine(t *testing.T) {
	fence := func(directive string) string { return "```go\n" + directive + "\n```\n" }
	tests := []struct {
		name  string
		extra string
		files map[string]string
		want  string // "file:line: message substring"
	}{
		{"missing file", fence("{{#include ../lessons/01_a/nope.go:good}}"), nil,
			"book/01_a.md:8: ../lessons/01_a/nope.go: no such file"},
		{"path outside the repository", fence("{{#include ../../etc/passwd}}"), nil,
			"book/01_a.md:8: ../../etc/passwd: path is outside the repository"},
		{"absolute path", fence("{{#include /etc/passwd}}"), nil,
			"book/01_a.md:8: /etc/passwd: absolute paths are not allowed"},
		{"unknown anchor", fence("{{#include ../lessons/01_a/a.go:nosuch}}"), nil,
			`book/01_a.md:8: lessons/01_a/a.go: no anchor "nosuch"`},
		{"unclosed anchor", fence("{{#include ../lessons/01_a/testdata/unclosed.txt:open}}"), nil,
			`book/01_a.md:8: lessons/01_a/testdata/unclosed.txt:2: anchor "open" is never closed`},
		{"duplicate anchor", fence("{{#include ../lessons/01_a/testdata/dup.txt:x}}"), nil,
			`book/01_a.md:8: lessons/01_a/testdata/dup.txt:4: duplicate anchor "x" (first at line 1)`},
		{"end without start", fence("{{#include ../lessons/01_a/testdata/stray.txt:y}}"), nil,
			"book/01_a.md:8: lessons/01_a/testdata/stray.txt:2: ANCHOR_END: y has no ANCHOR: y before it"},
		{"empty region", fence("{{#include ../lessons/01_a/a.go:empty}}"), nil,
			"book/01_a.md:8: lessons/01_a/a.go: the included region is empty"},
		{"lines out of range", fence("{{#include ../lessons/01_a/a.go:50:60}}"), nil,
			"book/01_a.md:8: lessons/01_a/a.go has 12 lines; lines 50:60 are out of range"},
		{"bad line range", fence("{{#include ../lessons/01_a/a.go:5:2}}"), nil,
			"book/01_a.md:8: include \"../lessons/01_a/a.go:5:2\": start line 5 is after end line 2"},
		{"unknown Go declaration", fence("{{#include ../lessons/01_a/a.go#Bad}}"), nil,
			"book/01_a.md:8: lessons/01_a/a.go: no function or type Bad"},
		{"unknown Go method", fence("{{#include ../lessons/01_a/a.go#T.Bad}}"), nil,
			"book/01_a.md:8: lessons/01_a/a.go: no method T.Bad"},
		{"solution shown inline", fence("{{#include ../solutions/01_a/a.go#Good}}"), nil,
			"book/01_a.md:8: ../solutions/01_a/a.go is a solution: include it only inside <details><summary>Show the solution</summary>"},
		{"solution in other details", "<details><summary>More</summary>\n\n" + fence("{{#include ../solutions/01_a/a.go#Good}}") + "\n</details>\n", nil,
			"book/01_a.md:10: ../solutions/01_a/a.go is a solution"},
		{"include with other lines", "```go\n// look:\n{{#include ../lessons/01_a/a.go:good}}\n```\n", nil,
			"book/01_a.md:8: an include is the only line of its fenced block"},
		{"include as text", "Here: {{#include ../lessons/01_a/a.go:good}}\n", nil,
			"book/01_a.md:7: \"Here: {{#include ../lessons/01_a/a.go:good}}\" is not expanded here"},
		{"include swallowed by raw HTML", "<details><summary>Show the solution</summary>\n" + fence("{{#include ../solutions/01_a/a.go#Good}}") + "</details>\n", nil,
			"book/01_a.md:7: a {{#include}} inside raw HTML is not expanded"},
		{"link to a missing chapter", "See [b](02_b.md).\n", nil,
			"book/01_a.md:7: link 02_b.md: no chapter book/02_b.md"},
		{"link to a missing file", "Read\n[the stub](../lessons/01_a/nope.go).\n", nil,
			"book/01_a.md:8: link ../lessons/01_a/nope.go: no such file lessons/01_a/nope.go"},
		{"link outside the repository", "[x](../../x.md)\n", nil,
			"book/01_a.md:7: link ../../x.md: ../../x.md: path is outside the repository"},
		{"link to a missing fragment", "[b](index.md#nowhere)\n", map[string]string{"book/index.md": "# Front\n\n## Somewhere\n"},
			"book/01_a.md:7: link index.md#nowhere: book/index.md has no heading with id #nowhere"},
		{"link to a missing fragment here", "- [h](#hint)\n", nil,
			"book/01_a.md:7: link #hint: book/01_a.md has no heading with id #hint (did you mean #hints?)"},
		{"lesson without chapter", "", map[string]string{"lessons/02_b/b.go": "package b\n"},
			"book/02_b.md: lesson folder lessons/02_b has no chapter: write book/02_b.md"},
		{"chapter without lesson", "", map[string]string{"book/03_c.md": chapterHead},
			"book/03_c.md:1: chapter has no lesson folder lessons/03_c"},
		{"chapter with a wrong name", "", map[string]string{"book/notes.md": "# Notes\n"},
			"book/notes.md:1: a chapter is named NN_slug.md"},
		{"chapter without hints", "", map[string]string{"lessons/02_b/b.go": "package b\n", "book/02_b.md": "# B\n\nNo hints.\n"},
			"book/02_b.md:1: no \"## Hints\" section"},
		{"unclosed details", "<details><summary>Show the solution</summary>\n\nHidden.\n", nil,
			"book/01_a.md:1: a <details> block is never closed"},
		{"two chapters with one number", "", map[string]string{"lessons/01_b/b.go": "package b\n", "book/01_b.md": chapterHead},
			"book/01_b.md:1: two chapters are numbered 01: 01_a.md and 01_b.md"},
		{"chapter without title", "", map[string]string{"lessons/02_b/b.go": "package b\n", "book/02_b.md": "Intro.\n\n## Hints\n"},
			"book/02_b.md:1: a chapter starts with its title"},
		{"go block that does not compile", "```go\npackage main\n\nfunc main() {\n\tundefinedThing()\n}\n```\n", nil,
			"book/01_a.md:11: go block does not compile: undefined: undefinedThing"},
		{"go block importing a missing package", "```go\npackage main\n\nimport \"example.com/nope\"\n\nfunc main() { nope.X() }\n```\n", nil,
			"book/01_a.md:10: go block does not compile: no required module provides package example.com/nope"},
		{"go block that is a fragment", "```go\nx := 1\n```\n", nil,
			"book/01_a.md:8: a ```go block is a whole Go file"},
		{"go block that vet rejects", "```go\npackage main\n\nimport \"fmt\"\n\nfunc main() { fmt.Printf(\"%d\\n\", \"s\") }\n```\n", nil,
			"book/01_a.md:12: go block does not compile: fmt.Printf format %d has arg \"s\" of wrong type string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeFixture(t, tt.extra, tt.files)
			probs := Check(Options{Root: root})
			require.NotEmpty(t, probs, "the check found nothing wrong; want %q", tt.want)
			assert.Contains(t, probs.Error(), tt.want, "the check must report the problem at file:line with a helpful message")
		})
	}
}

// TestCheck_CompilesSnippetsAgainstTheSolutions: a learner's half-written
// stub must not break the book, so snippets that import a lesson see its
// reference solution.
func TestCheck_CompilesSnippetsAgainstTheSolutions(t *testing.T) {
	snippet := "```go\npackage main\n\nimport a \"fixture/lessons/01_a\"\n\nfunc main() { _ = a.Good() + a.Solved() }\n```\n"
	root := writeFixture(t, snippet, map[string]string{
		"lessons/01_a/a.go":   "package a\n\n// ANCHOR: good\n\n// Good is good.\nfunc Good() int { return 1 }\n\n// ANCHOR_END: good\n\n// ANCHOR: empty\n\n// ANCHOR_END: empty\n\nfunc Half( {\n",
		"solutions/01_a/a.go": "package a\n\n// Good is good.\nfunc Good() int { return 1 }\n\n// Solved exists only in the solution.\nfunc Solved() int { return 2 }\n",
	})
	assert.Empty(t, Check(Options{Root: root}))
}

func TestCheck_CollectsAllProblems(t *testing.T) {
	root := writeFixture(t, "[a](02_b.md)\n\n[b](03_c.md)\n", nil)
	probs := Check(Options{Root: root})
	require.Len(t, probs, 2, "every problem is listed, not just the first:\n%v", probs)
	assert.Equal(t, "book/01_a.md:7: link 02_b.md: no chapter book/02_b.md\nbook/01_a.md:9: link 03_c.md: no chapter book/03_c.md", probs.Error())
}

func TestBuild_WritesNothingWhenTheBookHasProblems(t *testing.T) {
	root := writeFixture(t, "[a](02_b.md)\n", nil)
	out := filepath.Join(t.TempDir(), "site")
	err := Build(Options{Root: root, Out: out})
	var probs *Problems
	require.ErrorAs(t, err, &probs)
	assert.Len(t, *probs, 1)
	_, statErr := os.Stat(out)
	assert.True(t, os.IsNotExist(statErr), "a book with problems must not be written")
}

func TestBuild_RefusesToOverwriteAForeignFolder(t *testing.T) {
	root := writeFixture(t, "", nil)
	out := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(out, "precious.txt"), []byte("mine"), 0o644))
	err := Build(Options{Root: root, Out: out})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "was not written by netlings book")
}

func TestBuild_RemovesStaleFiles(t *testing.T) {
	root := writeFixture(t, "", map[string]string{"lessons/02_b/b.go": "package b\n", "book/02_b.md": chapterHead})
	out := t.TempDir()
	require.NoError(t, Build(Options{Root: root, Out: out}))
	require.FileExists(t, filepath.Join(out, "02_b.html"))
	require.NoError(t, os.RemoveAll(filepath.Join(root, "lessons/02_b")))
	require.NoError(t, os.Remove(filepath.Join(root, "book/02_b.md")))
	require.NoError(t, Build(Options{Root: root, Out: out}))
	assert.NoFileExists(t, filepath.Join(out, "02_b.html"), "a chapter that is gone must leave the site")
	assert.FileExists(t, filepath.Join(out, "01_a.html"))
}

func TestSlug_IsGitHubStyle(t *testing.T) {
	for in, want := range map[string]string{
		"TCP echo: your first server": "tcp-echo-your-first-server",
		"The `net.Conn` interface":    "the-netconn-interface",
		"Hints":                       "hints",
		"What's 1+1?":                 "whats-11",
		"snake_case and -dashes-":     "snake_case-and--dashes-",
		"Ünïcode Überschrift":         "ünïcode-überschrift",
		"HTTP/1.1 — the request line": "http11--the-request-line",
	} {
		assert.Equal(t, want, slug(in), "slug(%q)", in)
	}
	ids := map[string]bool{}
	assert.Equal(t, []string{"a", "a-1", "a-2"}, []string{uniqueID(ids, "a"), uniqueID(ids, "a"), uniqueID(ids, "a")})
	_ = strings.TrimSpace
}

func TestBuild_FallsBackToTheCommittedFileWhenALearnersEditDropsAnAnchor(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	root := writeFixture(t, "```go\n{{#include ../lessons/01_a/a.go:good}}\n```\n", nil)
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
	}
	// The learner pastes in a finished file without the ANCHOR lines.
	require.NoError(t, os.WriteFile(filepath.Join(root, "lessons/01_a/a.go"), []byte("package a\n\nfunc Good() int { return 2 }\n"), 0o644))

	var warn strings.Builder
	out := t.TempDir()
	require.NoError(t, Build(Options{Root: root, Out: out, Warn: &warn}), "a learner's edit must not break their book")
	assert.Equal(t, 1, strings.Count(warn.String(), "\n"), "one warning line: %q", warn.String())
	assert.Contains(t, warn.String(), `book/01_a.md:8: lessons/01_a/a.go: no anchor "good"`)
	assert.Contains(t, warn.String(), "showing the committed version of lessons/01_a/a.go")
	page, err := os.ReadFile(filepath.Join(out, "01_a.html"))
	require.NoError(t, err)
	assert.Contains(t, string(page), "Good is good.", "the committed version is shown")

	assert.NotEmpty(t, Check(Options{Root: root, Warn: &warn}), "book --check stays strict")
}
