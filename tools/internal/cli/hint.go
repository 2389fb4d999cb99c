package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"netlings/tools/internal/catalog"
)

func hint(ctx context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("hint", flag.ContinueOnError)
	lang := flags.String("lang", "", "en or zh (default: from LC_ALL, LC_MESSAGES or LANG)")
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	l, ok, err := e.currentLesson(pos) // no N: the lesson you are on, as for check
	if err != nil {
		return err
	}
	if !ok {
		return next(ctx, e, nil)
	}
	chapter := l.Chapter
	if code := hintLang(*lang, os.Getenv); code != "en" {
		translated := filepath.ToSlash(filepath.Join("book", code, filepath.Base(l.Chapter)))
		if _, err := os.Stat(filepath.Join(e.root, translated)); err == nil {
			chapter = translated
		} else {
			fmt.Fprintf(e.stderr, "(no %s translation of %s yet: the English hints follow)\n", code, l.Chapter)
		}
	}
	text, err := catalog.Hints(filepath.Join(e.root, chapter))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("lesson %02d has no chapter yet (%s), so no hints either", l.Number, l.Chapter)
	}
	if err != nil {
		return err
	}
	if chapter != l.Chapter {
		title := catalog.ChapterTitle(filepath.Join(e.root, chapter), l.Title)
		fmt.Fprintf(e.stdout, "第 %02d 课的提示 · %s（出自 %s）\n\n%s\n", l.Number, title, chapter, strings.TrimSpace(text))
		return nil
	}
	fmt.Fprintf(e.stdout, "Hints for lesson %02d · %s (from %s)\n\n%s\n", l.Number, l.Title, chapter, strings.TrimSpace(text))
	return nil
}

// hintLang is the language of the hints: the flag (which make passes from
// LANG=zh), else the locale, as gettext reads it; anything not Chinese is
// English.
func hintLang(flagValue string, getenv func(string) string) string {
	v := flagValue
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v != "" {
			break
		}
		v = getenv(name)
	}
	if strings.HasPrefix(strings.ToLower(v), "zh") {
		return "zh"
	}
	return "en"
}
