package testkit

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// CheckerEnv is set by netlings' checker in the environment of every test
// run it starts.
const CheckerEnv = "NETLINGS_CHECK"

// Main runs a lesson's tests; every lesson's TestMain calls it. Run by hand
// with plain `go test`, whose output for an unfinished lesson is long, it
// first says how to get the checker's short report. Under the checker it
// says nothing.
func Main(m *testing.M) {
	if os.Getenv(CheckerEnv) == "" {
		if dir, err := os.Getwd(); err == nil {
			if line := checkerTip(dir); line != "" {
				fmt.Println(line)
			}
		}
	}
	os.Exit(m.Run())
}

var lessonDir = regexp.MustCompile(`^(\d\d)_[a-z0-9_]+$`)

// checkerTip is the first line a lesson's plain go test prints: go test
// runs the test binary in the package's folder, lessons/NN_slug.
func checkerTip(dir string) string {
	m := lessonDir.FindStringSubmatch(filepath.Base(dir))
	if m == nil {
		return ""
	}
	return fmt.Sprintf("netlings: for a short report of this lesson, with the first failure in plain words, run: make check-lesson N=%s",
		strings.TrimPrefix(m[1], "0"))
}
