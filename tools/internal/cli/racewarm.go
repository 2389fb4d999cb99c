package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"netlings/tools/internal/catalog"
)

// The race warm-up. .netlings/race-ready says that a -race build has
// completed here, so Go's race runtime is in the build cache;
// .netlings/race-warming says that a warm-up is under way.
const (
	raceReadyFile   = ".netlings/race-ready"
	raceWarmingFile = ".netlings/race-warming"
)

func raceReady(root string) bool {
	_, err := os.Stat(filepath.Join(root, raceReadyFile))
	return err == nil
}

func markRaceReady(root string) {
	p := filepath.Join(root, raceReadyFile)
	if os.MkdirAll(filepath.Dir(p), 0o755) == nil {
		os.WriteFile(p, []byte("the race runtime is built\n"), 0o644)
	}
}

// canWarmRace reports whether warmRace can run here: it needs a POSIX
// shell (the marker is written when go test is done), and
// NETLINGS_NO_WARMUP turns it off (the CLI's own tests).
func canWarmRace() bool {
	return runtime.GOOS != "windows" && os.Getenv("NETLINGS_NO_WARMUP") == ""
}

// warmRace starts, in the background, a -race build of lesson l's tests
// that runs none of them, so that Go's race runtime is built while the
// learner reads a first report. The checker starts it after that report
// is out, so the first verdict does not share the CPU with it. It reports
// whether a warm-up is under way.
func warmRace(root string, l catalog.Lesson) bool {
	if !canWarmRace() {
		return false
	}
	warming := filepath.Join(root, raceWarmingFile)
	if st, err := os.Stat(warming); err == nil && time.Since(st.ModTime()) < 10*time.Minute {
		return true // one is running already
	}
	if os.MkdirAll(filepath.Dir(warming), 0o755) != nil || os.WriteFile(warming, nil, 0o644) != nil {
		return false
	}
	cmd := exec.Command("sh", "-c", `go test -race -count=1 -run '^$' "./$1" >.netlings/race-warm.log 2>&1; touch "$2"; rm -f "$3"`,
		"warm", l.Dir, raceReadyFile, raceWarmingFile)
	cmd.Dir = root
	if err := cmd.Start(); err != nil {
		os.Remove(warming)
		return false
	}
	go cmd.Wait() // reap it if we are still here when it ends
	return true
}
