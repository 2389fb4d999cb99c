// Package watch reports which lesson a learner just edited, once the editor
// has finished saving.
package watch

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"netlings/tools/internal/catalog"
)

// Lessons watches every lesson's folder and calls onSave with the lesson whose
// .go files changed, after debounce has passed with no further change (editors
// write a file in several steps: a temp file, a rename, a chmod). onSave runs
// on Lessons' goroutine, one call at a time, so checks never overlap. Lessons
// returns nil when ctx is done.
func Lessons(ctx context.Context, root string, lessons []catalog.Lesson, debounce time.Duration, onSave func(catalog.Lesson)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	byDir := map[string]catalog.Lesson{}
	for _, l := range lessons {
		dir := filepath.Join(root, l.Dir)
		if err := w.Add(dir); err != nil {
			return err
		}
		byDir[dir] = l
	}

	pending := map[string]time.Time{} // lesson dir -> when it last changed
	tick := time.NewTicker(debounce / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-w.Errors:
			return err
		case ev := <-w.Events:
			if isSourceEdit(ev) {
				pending[filepath.Dir(ev.Name)] = time.Now()
			}
		case now := <-tick.C:
			for dir, last := range pending {
				if now.Sub(last) >= debounce {
					delete(pending, dir)
					onSave(byDir[dir])
				}
			}
		}
	}
}

// isSourceEdit keeps the events that can change a check's outcome: a Go file
// written, created, renamed or removed, not an editor's swap or backup file.
func isSourceEdit(ev fsnotify.Event) bool {
	name := filepath.Base(ev.Name)
	if !strings.HasSuffix(name, ".go") || strings.HasPrefix(name, ".") {
		return false
	}
	return ev.Has(fsnotify.Write) || ev.Has(fsnotify.Create) || ev.Has(fsnotify.Rename) || ev.Has(fsnotify.Remove)
}
