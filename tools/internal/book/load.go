package book

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"netlings/tools/internal/catalog"
)

// bookState is the whole book, parsed, with the problems found so far.
type bookState struct {
	root     string
	chapters []*chapter // index first, then lessons in number order
	byName   map[string]*chapter
	lessons  []catalog.Lesson
	snippets []snippet
	problems Problems
	md       goldmark.Markdown
	warn     io.Writer // see Options.Warn
}

// chapter is one Markdown file of book/.
type chapter struct {
	File   string // book/02_echo.md, book/zh/02_echo.md
	Name   string // 02_echo, or index
	Number int    // the lesson number; -1 for the index and extra chapters
	Lang   string // en, zh
	Title  string
	twin   *chapter          // a translation's English chapter
	stamp  map[string]string // a translation's stamp: section id -> hash
	src    []byte
	body   int // where the Markdown starts, after a translation's stamp
	doc    ast.Node
	nl     []int // offsets of '\n' in src, for line numbers

	headings []heading
	ids      map[string]bool
	links    []*link
}

type heading struct {
	Level int
	ID    string
	Text  string
	node  *ast.Heading
}

// link is a relative link of a chapter, checked once every chapter is parsed
// and rewritten for the page it is rendered into.
type link struct {
	node     ast.Node // *ast.Link or *ast.Image
	line     int
	dest     string // as written
	target   string // repo-relative path ("" = this chapter)
	chapter  *chapter
	fragment string
}

// snippet is a ```go block that must compile.
type snippet struct {
	ch   *chapter
	line int // chapter line of the first line of code
	code string
}

// codeBlock replaces every fenced code block of a chapter: the code to show
// (an include already resolved) and its language.
type codeBlock struct {
	ast.BaseBlock
	Lang     string
	Code     string
	Solution bool // inside "Show the solution": kept out of the search index
}

var kindCodeBlock = ast.NewNodeKind("NetlingsCodeBlock")

func (n *codeBlock) Kind() ast.NodeKind { return kindCodeBlock }
func (n *codeBlock) IsRaw() bool        { return true }
func (n *codeBlock) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"Lang": n.Lang}, nil)
}

var chapterName = regexp.MustCompile(`^(\d\d)_([a-z0-9][a-z0-9_]*)$`)

func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		// CJK: a line break next to a Chinese character is no space.
		goldmark.WithExtensions(extension.GFM, extension.NewCJK(extension.WithEastAsianLineBreaks(extension.EastAsianLineBreaksCSS3Draft))),
		// {#id} after a heading: a translation keeps the English ids.
		goldmark.WithParserOptions(parser.WithHeadingAttribute()),
		goldmark.WithRendererOptions(
			gmhtml.WithUnsafe(), // <details> for solutions
			// headings with anchors and highlighted code, before goldmark's own
			renderer.WithNodeRenderers(util.Prioritized(nodeRenderer{}, 100)),
		),
	)
}

// load reads and parses every chapter, resolves includes and checks links.
func load(o Options) *bookState {
	if abs, err := filepath.Abs(o.Root); err == nil {
		o.Root = abs
	}
	b := &bookState{root: o.Root, byName: map[string]*chapter{}, warn: o.Warn}
	b.md = newMarkdown()

	lessons, err := catalog.Discover(o.Root)
	if err != nil {
		b.problems.add("lessons", 0, "%v", err)
	}
	b.lessons = lessons
	b.readChapters()
	for _, ch := range b.chapters {
		b.parse(ch)
	}
	for _, ch := range b.chapters {
		b.checkLinks(ch)
	}
	return b
}

