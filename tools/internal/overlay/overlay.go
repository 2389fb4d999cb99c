// Package overlay builds the file overlay that `go test -overlay` uses to
// compile the lessons as their reference solutions. The tests exist once, in
// lessons/; the overlay swaps the code under them, so nothing is copied.
package overlay

import (
	"encoding/json"
	"os"
	"path/filepath"

	"netlings/tools/internal/catalog"
)

// Overlay is the JSON document `go build -overlay` reads: each key is a file
// as the go command will see it, each value the file to read instead, or ""
// for a file that is not there.
type Overlay struct {
	Replace map[string]string
}

// Solutions returns the overlay that turns every lesson into its reference
// solution, except the lesson numbered keepStub (0 keeps none), whose stub
// files stay as they are. Every lesson is swapped, not just one, because a
// lesson may import an earlier one (an HTTP server built on the learner's
// own parser), and its solution must build on that lesson's solution.
//
// For each lesson: a solution file replaces the stub file of the same name
// or is added beside the stubs; a stub file with no solution twin is removed.
// Test files are never touched. A lesson with no solutions folder is left alone.
func Solutions(root string, lessons []catalog.Lesson, keepStub int) (Overlay, error) {
	o := Overlay{Replace: map[string]string{}}
	for _, l := range lessons {
		if l.Number == keepStub {
			continue
		}
		solved, err := catalog.SolutionFiles(root, l)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return Overlay{}, err
		}
		stubs, err := catalog.StubFiles(root, l)
		if err != nil {
			return Overlay{}, err
		}
		names := map[string]bool{}
		for _, s := range solved {
			name := filepath.Base(s)
			names[name] = true
			o.Replace[abs(root, l.Dir, name)] = abs(root, l.SolutionDir, name)
		}
		for _, s := range stubs {
			if name := filepath.Base(s); !names[name] {
				o.Replace[abs(root, l.Dir, name)] = ""
			}
		}
	}
	return o, nil
}

func abs(root, dir, name string) string { return filepath.Join(root, dir, name) }

// Write saves the overlay as JSON to path, keys in a stable order so the
// same tree always gives the same bytes.
func (o Overlay) Write(path string) error {
	data, err := json.MarshalIndent(o, "", "\t") // encoding/json sorts map keys
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
