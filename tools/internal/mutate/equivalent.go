package mutate

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"netlings/tools/internal/catalog"
)

// EquivalentFile, beside a lesson's tests, lists the mutants of its
// solution that no test can kill because they do not change what the code
// does, each with the reviewer's reason. It is part of the lesson: the next
// reader sees the judgement, and can argue with it.
//
//	# comments and blank lines are ignored
//	echo.go:ServeEcho:constant:`16` → `17` -- only a buffer size: any size echoes
const EquivalentFile = "equivalent-mutants.txt"

// equivLine is "<mutant id> -- <reason>"; an ID ends with a backquote or
// with "#N" for the Nth identical change in one function.
var equivLine = regexp.MustCompile("^(.*?`(?:#\\d+)?) -- (.*)$")

type equivalents struct{ entries map[string]string }

// ReadEquivalents reads a lesson's EquivalentFile; a missing file lists
// none. An entry without a reason is refused: "equivalent" is a claim.
func ReadEquivalents(root string, l catalog.Lesson) (equivalents, error) {
	e := equivalents{entries: map[string]string{}}
	path := filepath.Join(root, l.Dir, EquivalentFile)
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return e, nil
	}
	if err != nil {
		return e, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := equivLine.FindStringSubmatch(line)
		if m == nil || strings.TrimSpace(m[2]) == "" {
			return e, fmt.Errorf("%w %s:%d: every entry is a mutant's id, then \" -- \" and the reason it changes nothing; this one has no reason", ErrEquivalentFile, filepath.Join(l.Dir, EquivalentFile), n)
		}
		e.entries[m[1]] = strings.TrimSpace(m[2])
	}
	return e, sc.Err()
}

// stale lists the entries that match no mutant any more (the code moved on).
func (e equivalents) stale(ms []Mutant) []string {
	ids := map[string]bool{}
	for _, m := range ms {
		ids[m.ID] = true
	}
	var out []string
	for id := range e.entries {
		if !ids[id] {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}
