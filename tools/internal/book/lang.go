package book

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The book is written in English, in book/, and translated: a translation
// lives in book/LANG/ with the same file names. A translated chapter keeps
// the English chapter's code, includes and links as they are, and gives every
// heading the English heading's id ({#id}), so fragments, the language switch
// and the staleness check all pair sections by id.
//
// Each translation starts with a stamp, written by `netlings book --stamp`:
// one line per section of the English chapter, its id and a hash of its
// Markdown. Check compares the stamp with the English chapter as it is now
// and names every section that changed since the translation was made.

// language is one language of the site.
type language struct {
	Code string // "en", "zh": the folder in book/ and in the site ("" for English)
	Name string // the switch's label, in the language itself
	UI   ui
}

func (l language) dir() string {
	if l.Code == "en" {
		return ""
	}
	return l.Code + "/"
}

// ui holds the theme's words.
type ui struct {
	Search, Print, PrintTitle, PrintHint, Chapters, Theme, OnThisPage string
	NeverChecked, CheckLesson, Prev, Next, WholeBook                  string
	Stale, ReadEnglish, Untranslated, SwitchTitle                     string
	Changed, New, Removed                                             string
}

var languages = []language{
	{Code: "en", Name: "English", UI: ui{
		Search: "Search the book (press /)", Print: "Print", PrintTitle: "Every chapter on one page, for printing",
		PrintHint: "Every chapter in order.", Chapters: "Chapters", Theme: "Switch between light and dark (remembered)",
		OnThisPage: "On this page", NeverChecked: "never checked", CheckLesson: "Check this lesson",
		Prev: "Previous", Next: "Next", WholeBook: "The whole book", SwitchTitle: "Read this page in English",
	}},
	{Code: "zh", Name: "简体中文", UI: ui{
		Search: "搜索本书（按 /）", Print: "打印", PrintTitle: "所有章节合为一页，便于打印",
		PrintHint: "按顺序排列的全部章节。", Chapters: "目录", Theme: "切换浅色与深色（会记住选择）",
		OnThisPage: "本页内容", NeverChecked: "尚未检查", CheckLesson: "检查本课",
		Prev: "上一章", Next: "下一章", WholeBook: "全书", SwitchTitle: "阅读本页的简体中文版",
		Stale:       "本章的英文原文在翻译之后有改动，以下小节的译文可能已过时：",
		ReadEnglish: "阅读英文原文", Untranslated: "（英文，尚未翻译）",
		Changed: "有改动", New: "英文新增的小节", Removed: "已从英文原文删除",
	}},
}

func langByCode(code string) language {
	for _, l := range languages {
		if l.Code == code {
			return l
		}
	}
	return languages[0]
}

const stampPrefix = "<!-- netlings translation of "

// section is one heading's part of a chapter: from the heading's line to
// the next heading's (the title's section holds the introduction).
type section struct {
	ID, Title string
	Hash      string
}

// sections splits a parsed chapter at its headings and hashes each part.
func (ch *chapter) sections() []section {
	lines := strings.SplitAfter(string(ch.src), "\n")
	var out []section
	for i, h := range ch.headings {
		from := ch.line(h.node.Lines().At(0).Start) - 1
		to := len(lines)
		if i+1 < len(ch.headings) {
			to = ch.line(ch.headings[i+1].node.Lines().At(0).Start) - 1
		}
		if i == 0 {
			from = 0 // anything before the title belongs to it
		}
		sum := sha256.Sum256([]byte(strings.TrimSpace(strings.Join(lines[from:to], ""))))
		out = append(out, section{ID: h.ID, Title: h.Text, Hash: hex.EncodeToString(sum[:5])})
	}
	return out
}

// parseStamp reads the stamp at the top of a translation: section id to
// hash. ok is false when there is none.
func parseStamp(src []byte) (stamp map[string]string, end int, ok bool) {
	if !bytes.HasPrefix(src, []byte(stampPrefix)) {
		return nil, 0, false
	}
	close := bytes.Index(src, []byte("-->"))
	if close < 0 {
		return nil, 0, false
	}
	end = close + len("-->")
	if end < len(src) && src[end] == '\n' {
		end++
	}
	stamp = map[string]string{}
	body := string(src[:close])
	for _, line := range strings.Split(body, "\n")[1:] {
		if id, hash, found := strings.Cut(strings.TrimSpace(line), " "); found {
			stamp[id] = hash
		}
	}
	return stamp, end, true
}