// readChapters lists book/*.md and pairs chapters with lesson folders, then
// reads the translations in book/LANG/.
func (b *bookState) readChapters() {
	b.chapters = b.readLang(languages[0])
	if len(b.chapters) == 0 {
		return
	}
	for _, l := range languages[1:] {
		b.chapters = append(b.chapters, b.readLang(l)...)
	}
	for _, ch := range b.chapters {
		b.byName[ch.Lang+"/"+ch.Name] = ch
	}
	for _, ch := range b.chapters {
		if ch.Lang != "en" {
			ch.twin = b.find("en", ch.Name)
		}
	}

	hasLesson := map[string]bool{}
	for _, l := range b.lessons {
		hasLesson[l.Name] = true
		if b.find("en", l.Name) == nil {
			b.problems.add(l.Chapter, 0, "lesson folder %s has no chapter: write %s", l.Dir, l.Chapter)
		}
	}
	seen := map[string]string{}
	for _, ch := range b.chapters {
		if ch.Number < 0 {
			continue
		}
		if ch.Lang != "en" && ch.twin == nil {
			b.problems.add(ch.File, 1, "a translation of book/%s.md, which does not exist", ch.Name)
		} else if !hasLesson[ch.Name] {
			b.problems.add(ch.File, 1, "chapter has no lesson folder lessons/%s", ch.Name)
		}
		key := fmt.Sprintf("%s/%02d", ch.Lang, ch.Number)
		if other, dup := seen[key]; dup {
			b.problems.add(ch.File, 1, "two chapters are numbered %02d: %s.md and %s.md", ch.Number, other, ch.Name)
		}
		seen[key] = ch.Name
	}
}

// readLang reads one language's chapters: the index first, then the lessons'
// chapters in number order, then a translation's own chapters (a glossary).
func (b *bookState) readLang(l language) []*chapter {
	dir := "book/" + l.dir()
	entries, err := os.ReadDir(filepath.Join(b.root, filepath.FromSlash(dir)))
	if err != nil {
		if l.Code == "en" {
			b.problems.add("book", 0, "no book folder: %v", err)
		}
		return nil
	}
	var index *chapter
	var chapters, extra []*chapter
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".md")
		if e.IsDir() || !ok {
			continue
		}
		file := dir + e.Name()
		ch := &chapter{File: file, Name: name, Number: -1, Lang: l.Code}
		if m := chapterName.FindStringSubmatch(name); m != nil {
			ch.Number, _ = strconv.Atoi(m[1])
		} else if name != "index" && (l.Code == "en" || !plainName.MatchString(name)) {
			b.problems.add(file, 1, "a chapter is named NN_slug.md after its lesson folder (or index.md for the front page)")
			continue
		}
		src, err := os.ReadFile(filepath.Join(b.root, filepath.FromSlash(file)))
		if err != nil {
			b.problems.add(file, 0, "%v", err)
			continue
		}
		ch.src = src
		ch.nl = newlines(src)
		if l.Code != "en" {
			ch.stamp, ch.body, _ = parseStamp(src)
		}
		switch {
		case name == "index":
			index = ch
		case ch.Number < 0:
			extra = append(extra, ch)
		default:
			chapters = append(chapters, ch)
		}
	}
	sort.SliceStable(chapters, func(i, j int) bool {
		if chapters[i].Number != chapters[j].Number {
			return chapters[i].Number < chapters[j].Number
		}
		return chapters[i].Name < chapters[j].Name
	})
	var out []*chapter
	if index != nil {
		out = append(out, index)
	}
	return append(append(out, chapters...), extra...)
}

// plainName is a translation's own chapter, such as glossary.md.
var plainName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// find returns the chapter of that language and name, or nil.
func (b *bookState) find(lang, name string) *chapter {
	return b.byName[lang+"/"+name]
}

// langChapters lists one language's chapters in reading order.
func (b *bookState) langChapters(lang string) []*chapter {
	var out []*chapter
	for _, ch := range b.chapters {
		if ch.Lang == lang {
			out = append(out, ch)
		}
	}
	return out
}

func newlines(src []byte) []int {
	var nl []int
	for i, c := range src {
		if c == '\n' {
			nl = append(nl, i)
		}
	}
	return nl
}

// line returns the 1-based line of a byte offset.
func (ch *chapter) line(off int) int {
	if off < 0 {
		return 0
	}
	return sort.SearchInts(ch.nl, off) + 1
}

