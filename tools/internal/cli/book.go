//go:build !checker

package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"netlings/tools/internal/book"
	"netlings/tools/internal/bookserve"
	"netlings/tools/internal/catalog"
)

func bookCmd(ctx context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("book", flag.ContinueOnError)
	checkOnly := flags.Bool("check", false, "check every include, link and Go snippet; write nothing")
	out := flags.String("out", "", "where to write the site (default book/_site)")
	stamp := flags.Bool("stamp", false, "record that the translations named (book/zh/NN_slug.md ...) match their English chapters as they are now")
	files, err := parse(flags, args)
	if err != nil {
		return err
	}
	o := book.Options{Root: e.root, Out: *out}
	if *stamp {
		if len(files) == 0 {
			return fmt.Errorf("book --stamp: name the translations you brought up to date, e.g. book/zh/02_echo.md")
		}
		if err := book.Stamp(o, files...); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "book: stamped %s\n", count(len(files), "translation"))
		return nil
	}
	start := time.Now()
	if *checkOnly {
		if probs := book.Check(o); len(probs) > 0 {
			fmt.Fprintln(e.stdout, probs.Error())
			fmt.Fprintf(e.stdout, "book --check: %s\n", count(len(probs), "problem"))
			return errFailed{}
		}
		fmt.Fprintf(e.stdout, "book: every include, link and Go snippet checks out (%s)\n", time.Since(start).Round(time.Millisecond))
		return nil
	}
	o.Warn = e.stderr // your edits never break your book
	if err := book.Build(o); err != nil {
		var probs *book.Problems
		if errors.As(err, &probs) {
			fmt.Fprintln(e.stdout, probs.Error())
			fmt.Fprintf(e.stdout, "book: %s, nothing written\n", count(len(*probs), "problem"))
			return errFailed{}
		}
		return err
	}
	site := *out
	if site == "" {
		site = filepath.Join(e.root, "book", "_site")
	}
	fmt.Fprintf(e.stdout, "book written in %s: open %s\n", time.Since(start).Round(time.Millisecond), filepath.Join(site, "index.html"))
	return nil
}

func serve(ctx context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("serve", flag.ContinueOnError)
	port := flags.Int("port", 0, "the port to listen on (default: a free one)")
	if _, err := parse(flags, args); err != nil {
		return err
	}
	o := bookserve.Options{
		Root: e.root,
		Addr: fmt.Sprintf("127.0.0.1:%d", *port),
		Log:  e.stderr,
		Check: func(ctx context.Context, n int, w io.Writer) error {
			l, err := catalog.Find(e.lessons, strconv.Itoa(n))
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "running lesson %02d's tests (go test -race)…\n\n", n)
			_, err = runCheck(ctx, e, w, l, checkHow{})
			return err
		},
		Status: func() map[int]string {
			status := map[int]string{}
			store, err := e.progress()
			if err != nil {
				return status
			}
			for _, l := range e.lessons {
				status[l.Number] = string(store.State(e.root, l.Name, l.Dir))
			}
			return status
		},
	}
	return bookserve.Serve(ctx, o, func(url string) {
		fmt.Fprintf(e.stdout, "The book is at %s (Ctrl-C to stop)\n", url)
	})
}

// count writes "1 problem", "2 problems".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