// stampText is the stamp of a translation of en.
func stampText(en *chapter) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s (section hashes, written by `netlings book --stamp`; translate the change, then stamp again)\n", stampPrefix, en.File)
	for _, s := range en.sections() {
		fmt.Fprintf(&b, "%s %s\n", s.ID, s.Hash)
	}
	b.WriteString("-->\n")
	return b.String()
}

// change is one section of an English chapter that changed since its
// translation was stamped.
type change struct {
	Kind  string // "changed", "new" or "removed"
	ID    string // the section's heading id
	Title string // the English heading ("" when removed)
	Local string // the translation's heading, when it has one
}

func (c change) String() string {
	switch c.Kind {
	case "new":
		return fmt.Sprintf("new section %q (#%s)", c.Title, c.ID)
	case "removed":
		return fmt.Sprintf("section #%s was removed from the English", c.ID)
	}
	return fmt.Sprintf("%q (#%s) changed", c.Title, c.ID)
}

// staleness lists what changed in a translation's English chapter since it
// was stamped; nil when the translation is current.
func staleness(tr *chapter) []change {
	en := tr.twin
	if en == nil || tr.stamp == nil {
		return nil
	}
	local := map[string]string{}
	for _, h := range tr.headings {
		local[h.ID] = h.Text
	}
	var out []change
	seen := map[string]bool{}
	for _, s := range en.sections() {
		seen[s.ID] = true
		switch hash, ok := tr.stamp[s.ID]; {
		case !ok:
			out = append(out, change{Kind: "new", ID: s.ID, Title: s.Title, Local: local[s.ID]})
		case hash != s.Hash:
			out = append(out, change{Kind: "changed", ID: s.ID, Title: s.Title, Local: local[s.ID]})
		}
	}
	for _, h := range tr.headings {
		if _, stamped := tr.stamp[h.ID]; stamped && !seen[h.ID] {
			out = append(out, change{Kind: "removed", ID: h.ID, Local: h.Text})
		}
	}
	return out
}

// checkTranslations adds a problem for every chapter with no translation
// and every translation that is behind its English chapter.
func (b *bookState) checkTranslations() {
	for _, l := range languages[1:] {
		if len(b.langChapters(l.Code)) == 0 {
			continue // a book not translated into l at all
		}
		for _, en := range b.langChapters("en") {
			if b.find(l.Code, en.Name) == nil {
				b.problems.add(en.File, 0, "no %s translation: write book/%s%s.md (same headings with {#id}, same code), then run netlings book --stamp book/%s%s.md", l.Name, l.dir(), en.Name, l.dir(), en.Name)
			}
		}
		for _, tr := range b.langChapters(l.Code) {
			switch {
			case tr.twin == nil:
			case tr.stamp == nil:
				b.problems.add(tr.File, 1, "no translation stamp: when the translation matches %s, run netlings book --stamp %s", tr.twin.File, tr.File)
			default:
				if stale := staleness(tr); len(stale) > 0 {
					var what []string
					for _, c := range stale {
						what = append(what, c.String())
					}
					b.problems.add(tr.File, 1, "the English changed since this translation: %s; translate the change, then run netlings book --stamp %s", strings.Join(what, "; "), tr.File)
				}
			}
		}
	}
}

// Stamp records in each translation (a path like book/zh/02_echo.md) that
// it matches its English chapter as it is now.
func Stamp(o Options, files ...string) error {
	b := load(o)
	for _, f := range files {
		rel := filepath.ToSlash(f)
		if abs, err := filepath.Abs(f); err == nil {
			if r, err := filepath.Rel(b.root, abs); err == nil && !strings.HasPrefix(r, "..") {
				rel = filepath.ToSlash(r)
			}
		}
		var tr *chapter
		for _, ch := range b.chapters {
			if ch.File == rel && ch.Lang != "en" {
				tr = ch
			}
		}
		if tr == nil {
			return fmt.Errorf("%s is not a translated chapter (book/LANG/NN_slug.md)", f)
		}
		if tr.twin == nil {
			return fmt.Errorf("%s has no English chapter to stamp it against", f)
		}
		_, end, _ := parseStamp(tr.src)
		out := append([]byte(stampText(tr.twin)), tr.src[end:]...)
		if err := os.WriteFile(filepath.Join(b.root, filepath.FromSlash(rel)), out, 0o644); err != nil {
			return err
		}
	}
	return nil
}