// blockLine is the first line of a block node, or 0.
func (ch *chapter) blockLine(n ast.Node) int {
	for ; n != nil; n = n.Parent() {
		if n.Pos() >= 0 {
			return ch.line(n.Pos())
		}
		if n.Type() == ast.TypeBlock && n.Lines().Len() > 0 {
			return ch.line(n.Lines().At(0).Start)
		}
	}
	return 0
}

// codeSpan matches `code`: a directive in a code span is shown on purpose.
var codeSpan = regexp.MustCompile("`+[^`]*`+")

var (
	detailsOpen  = regexp.MustCompile(`(?i)<details\b[^>]*>`)
	detailsClose = regexp.MustCompile(`(?i)</details\s*>`)
	showSolution = regexp.MustCompile(`(?i)<summary\b[^>]*>\s*(Show the solution|查看答案)\s*</summary>`)
)

// parse parses one chapter: heading ids, includes, snippets, links.
func (b *bookState) parse(ch *chapter) {
	ch.doc = b.md.Parser().Parse(text.NewReader(ch.src))
	ch.ids = map[string]bool{}
	var details []bool // open <details> elements: true = "Show the solution"
	inSolution := func() bool { return slices.Contains(details, true) }

	var replace [][2]ast.Node
	ast.Walk(ch.doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			t := plain(n, ch.src)
			id := slug(t)
			if given, ok := n.AttributeString("id"); ok {
				id = string(given.([]byte))
			}
			id = uniqueID(ch.ids, id)
			ch.headings = append(ch.headings, heading{Level: n.Level, ID: id, Text: t, node: n})
			if n.Level == 1 && ch.Title == "" {
				ch.Title = t
			}
		case *ast.HTMLBlock, *ast.RawHTML:
			raw := rawText(n, ch.src)
			if strings.Contains(raw, "{{#") {
				b.problems.add(ch.File, ch.blockLine(n), "a {{#include}} inside raw HTML is not expanded: leave a blank line after </summary> so the fence is Markdown")
			}
			details = trackDetails(details, raw)
		case *ast.Paragraph, *ast.TextBlock:
			for i := 0; i < n.Lines().Len(); i++ {
				seg := n.Lines().At(i)
				line := string(seg.Value(ch.src))
				if directiveRE.MatchString(codeSpan.ReplaceAllString(line, "")) {
					b.problems.add(ch.File, ch.line(seg.Start), "%q is not expanded here: an include must be the only line of a fenced code block", strings.TrimSpace(line))
				}
			}
		case *ast.FencedCodeBlock:
			replace = append(replace, [2]ast.Node{n, b.codeBlock(ch, n, inSolution())})
			return ast.WalkSkipChildren, nil
		case *ast.CodeBlock:
			replace = append(replace, [2]ast.Node{n, &codeBlock{Code: linesText(n, ch.src)}})
			return ast.WalkSkipChildren, nil
		case *ast.Link:
			ch.addLink(n, string(n.Destination))
		case *ast.Image:
			ch.addLink(n, string(n.Destination))
		}
		return ast.WalkContinue, nil
	})
	for _, r := range replace {
		r[0].Parent().ReplaceChild(r[0].Parent(), r[0], r[1])
	}
	if first := ch.doc.FirstChild(); ch.stamp != nil && first != nil && first.Kind() == ast.KindHTMLBlock {
		ch.doc.RemoveChild(ch.doc, first) // the stamp is for the build, not the reader
	}
	if len(details) > 0 {
		b.problems.add(ch.File, 1, "a <details> block is never closed with </details>")
	}
	if ch.Title == "" {
		b.problems.add(ch.File, 1, "a chapter starts with its title: \"# Title\"")
		ch.Title = ch.Name
	} else if first, _, _ := bytes.Cut(ch.src[ch.body:], []byte("\n")); !bytes.HasPrefix(first, []byte("# ")) {
		b.problems.add(ch.File, 1, "the first line must be the chapter's title (\"# %s\")", ch.Title)
	}
	if ch.Number >= 0 && !ch.ids["hints"] {
		b.problems.add(ch.File, 1, "no \"## Hints\" section (netlings hint prints it)")
	}
}

