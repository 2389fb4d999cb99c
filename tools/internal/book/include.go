package book

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// An include directive is the only line of a fenced code block:
//
//	{{#include PATH}}              the whole file
//	{{#include PATH:ANCHOR}}       the lines between "ANCHOR: name" and "ANCHOR_END: name"
//	{{#include PATH:START:END}}    lines START..END (1-based, inclusive; either may be empty)
//	{{#include PATH#Func}}         one Go declaration with its doc comment
//	{{#include PATH#Type.Method}}  one method with its doc comment
//
// PATH is relative to the chapter's folder (book/) and must stay inside the
// repository. Marker lines of any region are never part of the output.
var includeRE = regexp.MustCompile(`^\{\{#include\s+([^}\s]+)\s*\}\}$`)

// directiveRE finds anything that looks like an mdBook-style directive, so a
// misspelt one is reported instead of being rendered as text.
var directiveRE = regexp.MustCompile(`\{\{#[a-z_]*`)

var (
	anchorStartRE = regexp.MustCompile(`\bANCHOR:\s*([A-Za-z0-9_-]+)`)
	anchorEndRE   = regexp.MustCompile(`\bANCHOR_END:\s*([A-Za-z0-9_-]+)`)
)

// includeSpec is a parsed include directive.
type includeSpec struct {
	Path       string // as written, relative to the chapter
	Anchor     string // PATH:ANCHOR
	Start, End int    // PATH:START:END, 0 = open
	Lines      bool   // a line range was given
	Decl       string // PATH#Func or PATH#Type.Method
}

// parseInclude parses the argument of {{#include ARG}}.
func parseInclude(arg string) (includeSpec, error) {
	if p, decl, ok := strings.Cut(arg, "#"); ok {
		if p == "" || decl == "" {
			return includeSpec{}, fmt.Errorf("include %q: want PATH#Func or PATH#Type.Method", arg)
		}
		return includeSpec{Path: p, Decl: decl}, nil
	}
	parts := strings.Split(arg, ":")
	switch len(parts) {
	case 1:
		return includeSpec{Path: parts[0]}, nil
	case 2:
		if parts[1] == "" {
			return includeSpec{}, fmt.Errorf("include %q: empty anchor name after ':'", arg)
		}
		return includeSpec{Path: parts[0], Anchor: parts[1]}, nil
	case 3:
		s := includeSpec{Path: parts[0], Lines: true}
		var err error
		if s.Start, err = lineNumber(parts[1]); err != nil {
			return includeSpec{}, fmt.Errorf("include %q: start line: %v", arg, err)
		}
		if s.End, err = lineNumber(parts[2]); err != nil {
			return includeSpec{}, fmt.Errorf("include %q: end line: %v", arg, err)
		}
		if s.End != 0 && s.Start > s.End {
			return includeSpec{}, fmt.Errorf("include %q: start line %d is after end line %d", arg, s.Start, s.End)
		}
		return s, nil
	}
	return includeSpec{}, fmt.Errorf("include %q: want PATH, PATH:ANCHOR or PATH:START:END", arg)
}

func lineNumber(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q is not a line number (1, 2, ...)", s)
	}
	return n, nil
}

// resolvePath turns an include or link path, relative to the chapter's
// folder, into a path relative to the repository root. It refuses paths that
// leave the repository.
func resolvePath(root, chapterDir, p string) (rel string, err error) {
	if filepath.IsAbs(p) || strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("%s: absolute paths are not allowed; write it relative to the chapter", p)
	}
	abs := filepath.Join(root, chapterDir, filepath.FromSlash(p))
	rel, err = filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s: path is outside the repository", p)
	}
	return filepath.ToSlash(rel), nil
}

// extract returns the included text of src for spec: marker lines removed,
// dedented, with a trailing newline. name is used in error messages.
func extract(name string, src []byte, spec includeSpec) (string, error) {
	var lines []string
	switch {
	case spec.Decl != "":
		text, err := goDecl(name, src, spec.Decl)
		if err != nil {
			return "", err
		}
		lines = splitLines(text)
	case spec.Anchor != "":
		all := splitLines(string(src))
		if err := validateAnchors(name, all); err != nil {
			return "", err
		}
		start, end := -1, -1
		for i, l := range all {
			if m := anchorStartRE.FindStringSubmatch(l); m != nil && m[1] == spec.Anchor {
				start = i
			}
			if m := anchorEndRE.FindStringSubmatch(l); m != nil && m[1] == spec.Anchor {
				end = i
			}
		}
		if start < 0 {
			return "", fmt.Errorf("%s: no anchor %q (mark the region with // ANCHOR: %s and // ANCHOR_END: %s)", name, spec.Anchor, spec.Anchor, spec.Anchor)
		}
		lines = all[start+1 : end]
	case spec.Lines:
		all := splitLines(string(src))
		start, end := spec.Start, spec.End
		if start == 0 {
			start = 1
		}
		if end == 0 {
			end = len(all)
		}
		if start > len(all) || end > len(all) {
			return "", fmt.Errorf("%s has %d lines; lines %d:%d are out of range", name, len(all), spec.Start, spec.End)
		}
		lines = all[start-1 : end]
	default:
		lines = splitLines(string(src))
	}
	lines = stripMarkers(lines)
	text := dedent(lines)
	if strings.TrimSpace(text) == "" {
		return "", fmt.Errorf("%s: the included region is empty", name)
	}
	return text, nil
}

