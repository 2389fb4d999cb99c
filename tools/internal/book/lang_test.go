package book

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A translation of the fixture's chapter: translated headings keep the
// English ids, code and links stay as they are.
const zhChapter = "# 甲 {#a}\n\n## 提示 {#hints}\n\n推一把：参见[提示](#hints)。\n"

func problemsIn(ps Problems, file string) []string {
	var out []string
	for _, p := range ps {
		if p.File == file {
			out = append(out, p.String())
		}
	}
	return out
}

func TestCheck_ATranslationIsCurrentUntilItsEnglishChanges(t *testing.T) {
	root := writeFixture(t, "First version.\n", map[string]string{"book/zh/01_a.md": zhChapter})
	o := Options{Root: root}
	assert.Equal(t, []string{"book/zh/01_a.md:1: no translation stamp: when the translation matches book/01_a.md, run netlings book --stamp book/zh/01_a.md"},
		problemsIn(Check(o), "book/zh/01_a.md"), "an unstamped translation is not known to be current")

	require.NoError(t, Stamp(o, filepath.Join(root, "book/zh/01_a.md")))
	assert.Empty(t, Check(o), "a freshly stamped translation is current")
	src, err := os.ReadFile(filepath.Join(root, "book/zh/01_a.md"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(src), stampPrefix+"book/01_a.md"), "the stamp sits at the top:\n%s", src)
	assert.True(t, strings.HasSuffix(string(src), zhChapter), "stamping keeps the translation as it is:\n%s", src)

	// The English hints section changes, and a section is added.
	en := filepath.Join(root, "book/01_a.md")
	require.NoError(t, os.WriteFile(en, []byte(strings.Replace(chapterHead, "Nudge.", "Nudge harder.", 1)+"First version.\n\n## New part\n\nMore.\n"), 0o644))
	got := problemsIn(Check(o), "book/zh/01_a.md")
	require.Len(t, got, 1, "one problem per stale translation: %v", got)
	assert.Contains(t, got[0], `"Hints" (#hints) changed`, "it names the changed section")
	assert.Contains(t, got[0], `new section "New part" (#new-part)`, "it names the new section")
	assert.NotContains(t, got[0], "(#a)", "the title's section did not change")
	assert.Contains(t, got[0], "netlings book --stamp book/zh/01_a.md", "it says how to record the update")

	// make book builds anyway, with a banner on the stale page.
	out := t.TempDir()
	require.NoError(t, Build(Options{Root: root, Out: out}), "a stale translation must not stop make book")
	page, err := os.ReadFile(filepath.Join(out, "zh/01_a.html"))
	require.NoError(t, err)
	assert.Contains(t, string(page), `<div class="stale" role="note">`)
	assert.Contains(t, string(page), `<a href="#hints">提示</a> <span lang="en">(Hints)</span>：有改动`)
	assert.Contains(t, string(page), `英文新增的小节`)
	assert.NotContains(t, string(page), stampPrefix, "the stamp is not shown to readers")

	require.NoError(t, Stamp(o, filepath.Join(root, "book/zh/01_a.md")))
	assert.Empty(t, Check(o), "stamped again after the update, it is current")
}

func TestCheck_EveryChapterNeedsATranslationOnceTheBookHasOne(t *testing.T) {
	root := writeFixture(t, "", nil)
	assert.Empty(t, Check(Options{Root: root}), "a book with no translations at all is fine")

	root = writeFixture(t, "", map[string]string{"book/zh/index.md": "# 首页 {#front}\n", "book/index.md": "# Front\n"})
	got := problemsIn(Check(Options{Root: root}), "book/01_a.md")
	assert.Equal(t, []string{"book/01_a.md: no 简体中文 translation: write book/zh/01_a.md (same headings with {#id}, same code), then run netlings book --stamp book/zh/01_a.md"}, got)
}

func TestCheck_ATranslationKeepsTheEnglishIDsAndChapters(t *testing.T) {
	root := writeFixture(t, "", map[string]string{
		"book/zh/01_a.md": zhChapter + "\n参见[不存在的小节](#no-such-id)。\n",
		"book/zh/02_b.md": "# 乙\n",
	})
	ps := Check(Options{Root: root})
	assert.Contains(t, problemsIn(ps, "book/zh/01_a.md"), "book/zh/01_a.md:7: link #no-such-id: book/zh/01_a.md has no heading with id #no-such-id")
	assert.Contains(t, problemsIn(ps, "book/zh/02_b.md"), "book/zh/02_b.md:1: a translation of book/02_b.md, which does not exist")
}

func TestBuild_TheLanguageSwitchKeepsTheChapter(t *testing.T) {
	root := writeFixture(t, "", map[string]string{"book/zh/01_a.md": zhChapter, "book/zh/glossary.md": "# 术语表 {#glossary}\n"})
	site, probs := Render(Options{Root: root})
	require.Empty(t, probs)
	en, zh, gl := string(site["01_a.html"]), string(site["zh/01_a.html"]), string(site["zh/glossary.html"])
	assert.Contains(t, en, `<a class="lang-switch" href="zh/01_a.html" hreflang="zh"`)
	assert.Contains(t, zh, `<a class="lang-switch" href="../01_a.html" hreflang="en"`)
	assert.Contains(t, gl, `<a class="lang-switch" href="../index.html" hreflang="en"`, "a page with no English twin switches to the front page")
	assert.Contains(t, zh, `<html lang="zh">`)
	assert.Contains(t, zh, `href="../assets/style.css"`, "a translation's pages live one folder down")
	assert.Contains(t, string(site["zh/search-index.js"]), "推一把", "each language has its own search index")
	assert.NotContains(t, string(site["search-index.js"]), "推一把")
}

func TestBuild_ATranslationShowsItsOwnCopyOfAPicture(t *testing.T) {
	root := writeFixture(t, "![plot](plot.svg) ![other](other.svg)\n", map[string]string{
		"book/plot.svg":    "<svg>English</svg>",
		"book/other.svg":   "<svg>only in English</svg>",
		"book/zh/plot.svg": "<svg>中文</svg>",
		"book/zh/01_a.md":  zhChapter + "\n![图](plot.svg) ![另一个](other.svg)\n",
	})
	site, probs := Render(Options{Root: root})
	require.Empty(t, probs)
	assert.Equal(t, "<svg>中文</svg>", string(site["images/zh/plot.svg"]))
	assert.Equal(t, "<svg>English</svg>", string(site["images/plot.svg"]))
	assert.Contains(t, string(site["zh/01_a.html"]), `src="../images/zh/plot.svg"`, "the translation's own picture")
	assert.Contains(t, string(site["zh/01_a.html"]), `src="../images/other.svg"`, "the English picture where there is no translated one")
	assert.Contains(t, string(site["01_a.html"]), `src="images/plot.svg"`)
}
