// Package catalog discovers the workbook's lessons from the folder names
// under lessons/. Nothing is registered anywhere else: a lesson is a folder
// lessons/NN_slug, its reference solution is solutions/NN_slug and its
// chapter is book/NN_slug.md.
package catalog

import (
	"bufio"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Lesson is one numbered lesson. Paths are relative to the repository root.
type Lesson struct {
	Number      int
	Name        string // folder name, e.g. "02_echo"
	Slug        string // e.g. "echo"
	Dir         string // lessons/02_echo
	SolutionDir string // solutions/02_echo
	Chapter     string // book/02_echo.md
	Title       string // the chapter's first "# " heading, or the slug
}

// Package returns the import path of the lesson's package.
func (l Lesson) Package() string { return "netlings/" + l.Dir }

// folderName is NN_slug: two digits, an underscore, a lower-case slug.
var folderName = regexp.MustCompile(`^(\d\d)_([a-z0-9][a-z0-9_]*)$`)

// Discover lists the lessons under root/lessons in number order. Folders that
// do not look like NN_slug are ignored; two folders with one number are an
// error, because "lesson 3" must name one thing.
func Discover(root string) ([]Lesson, error) {
	entries, err := os.ReadDir(filepath.Join(root, "lessons"))
	if err != nil {
		return nil, fmt.Errorf("no lessons folder here (%v): run netlings from the workbook's root", err)
	}
	var lessons []Lesson
	for _, e := range entries {
		m := folderName.FindStringSubmatch(e.Name())
		if !e.IsDir() || m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		l := Lesson{
			Number:      n,
			Name:        e.Name(),
			Slug:        m[2],
			Dir:         filepath.ToSlash(filepath.Join("lessons", e.Name())),
			SolutionDir: filepath.ToSlash(filepath.Join("solutions", e.Name())),
			Chapter:     filepath.ToSlash(filepath.Join("book", e.Name()+".md")),
		}
		l.Title = ChapterTitle(filepath.Join(root, l.Chapter), l.Slug)
		if len(lessons) > 0 && lessons[len(lessons)-1].Number == n {
			return nil, fmt.Errorf("two lessons are numbered %02d: %s and %s", n, lessons[len(lessons)-1].Name, l.Name)
		}
		lessons = append(lessons, l)
	}
	return lessons, nil
}

// ErrNoLesson is wrapped by Find when no lesson matches.
var ErrNoLesson = errors.New("no such lesson")

// Find resolves what a learner typed: "3", "03", "03_tcp" or "lessons/03_tcp/".
func Find(lessons []Lesson, arg string) (Lesson, error) {
	key := strings.TrimSuffix(filepath.Base(filepath.Clean(arg)), "/")
	if n, err := strconv.Atoi(key); err == nil {
		for _, l := range lessons {
			if l.Number == n {
				return l, nil
			}
		}
	}
	for _, l := range lessons {
		if l.Name == key {
			return l, nil
		}
	}
	return Lesson{}, fmt.Errorf("%w %q: %s", ErrNoLesson, arg, available(lessons))
}

func available(lessons []Lesson) string {
	if len(lessons) == 0 {
		return "there are no lessons yet"
	}
	nums := make([]string, len(lessons))
	for i, l := range lessons {
		nums[i] = strconv.Itoa(l.Number)
	}
	return "the lessons are " + strings.Join(nums, ", ")
}

// ChapterTitle reads the first "# " heading of a chapter. A missing chapter
// is not an error here (the book check reports it); fallback stands in.
// A translation's title carries the English heading's id: "# 标题 {#id}".
func ChapterTitle(path, fallback string) string {
	f, err := os.Open(path)
	if err != nil {
		return fallback
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if t, ok := strings.CutPrefix(sc.Text(), "# "); ok {
			if i := strings.LastIndex(t, " {#"); i >= 0 && strings.HasSuffix(t, "}") {
				t = t[:i]
			}
			return strings.TrimSpace(t)
		}
	}
	return fallback
}

// StubFiles lists the learner-editable files of a lesson: its non-test .go
// files, relative to root, sorted.
func StubFiles(root string, l Lesson) ([]string, error) {
	return goFiles(root, l.Dir, false)
}

// SolutionFiles lists the .go files of a lesson's reference solution.
func SolutionFiles(root string, l Lesson) ([]string, error) {
	return goFiles(root, l.SolutionDir, false)
}

// goFiles lists dir's .go files (test files only if tests is true).
func goFiles(root, dir string, tests bool) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, dir))
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") != tests {
			continue
		}
		files = append(files, filepath.ToSlash(filepath.Join(dir, name)))
	}
	slices.Sort(files)
	return files, nil
}

// Root finds the workbook's root from dir upwards: the folder whose go.mod
// declares module netlings.
func Root(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && modulePath(string(data)) == "netlings" {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("not inside the netlings workbook (no go.mod with `module netlings` here or above)")
		}
	}
}

func modulePath(gomod string) string {
	for _, line := range strings.Split(gomod, "\n") {
		if p, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(p), `"`)
		}
	}
	return ""
}

// Tests lists the lesson's exercises: the Test functions of its _test.go
// files, in file order. Reading the source (not `go test -list`) means it
// works before the package compiles, and costs no build.
func Tests(root string, l Lesson) ([]string, error) { return testFuncs(root, l, "Test") }

// Fuzzers lists the lesson's Fuzz functions, in file order.
func Fuzzers(root string, l Lesson) ([]string, error) { return testFuncs(root, l, "Fuzz") }

func testFuncs(root string, l Lesson, prefix string) ([]string, error) {
	files, err := goFiles(root, l.Dir, true)
	if err != nil {
		return nil, err
	}
	var names []string
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, filepath.Join(root, f), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && isTestName(fn.Name.Name, prefix) {
				names = append(names, fn.Name.Name)
			}
		}
	}
	return names, nil
}

// isTestName mirrors the go command's rule: the prefix ("Test", "Fuzz") then
// nothing or a character that is not a lower-case letter.
func isTestName(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	return ok && name != "TestMain" && (rest == "" || !unicode.IsLower(rune(rest[0])))
}

// Imports lists the other lessons that lesson l's code or tests import: a
// lesson can build on an earlier one (an HTTP server on the learner's parser).
func Imports(root string, l Lesson, lessons []Lesson) ([]Lesson, error) {
	entries, err := os.ReadDir(filepath.Join(root, l.Dir))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		file, err := parser.ParseFile(fset, filepath.Join(root, l.Dir, e.Name()), nil, parser.ImportsOnly)
		if err != nil {
			continue // a syntax error is the compiler's to report
		}
		for _, imp := range file.Imports {
			seen[strings.Trim(imp.Path.Value, `"`)] = true
		}
	}
	var deps []Lesson
	for _, other := range lessons {
		if other.Number != l.Number && seen[other.Package()] {
			deps = append(deps, other)
		}
	}
	return deps, nil
}