func trackDetails(stack []bool, raw string) []bool {
	type ev struct {
		at    int
		open  bool
		solut bool
	}
	var evs []ev
	for _, m := range detailsOpen.FindAllStringIndex(raw, -1) {
		rest := raw[m[1]:]
		if c := detailsClose.FindStringIndex(rest); c != nil {
			rest = rest[:c[0]]
		}
		evs = append(evs, ev{at: m[0], open: true, solut: showSolution.MatchString(rest)})
	}
	for _, m := range detailsClose.FindAllStringIndex(raw, -1) {
		evs = append(evs, ev{at: m[0]})
	}
	sort.Slice(evs, func(i, j int) bool { return evs[i].at < evs[j].at })
	for _, e := range evs {
		if e.open {
			stack = append(stack, e.solut)
		} else if len(stack) > 0 {
			stack = stack[:len(stack)-1]
		}
	}
	return stack
}

func rawText(n ast.Node, src []byte) string {
	var buf bytes.Buffer
	switch n := n.(type) {
	case *ast.HTMLBlock:
		for i := 0; i < n.Lines().Len(); i++ {
			seg := n.Lines().At(i)
			buf.Write(seg.Value(src))
		}
		if n.HasClosure() {
			seg := n.ClosureLine
			buf.Write(seg.Value(src))
		}
	case *ast.RawHTML:
		for i := 0; i < n.Segments.Len(); i++ {
			seg := n.Segments.At(i)
			buf.Write(seg.Value(src))
		}
	}
	return buf.String()
}

// codeBlock resolves one fenced block: an include, a ```go snippet to
// compile, or any other code.
func (b *bookState) codeBlock(ch *chapter, n *ast.FencedCodeBlock, inSolution bool) *codeBlock {
	info := ""
	if n.Info != nil {
		info = string(n.Info.Value(ch.src))
	}
	fields := strings.Fields(info)
	lang := ""
	if len(fields) > 0 {
		lang = fields[0]
	}
	nocheck := slices.Contains(fields, "nocheck")
	code := linesText(n, ch.src)
	fenceLine := ch.blockLine(n)
	firstLine := fenceLine + 1
	if n.Lines().Len() > 0 {
		firstLine = ch.line(n.Lines().At(0).Start)
	}
	out := &codeBlock{Lang: lang, Code: code, Solution: inSolution}

	lines := splitLines(code)
	directives := 0
	for _, l := range lines {
		if directiveRE.MatchString(l) {
			directives++
		}
	}
	if directives > 0 {
		m := includeRE.FindStringSubmatch(strings.TrimSpace(code))
		if len(lines) != 1 || m == nil {
			b.problems.add(ch.File, firstLine, "an include is the only line of its fenced block: {{#include PATH:ANCHOR}}")
			return out
		}
		spec, err := parseInclude(m[1])
		if err != nil {
			b.problems.add(ch.File, firstLine, "%v", err)
			return out
		}
		text, rel, err := readInclude(b.root, "book", spec)
		if err != nil && b.warn != nil && strings.HasPrefix(rel, "lessons/") {
			if committed, cerr := committedInclude(b.root, rel, spec); cerr == nil {
				fmt.Fprintf(b.warn, "book: %s:%d: %v; showing the committed version of %s\n", ch.File, firstLine, err, rel)
				text, err = committed, nil
			}
		}
		if err != nil {
			b.problems.add(ch.File, firstLine, "%v", err)
			return out
		}
		if (rel == "solutions" || strings.HasPrefix(rel, "solutions/")) && !inSolution {
			b.problems.add(ch.File, firstLine, "%s is a solution: include it only inside <details><summary>Show the solution</summary> ... </details>", spec.Path)
		}
		out.Code = text
		return out
	}
	if lang == "go" && !nocheck && !(ch.twin != nil && ch.twin.hasSnippet(code)) {
		b.snippets = append(b.snippets, snippet{ch: ch, line: firstLine, code: code})
	}
	return out
}

