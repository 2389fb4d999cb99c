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
	for _, name := range []string{".b.go.swp", "b.go~", "#b.go#"} {
		before, _ := Hash(dir)
		write(t, filepath.Join(dir, name), "an editor's file")
		after, _ := Hash(dir)
		assert.Equal(t, before, after, "%s is an editor's file: it must not undo done", name)
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

	record := func(passed bool) {
		h, err := Hash(filepath.Join(root, dir))
		require.NoError(t, err)
		s.Record("01_a", h, passed, time.Now())
	}
	record(false)
	assert.Equal(t, NotDone, s.State(root, "01_a", dir), "a failing check is not done")

	record(true)
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
