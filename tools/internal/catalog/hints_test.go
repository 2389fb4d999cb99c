package catalog

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHints_ReturnsTheHintsSection(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "01_a.md")
	md := "# A\n\n## Exercises\n\nDo it.\n\n## Hints\n\n- Read [RFC 793](https://www.rfc-editor.org/rfc/rfc793).\n\n```text\n## not a heading\n```\n\n### Sub hint\n\nMore.\n\n## Further reading\n\nNope.\n"
	require.NoError(t, os.WriteFile(p, []byte(md), 0o644))
	got, err := Hints(p)
	require.NoError(t, err)
	assert.Equal(t, "- Read RFC 793 (https://www.rfc-editor.org/rfc/rfc793).\n\n```text\n## not a heading\n```\n\n### Sub hint\n\nMore.", got)
	assert.NotContains(t, got, "Nope")

	require.NoError(t, os.WriteFile(p, []byte("# A\n\nNo hints.\n"), 0o644))
	_, err = Hints(p)
	assert.ErrorContains(t, err, `no "## Hints" section`)
}

func TestHints_ReadsATranslationsHintsByTheirID(t *testing.T) {
	p := filepath.Join(t.TempDir(), "01_a.md")
	md := "<!-- netlings translation of book/01_a.md\nhints 0123456789\n-->\n# 甲 {#a}\n\n## 提示 {#hints}\n\n- 先读 [RFC 793](https://www.rfc-editor.org/rfc/rfc793)。\n\n## 延伸阅读 {#further-reading}\n\n不要。\n"
	require.NoError(t, os.WriteFile(p, []byte(md), 0o644))
	got, err := Hints(p)
	require.NoError(t, err)
	assert.Equal(t, "- 先读 RFC 793 (https://www.rfc-editor.org/rfc/rfc793)。", got)
}
