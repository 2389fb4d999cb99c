package watch

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/internal/catalog"
)

func TestLessonsReportsTheEditedLessonOnce(t *testing.T) {
	root := t.TempDir()
	lessons := []catalog.Lesson{{Number: 1, Dir: "lessons/01_a"}, {Number: 2, Dir: "lessons/02_b"}}
	for _, l := range lessons {
		require.NoError(t, os.MkdirAll(filepath.Join(root, l.Dir), 0o755))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	saved := make(chan int, 10)
	done := make(chan error, 1)
	go func() {
		done <- Lessons(ctx, root, lessons, 100*time.Millisecond, func(l catalog.Lesson) { saved <- l.Number })
	}()
	time.Sleep(200 * time.Millisecond) // let the watcher start

	// An editor's save: a swap file, then several writes in a burst.
	file := filepath.Join(root, "lessons/02_b/b.go")
	require.NoError(t, os.WriteFile(filepath.Join(root, "lessons/02_b/.b.go.swp"), []byte("x"), 0o644))
	for i := range 5 {
		require.NoError(t, os.WriteFile(file, []byte{byte('a' + i)}, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "lessons/01_a/notes.txt"), []byte("not Go"), 0o644))

	select {
	case n := <-saved:
		assert.Equal(t, 2, n)
	case <-time.After(5 * time.Second):
		t.Fatal("no save reported within 5s of editing lessons/02_b/b.go")
	}
	select {
	case n := <-saved:
		t.Fatalf("a burst of writes is one save, but lesson %d was reported again", n)
	case <-time.After(400 * time.Millisecond):
	}

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Lessons did not return after its context was cancelled")
	}
}
