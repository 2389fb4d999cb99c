package book

import (
	"bytes"
	"context"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"netlings/tools/internal/overlay"
)

// compileSnippets type-checks and vets every ```go block that is not an
// include. Each block is a whole file; all of them go into one temporary
// folder inside the module (so they can import the lessons and go.mod's
// modules) and one `go vet` checks them together, with the lessons overlaid
// by their solutions. The folder starts with a dot, so ./... patterns of
// other tools never see it.
func (b *bookState) compileSnippets() {
	if len(b.snippets) == 0 {
		return
	}
	fset := token.NewFileSet()
	var valid []int
	for i, s := range b.snippets {
		f, err := parser.ParseFile(fset, "snippet.go", s.code, parser.PackageClauseOnly)
		if err != nil || f.Name == nil {
			b.problems.add(s.ch.File, s.line, "a ```go block is a whole Go file (package clause and imports) or an include; fence a fragment as ```go nocheck and say why in the text")
			continue
		}
		valid = append(valid, i)
	}
	if len(valid) == 0 {
		return
	}
	removeStale(b.root)
	dir, err := os.MkdirTemp(b.root, ".bookcheck-")
	if err != nil {
		b.problems.add("book", 0, "cannot compile the Go snippets: %v", err)
		return
	}
	defer os.RemoveAll(dir)
	base := filepath.Base(dir)
	args := []string{"vet"}
	for _, i := range valid {
		pkg := filepath.Join(dir, "s"+strconv.Itoa(i))
		err := os.Mkdir(pkg, 0o755)
		if err == nil {
			err = os.WriteFile(filepath.Join(pkg, "snippet.go"), []byte(b.snippets[i].code), 0o644)
		}
		if err != nil {
			b.problems.add("book", 0, "cannot compile the Go snippets: %v", err)
			return
		}
		args = append(args, "./"+base+"/s"+strconv.Itoa(i))
	}
	// Snippets that import a lesson compile against its reference solution,
	// the way the checker runs the solution: a learner's half-written stub
	// must not break the book.
	ov, err := overlay.Solutions(b.root, b.lessons, 0)
	if err == nil {
		ovPath := filepath.Join(dir, "overlay.json")
		if err = ov.Write(ovPath); err == nil {
			args = append(args[:1], append([]string{"-overlay", ovPath}, args[1:]...)...)
		}
	}
	if err != nil {
		b.problems.add("book", 0, "cannot compile the Go snippets against the solutions: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = b.root
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if err == nil {
		return
	}
	reported := b.mapVetOutput(base, out.String())
	if !reported {
		b.problems.add("book", 0, "go vet of the Go snippets failed: %v\n%s", err, out.String())
	}
}

// removeStale removes the folders of checks that were killed before they
// could clean up (an hour is far longer than any check runs).
func removeStale(root string) {
	old, _ := filepath.Glob(filepath.Join(root, ".bookcheck-*"))
	for _, dir := range old {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() && time.Since(fi.ModTime()) > time.Hour {
			os.RemoveAll(dir)
		}
	}
}

var vetLine = regexp.MustCompile(`^(?:vet: )?(?:\./)?\.bookcheck-[^/]+/s(\d+)/snippet\.go:(\d+)(?::\d+)?: (.*)$`)
var vetPkg = regexp.MustCompile(`\.bookcheck-[^/]+/s(\d+)`)

// mapVetOutput turns go vet's messages about the temporary files into
// problems at the chapter's lines. It reports whether it found any.
func (b *bookState) mapVetOutput(base, out string) bool {
	found := false
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if m := vetLine.FindStringSubmatch(l); m != nil {
			i, _ := strconv.Atoi(m[1])
			n, _ := strconv.Atoi(m[2])
			s := b.snippets[i]
			b.problems.add(s.ch.File, s.line+n-1, "go block does not compile: %s", m[3])
			found = true
			continue
		}
		if m := vetPkg.FindStringSubmatch(l); m != nil {
			i, _ := strconv.Atoi(m[1])
			s := b.snippets[i]
			msg := vetPkg.ReplaceAllString(l, "snippet")
			b.problems.add(s.ch.File, s.line, "go block does not compile: %s", msg)
			found = true
		}
	}
	return found
}
