package book

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/golden_site from the current output")

const goldenRoot, goldenSite = "testdata/golden", "testdata/golden_site"

// TestBuild_MatchesGolden renders the small book in testdata/golden and
// compares every file with testdata/golden_site. After an intended change,
// run: go test ./tools/internal/book -run Golden -update
func TestBuild_MatchesGolden(t *testing.T) {
	out := t.TempDir()
	require.NoError(t, Build(Options{Root: goldenRoot, Out: out}), "the golden book must build without problems")
	got := readTree(t, out)
	delete(got, siteMarker)

	if *update {
		require.NoError(t, os.RemoveAll(goldenSite))
		for name, data := range got {
			p := filepath.Join(goldenSite, filepath.FromSlash(name))
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, data, 0o644))
		}
		t.Logf("updated %s (%d files)", goldenSite, len(got))
		return
	}
	for name, data := range got {
		for _, remote := range []string{`src="http`, `src="//`, `<link rel="stylesheet" href="http`, `@import`, `url(http`} {
			require.NotContains(t, string(data), remote, "%s loads something from the network: the book must open offline", name)
		}
	}
	want := readTree(t, goldenSite)
	for name := range want {
		_, ok := got[name]
		require.True(t, ok, "the site no longer has %s (run with -update if that is intended)", name)
	}
	for name, data := range got {
		w, ok := want[name]
		require.True(t, ok, "the site has a new file %s (run with -update if that is intended)", name)
		if string(w) != string(data) {
			t.Errorf("%s differs from the golden file: %s\n(run with -update if the change is intended)", name, firstDiff(string(w), string(data)))
		}
	}
}

// TestRender_IsDeterministic renders the same book twice and expects the
// same bytes: no map order, no time, no goroutine order leaks into the site.
func TestRender_IsDeterministic(t *testing.T) {
	a, pa := Render(Options{Root: goldenRoot})
	b, pb := Render(Options{Root: goldenRoot})
	require.Empty(t, pa)
	require.Empty(t, pb)
	require.Equal(t, a.Files(), b.Files())
	for _, name := range a.Files() {
		require.Equal(t, string(a[name]), string(b[name]), "%s differs between two renders", name)
	}
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	require.NoError(t, err)
	return files
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return "(same lines, different bytes)"
}

func itoa(i int) string { return strconv.Itoa(i) }
