//go:build !checker

package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"netlings/tools/internal/mutate"
)

// mutateCmd is a maintainer's verb: it runs each named lesson's tests
// against machine-made wrong versions of its solution and fails when the
// tests kill fewer than --min-score percent of them.
func mutateCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("mutate", flag.ContinueOnError)
	o := mutate.Options{Root: e.root, Lessons: e.lessons}
	fs.IntVar(&o.Sample, "sample", 0, "test only K mutants per lesson (0: all)")
	fs.Uint64Var(&o.Seed, "seed", 1, "which sample")
	fs.IntVar(&o.Jobs, "jobs", 0, "mutants tested at once (0: one per CPU)")
	fs.BoolVar(&o.Race, "race", false, "run the tests under -race")
	fs.BoolVar(&o.Fresh, "fresh", false, "ignore the results of earlier runs")
	fs.DurationVar(&o.Timeout, "timeout", 0, "per mutant (0: three times the solution's own run, at least 20s)")
	budget := fs.Duration("budget", 0, "start no mutant after this long; the rest are reported as not run (0: no limit)")
	minScore := fs.Float64("min-score", 95, "fail when a lesson's tests kill fewer than this percent of its mutants")
	verbose := fs.Bool("v", false, "print every mutant as it finishes")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	lessons, err := e.someLessons(pos)
	if err != nil {
		return err
	}
	if *budget > 0 {
		o.Deadline = time.Now().Add(*budget)
	}
	if *verbose {
		o.Progress = e.stdout
	}
	weak := 0
	for _, l := range lessons {
		rep, err := mutate.Lesson(ctx, o, l)
		if err != nil {
			return err
		}
		printMutants(e.stdout, rep)
		if rep.Score() < *minScore {
			weak++
		}
	}
	if weak > 0 {
		fmt.Fprintf(e.stdout, "\nmutate: %d of %d lessons below %.0f%%: kill each survivor with a test, or list it in lessons/NN_slug/%s with the reason it changes nothing\n",
			weak, len(lessons), *minScore, mutate.EquivalentFile)
		return errFailed{}
	}
	return nil
}

func printMutants(w io.Writer, r *mutate.Report) {
	fmt.Fprintf(w, "mutate %s: %d mutants: %d killed, %d survived, %d equivalent, %d do not compile",
		r.Lesson.Name, len(r.Results), r.Count(mutate.Killed), r.Count(mutate.Survived),
		r.Count(mutate.Equivalent), r.Count(mutate.NoCompile))
	if n := r.Count(mutate.NotRun); n > 0 {
		fmt.Fprintf(w, ", %d not run (time budget)", n)
	}
	fmt.Fprintf(w, "; score %.1f%% (%s)\n", r.Score(), r.Elapsed.Round(time.Second))
	for _, res := range r.Results {
		if res.Status == mutate.Survived {
			fmt.Fprintf(w, "  survived %s:%d [%s] %s\n           id: %s\n", res.File, res.Line, res.Op, res.Diff(), res.ID)
		}
	}
	for _, id := range r.Stale {
		fmt.Fprintf(w, "  %s lists a mutant that no longer exists: %s\n", mutate.EquivalentFile, id)
	}
}
