package progress

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

func TestHashChangesWithEveryKindOfEdit(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.go"), "package a\n")
	write(t, filepath.Join(dir, "testdata/x.txt"), "x")
	base, err := Hash(dir)
	require.NoError(t, err)
	again, _ := Hash(dir)
	assert.Equal(t, base, again, "the same files hash the same")

	edits := map[string]func(){
		"edit a file":   func() { write(t, filepath.Join(dir, "a.go"), "package a // edited\n") },
		"add a file":    func() { write(t, filepath.Join(dir, "b.go"), "package a\n") },
		"rename a file": func() { require.NoError(t, os.Rename(filepath.Join(dir, "a.go"), filepath.Join(dir, "c.go"))) },
		"edit testdata": func() { write(t, filepath.Join(dir, "testdata/x.txt"), "y") },
		"move bytes across": func() {
			write(t, filepath.Join(dir, "a.go"), "package a\npackage")
			write(t, filepath.Join(dir, "b.go"), "")
		},
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			before, _ := Hash(dir)
			edit()
			after, err := Hash(dir)
			require.NoError(t, err)
			assert.NotEqual(t, before, after)
		})
	}
}

func TestStateFollowsTheFiles(t *testing.T) {
	root := t.TempDir()
	dir := "lessons/01_a"
	write(t, filepath.Join(root, dir, "a.go"), "package a\n")
	s, err := Load(root)
	require.NoError(t, err)
	assert.Equal(t, NeverChecked, s.State(root, "01_a", dir))

	require.NoError(t, s.Record(root, "01_a", dir, false, time.Now()))
	assert.Equal(t, NotDone, s.State(root, "01_a", dir), "a failing check is not done")

	require.NoError(t, s.Record(root, "01_a", dir, true, time.Now()))
	assert.Equal(t, Done, s.State(root, "01_a", dir))
	require.NoError(t, s.Save(root))

	loaded, err := Load(root)
	require.NoError(t, err)
	assert.Equal(t, Done, loaded.State(root, "01_a", dir), "done survives a reload")

	write(t, filepath.Join(root, dir, "a.go"), "package a // changed after the green check\n")
	assert.Equal(t, NotDone, loaded.State(root, "01_a", dir), "an edit after the green check undoes done")
}

func TestLoadReportsADamagedFile(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, File), "{not json")
	_, err := Load(root)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "delete it")
}
