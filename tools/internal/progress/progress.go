// Package progress remembers which lessons passed, in .netlings/progress.json
// (git-ignored). A lesson is done when its tests passed at the last check AND
// its files are still the ones that passed: edit a done lesson and it is
// pending again until the next green check.
package progress

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// File is the progress file's path, relative to the repository root.
const File = ".netlings/progress.json"

// Record is the outcome of the last check of one lesson.
type Record struct {
	Hash    string    `json:"hash"` // of the lesson's files when checked
	Passed  bool      `json:"passed"`
	Checked time.Time `json:"checked"`
}

// Store maps a lesson's folder name to its last check.
type Store struct {
	Lessons map[string]Record `json:"lessons"`
}

// State is what the learner sees for one lesson.
type State string

const (
	Done         State = "done"
	NotDone      State = "not done"
	NeverChecked State = "never checked"
)

// Load reads the progress file; a missing file is an empty store.
func Load(root string) (*Store, error) {
	s := &Store{Lessons: map[string]Record{}}
	data, err := os.ReadFile(filepath.Join(root, File))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, errors.New(File + " is damaged (" + err.Error() + "): delete it and check your lessons again")
	}
	if s.Lessons == nil {
		s.Lessons = map[string]Record{}
	}
	return s, nil
}

// Save writes the store atomically, so a Ctrl-C mid-write cannot damage it.
func (s *Store) Save(root string) error {
	path := filepath.Join(root, File)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Record notes the outcome of a check of the lesson called name, whose
// files had the given Hash when the check started.
func (s *Store) Record(name, hash string, passed bool, now time.Time) {
	s.Lessons[name] = Record{Hash: hash, Passed: passed, Checked: now.UTC()}
}

// State tells whether the lesson in dir is done, judged against its files now.
func (s *Store) State(root, name, dir string) State {
	r, ok := s.Lessons[name]
	if !ok {
		return NeverChecked
	}
	if !r.Passed {
		return NotDone
	}
	if h, err := Hash(filepath.Join(root, dir)); err != nil || h != r.Hash {
		return NotDone
	}
	return Done
}

// Hash digests every file under dir, names and contents, in walk order
// (lexical), so a rename, an edit, a new file or a deleted one changes it.
// Editors' swap and backup files (.x.go.swp, x.go~, #x.go#) do not count.
func Hash(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || !counts(dir, path) {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		io.WriteString(h, filepath.ToSlash(rel)+"\x00")
		n, err := io.Copy(h, f)
		io.WriteString(h, "\x00"+strconv.FormatInt(n, 10)+"\x00")
		return err
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

// counts reports whether the file at path can change a check: anything
// but an editor's hidden, swap or backup file.
func counts(dir, path string) bool {
	name := filepath.Base(path)
	editorFile := strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") ||
		(strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#"))
	return !editorFile
}
