// Package book renders the workbook's chapters (book/NN_slug.md, one per
// lesson, plus book/index.md) to a static site that opens from disk, and
// checks them: every include resolves, every link and #fragment exists, every
// lesson has a chapter and every Go snippet compiles.
//
// The code shown in the book is the code in the repository: a fenced block
// whose only line is {{#include PATH:ANCHOR}} (or PATH, PATH:START:END,
// PATH#Func, PATH#Type.Method) is replaced by that region of the file.
package book

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
)

// Options say where the workbook is and where the site goes.
type Options struct {
	Root string // the repository root (the folder with go.mod)
	Out  string // where the site is written; default Root/book/_site
	// Warn, when set, makes the book forgiving of the learner's own edits:
	// an include from lessons/ that no longer resolves (a finished file
	// pasted in without its ANCHOR lines) shows the committed version of
	// that file instead, and one line saying so goes to Warn. Check
	// ignores it: the project's own book stays strict.
	Warn io.Writer
}

func (o Options) out() string {
	if o.Out != "" {
		return o.Out
	}
	return filepath.Join(o.Root, "book", "_site")
}

// Problem is one thing wrong with the book, at File:Line (Line 0 = the whole
// file). File is relative to the repository root, e.g. book/02_echo.md.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// Problems is every problem found, sorted by file and line. It is an error
// that prints one problem per line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps *Problems) add(file string, line int, format string, args ...any) {
	*ps = append(*ps, Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (ps Problems) sorted() Problems {
	out := slices.Clone(ps)
	slices.SortStableFunc(out, func(a, b Problem) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return slices.Compact(out)
}

// Check validates every chapter and returns all problems: includes (missing
// file, path outside the repository, unknown, unclosed or duplicate anchor,
// empty region, a solution outside "Show the solution"), links and
// #fragments, lesson <-> chapter pairing, ```go blocks that do not
// compile, and translations that are missing or behind their English
// chapter (Build shows those with a banner instead). Nothing is written.
func Check(o Options) Problems {
	o.Warn = nil // strict: the project's own book never leans on git
	b := load(o)
	b.checkTranslations()
	b.compileSnippets()
	return b.problems.sorted()
}

// Build renders every chapter and writes the site to o.Out. When a chapter
// has a problem Render finds (an include, a link, an anchor) it writes
// nothing and returns *Problems.
func Build(o Options) error {
	site, probs := Render(o)
	if len(probs) > 0 {
		return &probs
	}
	return site.Write(o.out())
}

// Render renders the book in memory and reports every problem but one kind:
// it does not compile the ```go blocks. That is Check's job (make test runs
// it), because it runs go vet, which takes seconds on a cold build cache,
// and `make book` and every rebuild of `make serve` must stay quick. The
// site is rendered even when there are problems (bookserve shows it with
// the problems as a banner).
func Render(o Options) (Site, Problems) {
	b := load(o)
	site, err := b.render(o.out())
	if err != nil {
		b.problems.add("book", 0, "render: %v", err)
	}
	return site, b.problems.sorted()
}