// validateAnchors reports the first unclosed, unopened or duplicate anchor of
// a file, so a broken marker anywhere in an included file is found early.
func validateAnchors(name string, lines []string) error {
	open := map[string]int{} // name -> line (1-based) while open
	seen := map[string]int{}
	for i, l := range lines {
		if m := anchorStartRE.FindStringSubmatch(l); m != nil {
			a := m[1]
			if first, dup := seen[a]; dup {
				return fmt.Errorf("%s:%d: duplicate anchor %q (first at line %d)", name, i+1, a, first)
			}
			seen[a] = i + 1
			open[a] = i + 1
		}
		if m := anchorEndRE.FindStringSubmatch(l); m != nil {
			a := m[1]
			if _, ok := open[a]; !ok {
				return fmt.Errorf("%s:%d: ANCHOR_END: %s has no ANCHOR: %s before it", name, i+1, a, a)
			}
			delete(open, a)
		}
	}
	first, firstLine := "", 0
	for a, line := range open {
		if firstLine == 0 || line < firstLine {
			first, firstLine = a, line
		}
	}
	if firstLine != 0 {
		return fmt.Errorf("%s:%d: anchor %q is never closed (add // ANCHOR_END: %s)", name, firstLine, first, first)
	}
	return nil
}

// stripMarkers drops the marker lines of nested regions.
func stripMarkers(lines []string) []string {
	out := lines[:0:0]
	for _, l := range lines {
		if anchorStartRE.MatchString(l) || anchorEndRE.MatchString(l) {
			continue
		}
		out = append(out, l)
	}
	return out
}

// splitLines splits text into lines without their "\n" (and "\r").
func splitLines(text string) []string {
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// dedent removes the longest common leading whitespace of the non-blank
// lines, trims leading and trailing blank lines, and ends with "\n".
func dedent(lines []string) string {
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	prefix := ""
	first := true
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		ws := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		if first {
			prefix, first = ws, false
			continue
		}
		for !strings.HasPrefix(ws, prefix) {
			prefix = prefix[:len(prefix)-1]
		}
	}
	var b strings.Builder
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString(strings.TrimPrefix(l, prefix))
		b.WriteString("\n")
	}
	return b.String()
}

// goDecl returns the source of the declaration named sel ("Func", "Type" or
// "Type.Method") in the Go file src, with its doc comment.
func goDecl(name string, src []byte, sel string) (string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return "", fmt.Errorf("%s: cannot parse Go source for #%s: %v", name, sel, err)
	}
	recv, fn, isMethod := strings.Cut(sel, ".")
	if !isMethod {
		fn = sel
	}
	span := func(n ast.Node, doc *ast.CommentGroup) string {
		start := n.Pos()
		if doc != nil {
			start = doc.Pos()
		}
		from := fset.Position(start).Offset
		// Start at the beginning of the line so dedent sees the indentation.
		from = bytes.LastIndexByte(src[:from], '\n') + 1
		return string(src[from:fset.Position(n.End()).Offset])
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Name.Name != fn {
				continue
			}
			if isMethod != (d.Recv != nil) {
				continue
			}
			if isMethod && receiverType(d.Recv) != recv {
				continue
			}
			return span(d, d.Doc), nil
		case *ast.GenDecl:
			if isMethod || d.Tok != token.TYPE {
				continue
			}
			for _, s := range d.Specs {
				ts := s.(*ast.TypeSpec)
				if ts.Name.Name != fn {
					continue
				}
				if len(d.Specs) == 1 {
					return span(d, d.Doc), nil
				}
				return span(ts, ts.Doc), nil
			}
		}
	}
	what := "function or type"
	if isMethod {
		what = "method"
	}
	return "", fmt.Errorf("%s: no %s %s", name, what, sel)
}

// receiverType names the receiver's type without * and type parameters.
func receiverType(recv *ast.FieldList) string {
	if recv == nil || len(recv.List) == 0 {
		return ""
	}
	t := recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// readInclude resolves spec against the chapter and returns the text to show.
func readInclude(root, chapterDir string, spec includeSpec) (text, rel string, err error) {
	rel, err = resolvePath(root, chapterDir, spec.Path)
	if err != nil {
		return "", "", err
	}
	src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		if os.IsNotExist(err) {
			return "", rel, fmt.Errorf("%s: no such file (looked for %s)", spec.Path, rel)
		}
		return "", rel, err
	}
	text, err = extract(rel, src, spec)
	return text, rel, err
}

// committedInclude resolves spec against the last committed version of the
// file rel (git show HEAD:rel), for a learner's edited lesson file.
func committedInclude(root, rel string, spec includeSpec) (string, error) {
	cmd := exec.Command("git", "show", "HEAD:"+rel)
	cmd.Dir = root
	src, err := cmd.Output()
	if err != nil {
		return "", err
	}
	return extract(rel, src, spec)
}