// addLink records a relative link for checkLinks; absolute URLs are left alone.
func (ch *chapter) addLink(n ast.Node, dest string) {
	if dest == "" || isExternal(dest) {
		return
	}
	line := 0
	if n.Pos() >= 0 {
		line = ch.line(n.Pos())
	} else {
		line = ch.blockLine(n.Parent())
	}
	ch.links = append(ch.links, &link{node: n, line: line, dest: dest})
}

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

func isExternal(dest string) bool {
	return schemeRE.MatchString(dest) || strings.HasPrefix(dest, "//")
}

// checkLinks resolves every relative link of ch: the file must exist, and a
// #fragment of a chapter must be one of its heading ids.
func (b *bookState) checkLinks(ch *chapter) {
	for _, l := range ch.links {
		p, frag, _ := strings.Cut(l.dest, "#")
		l.fragment = frag
		if p == "" {
			l.chapter = ch
		} else {
			rel, err := resolvePath(b.root, "book", unescape(p))
			if err != nil {
				b.problems.add(ch.File, l.line, "link %s: %v", l.dest, err)
				continue
			}
			if dir, file := path.Split(rel); ch.Lang != "en" && dir == "book/" && !strings.HasSuffix(file, ".md") {
				// A translation shows its own copy of a picture, when it has one.
				if _, err := os.Stat(filepath.Join(b.root, "book", ch.Lang, file)); err == nil {
					rel = "book/" + ch.Lang + "/" + file
				}
			}
			l.target = rel
			if dir, file := path.Split(rel); dir == "book/" && strings.HasSuffix(file, ".md") {
				name := strings.TrimSuffix(file, ".md")
				l.chapter = b.find(ch.Lang, name)
				if l.chapter == nil {
					l.chapter = b.find("en", name) // not translated yet: the English one
				}
				if l.chapter == nil {
					b.problems.add(ch.File, l.line, "link %s: no chapter %s", l.dest, rel)
					continue
				}
			} else if _, err := os.Stat(filepath.Join(b.root, filepath.FromSlash(rel))); err != nil {
				b.problems.add(ch.File, l.line, "link %s: no such file %s", l.dest, rel)
				continue
			}
		}
		if frag != "" && l.chapter != nil && !l.chapter.ids[frag] {
			b.problems.add(ch.File, l.line, "link %s: %s has no heading with id #%s%s", l.dest, l.chapter.File, frag, suggest(l.chapter, frag))
		}
	}
}

func unescape(p string) string {
	return strings.ReplaceAll(p, "%20", " ")
}

// suggest names the ids of a chapter, so the author sees what is there.
func suggest(ch *chapter, frag string) string {
	for _, h := range ch.headings {
		if strings.Contains(h.ID, frag) || strings.Contains(frag, h.ID) {
			return " (did you mean #" + h.ID + "?)"
		}
	}
	return ""
}

// plain is the text of a node's inline children.
func plain(n ast.Node, src []byte) string {
	var b strings.Builder
	ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Value(src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.CodeSpan:
			for t := c.FirstChild(); t != nil; t = t.NextSibling() {
				if s, ok := t.(*ast.Text); ok {
					b.Write(s.Value(src))
				}
			}
			return ast.WalkSkipChildren, nil
		case *ast.AutoLink:
			b.Write(c.Label(src))
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(b.String())
}

// slug is GitHub's heading id: lower case, letters, digits, '-' and '_'
// kept, spaces turned into '-', everything else dropped.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// uniqueID makes id unique in ids the way GitHub does: id, id-1, id-2, ...
func uniqueID(ids map[string]bool, id string) string {
	u := id
	for i := 1; ids[u]; i++ {
		u = id + "-" + strconv.Itoa(i)
	}
	ids[u] = true
	return u
}

// hasSnippet reports whether a ```go block with exactly this code is compiled
// for ch already: a translation's copy need not be compiled twice.
func (ch *chapter) hasSnippet(code string) bool {
	return bytes.Contains(ch.src, []byte(code))
}

// linesText is a code block's code: its lines, as written.
func linesText(n ast.Node, src []byte) string {
	var b strings.Builder
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		b.Write(seg.Value(src))
	}
	return b.String()
}
