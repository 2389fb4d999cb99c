package overlay

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/internal/catalog"
)

// tree writes files (path -> content) under a new temporary root.
func tree(t *testing.T, files ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range files {
		p := filepath.Join(root, f)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("package x\n"), 0o644))
	}
	return root
}

func TestSolutions(t *testing.T) {
	root := tree(t,
		"lessons/01_a/a.go", "lessons/01_a/a_test.go", "lessons/01_a/stubonly.go",
		"solutions/01_a/a.go", "solutions/01_a/helper.go",
		"lessons/02_b/b.go", "lessons/02_b/b_test.go",
		"solutions/02_b/b.go",
		"lessons/03_c/c.go", // no solution yet: left alone
	)
	lessons, err := catalog.Discover(root)
	require.NoError(t, err)
	j := func(p ...string) string { return filepath.Join(append([]string{root}, p...)...) }

	cases := []struct {
		name     string
		keepStub int
		want     map[string]string
	}{
		{"every lesson solved", 0, map[string]string{
			j("lessons/01_a/a.go"):        j("solutions/01_a/a.go"),
			j("lessons/01_a/helper.go"):   j("solutions/01_a/helper.go"),
			j("lessons/01_a/stubonly.go"): "",
			j("lessons/02_b/b.go"):        j("solutions/02_b/b.go"),
		}},
		{"lesson 1 kept as its stub", 1, map[string]string{
			j("lessons/02_b/b.go"): j("solutions/02_b/b.go"),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := Solutions(root, lessons, c.keepStub)
			require.NoError(t, err)
			assert.Equal(t, c.want, o.Replace)
		})
	}
}

func TestWriteIsDeterministic(t *testing.T) {
	o := Overlay{Replace: map[string]string{"/r/b.go": "/s/b.go", "/r/a.go": ""}}
	dir := t.TempDir()
	require.NoError(t, o.Write(filepath.Join(dir, "1.json")))
	require.NoError(t, o.Write(filepath.Join(dir, "2.json")))
	one, _ := os.ReadFile(filepath.Join(dir, "1.json"))
	two, _ := os.ReadFile(filepath.Join(dir, "2.json"))
	assert.Equal(t, string(one), string(two))
	assert.Equal(t, "{\n\t\"Replace\": {\n\t\t\"/r/a.go\": \"\",\n\t\t\"/r/b.go\": \"/s/b.go\"\n\t}\n}\n", string(one))
}
