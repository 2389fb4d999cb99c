package book

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/alecthomas/chroma/v2"
	chtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

//go:embed theme
var theme embed.FS

// Site is a rendered book: file path (slash-separated, relative to the site's
// root, e.g. "02_echo.html") to contents. The same input gives the same bytes.
type Site map[string][]byte

// Files lists the site's paths in order.
func (s Site) Files() []string {
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// siteMarker marks a folder written by Write, which may therefore delete
// files that are no longer part of the site. It lists the files written.
const siteMarker = ".netlings-site"

// Write writes the site into dir. Files that did not change are not touched;
// files of an earlier build that are gone are removed. Write refuses to
// write into a non-empty folder that it did not create.
func (s Site) Write(dir string) error {
	old, err := os.ReadFile(filepath.Join(dir, siteMarker))
	if err != nil {
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			return fmt.Errorf("%s is not empty and was not written by netlings book: remove it or choose another --out", dir)
		}
	}
	files := s.Files()
	for _, name := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if cur, err := os.ReadFile(p); err == nil && bytes.Equal(cur, s[name]) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, s[name], 0o644); err != nil {
			return err
		}
	}
	for _, name := range strings.Split(string(old), "\n") {
		if _, keep := s[name]; name == "" || keep || strings.Contains(name, "..") {
			continue
		}
		os.Remove(filepath.Join(dir, filepath.FromSlash(name)))
	}
	return os.WriteFile(filepath.Join(dir, siteMarker), []byte(strings.Join(files, "\n")+"\n"), 0o644)
}

var (
	tmplOnce sync.Once
	tmpl     *template.Template
	tmplErr  error
)

func pageTemplate() (*template.Template, error) {
	tmplOnce.Do(func() {
		tmpl, tmplErr = template.New("page.html").ParseFS(theme, "theme/page.html")
	})
	return tmpl, tmplErr
}

// tocEntry is one line of the table of contents.
type tocEntry struct {
	Href    string
	Label   string // "02" or ""
	Title   string
	Lesson  int // -1 for the index
	Current bool
	ch      *chapter
}

type pageData struct {
	Title    string
	Chapter  *chapter
	Lesson   int
	Lang     language
	Root     string // from the page to the site's root: "" or "../"
	Switch   []switchLink
	Stale    []change // what changed in the English since this translation
	English  string   // the English page, for a stale translation's banner
	Body     template.HTML
	Outline  []heading
	TOC      []tocEntry
	Prev     *tocEntry
	Next     *tocEntry
	Print    bool
	Chapters []printChapter
}

// switchLink leads to the same page in another language.
type switchLink struct {
	Code, Name, Title, Href string
}

type printChapter struct {
	ID   string
	Body template.HTML
}

// render renders every page of every language, the print pages, the search
// indexes and the theme. English is at the site's root, a translation in its
// own folder (zh/), so a page's relative links work in both.
func (b *bookState) render(out string) (Site, error) {
	t, err := pageTemplate()
	if err != nil {
		return nil, err
	}
	site := Site{}
	for _, l := range languages {
		if chs := b.langChapters(l.Code); len(chs) > 0 {
			if err := b.renderLang(t, site, l, chs); err != nil {
				return nil, err
			}
		}
	}
	if err := b.copyImages(site); err != nil {
		return nil, err
	}
	site["assets/chroma.css"] = chromaCSS()
	for _, name := range []string{"style.css", "book.js"} {
		data, err := fs.ReadFile(theme, "theme/"+name)
		if err != nil {
			return nil, err
		}
		site["assets/"+name] = data
	}
	return site, nil
}

func (b *bookState) renderLang(t *template.Template, site Site, l language, chs []*chapter) error {
	pages := make([][]byte, len(chs))
	prints := make([]printChapter, len(chs))
	errs := make([]error, len(chs))
	var wg sync.WaitGroup
	for i, ch := range chs {
		wg.Go(func() {
			body, err := b.renderBody(ch, false)
			if err != nil {
				errs[i] = err
				return
			}
			pages[i], errs[i] = b.page(t, ch, body)
			if errs[i] != nil {
				return
			}
			pbody, err := b.renderBody(ch, true)
			prints[i], errs[i] = printChapter{ID: ch.Name, Body: template.HTML(pbody)}, err
		})
	}
	wg.Wait()
	dir := l.dir()
	for i, ch := range chs {
		if errs[i] != nil {
			return fmt.Errorf("%s: %w", ch.File, errs[i])
		}
		site[dir+ch.Name+".html"] = pages[i]
	}
	if _, ok := site[dir+"index.html"]; !ok {
		// No front page: the first chapter is the way in.
		site[dir+"index.html"] = pages[0]
	}
	var buf bytes.Buffer
	err := t.Execute(&buf, pageData{Title: l.UI.WholeBook, Lesson: -1, Lang: l, Root: root(l), TOC: b.toc(l, nil), Print: true, Chapters: prints,
		Switch: b.switches(l, nil)})
	if err != nil {
		return err
	}
	site[dir+"print.html"] = buf.Bytes()
	site[dir+"search-index.js"] = b.searchIndex(chs)
	return nil
}

// root leads from a page of l to the site's root.
func root(l language) string {
	if l.dir() == "" {
		return ""
	}
	return "../"
}

// href is the link from a page of lang to a chapter's page.
func href(lang string, to *chapter) string {
	if to.Lang == lang {
		return to.Name + ".html"
	}
	return root(langByCode(lang)) + langByCode(to.Lang).dir() + to.Name + ".html"
}

// toc is a language's table of contents: a translation lists the English
// chapter, marked, where it has none of its own.
func (b *bookState) toc(l language, cur *chapter) []tocEntry {
	var chs []*chapter
	for _, en := range b.langChapters("en") {
		if tr := b.find(l.Code, en.Name); tr != nil {
			chs = append(chs, tr)
		} else {
			chs = append(chs, en)
		}
	}
	for _, ch := range b.langChapters(l.Code) {
		if ch.twin == nil && l.Code != "en" {
			chs = append(chs, ch)
		}
	}
	var toc []tocEntry
	for _, ch := range chs {
		e := tocEntry{Href: href(l.Code, ch), Title: ch.Title, Lesson: ch.Number, Current: ch == cur, ch: ch}
		if ch.Lang != l.Code {
			e.Title += l.UI.Untranslated
		}
		if ch.Number >= 0 {
			e.Label = fmt.Sprintf("%02d", ch.Number)
		}
		toc = append(toc, e)
	}
	return toc
}

// switches lead from a page of l to the same page in the other languages
// (their front page when it has no translation).
func (b *bookState) switches(l language, cur *chapter) []switchLink {
	var out []switchLink
	for _, other := range languages {
		if other.Code == l.Code || len(b.langChapters(other.Code)) == 0 {
			continue
		}
		to := "index"
		if cur != nil {
			en := cur
			if cur.twin != nil {
				en = cur.twin
			}
			if other.Code == "en" && cur.twin != nil || other.Code != "en" && b.find(other.Code, en.Name) != nil {
				to = en.Name
			}
		}
		if cur == nil {
			to = "print"
		}
		out = append(out, switchLink{Code: other.Code, Name: other.Name, Title: other.UI.SwitchTitle,
			Href: root(l) + other.dir() + to + ".html"})
	}
	return out
}

func (b *bookState) page(t *template.Template, ch *chapter, body string) ([]byte, error) {
	l := langByCode(ch.Lang)
	d := pageData{Title: ch.Title, Chapter: ch, Lesson: ch.Number, Lang: l, Root: root(l), Body: template.HTML(body),
		TOC: b.toc(l, ch), Switch: b.switches(l, ch), Stale: staleness(ch)}
	if ch.twin != nil {
		d.English = href(ch.Lang, ch.twin)
	}
	for _, h := range ch.headings {
		if h.Level == 2 || h.Level == 3 {
			d.Outline = append(d.Outline, h)
		}
	}
	for i := range d.TOC {
		if !d.TOC[i].Current {
			continue
		}
		if i > 0 {
			d.Prev = &d.TOC[i-1]
		}
		if i+1 < len(d.TOC) {
			d.Next = &d.TOC[i+1]
		}
	}
	var buf bytes.Buffer
	err := t.Execute(&buf, d)
	return buf.Bytes(), err
}

// renderBody renders a chapter's Markdown. For the print page every id gets
// the chapter's name as a prefix and links between chapters stay in the page.
func (b *bookState) renderBody(ch *chapter, print bool) (string, error) {
	for _, h := range ch.headings {
		id := h.ID
		if print {
			id = ch.Name + "--" + id
		}
		h.node.SetAttributeString("id", []byte(id))
	}
	for _, l := range ch.links {
		dest := l.dest
		switch {
		case l.chapter != nil && print && l.chapter.Lang == ch.Lang:
			dest = "#" + l.chapter.Name
			if l.fragment != "" {
				dest += "--" + l.fragment
			}
		case l.chapter != nil && l.target == "":
			dest = "#" + l.fragment
		case l.chapter != nil:
			dest = href(ch.Lang, l.chapter)
			if l.fragment != "" {
				dest += "#" + l.fragment
			}
		case isBookImage(l):
			dest = root(langByCode(ch.Lang)) + imagePath(l) // copied into the site by render
		case l.target != "":
			// The site lives in book/_site: the repository is two levels up.
			dest = root(langByCode(ch.Lang)) + "../../" + l.target
			if l.fragment != "" {
				dest += "#" + l.fragment
			}
		}
		switch n := l.node.(type) {
		case *ast.Link:
			n.Destination = []byte(dest)
		case *ast.Image:
			n.Destination = []byte(dest)
		}
	}
	var buf bytes.Buffer
	err := b.md.Renderer().Render(&buf, ch.src, ch.doc)
	return buf.String(), err
}

// nodeRenderer renders headings with a link anchor and code with chroma.
type nodeRenderer struct{}

func (nodeRenderer) RegisterFuncs(r renderer.NodeRendererFuncRegisterer) {
	r.Register(ast.KindHeading, renderHeading)
	r.Register(kindCodeBlock, renderCode)
}

func renderHeading(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	h := n.(*ast.Heading)
	id, _ := h.AttributeString("id")
	idStr, _ := id.([]byte)
	if entering {
		fmt.Fprintf(w, "<h%d id=\"%s\">", h.Level, template.HTMLEscapeString(string(idStr)))
		return ast.WalkContinue, nil
	}
	fmt.Fprintf(w, "<a class=\"anchor\" href=\"#%s\" aria-label=\"Link to this section\">#</a></h%d>\n", template.HTMLEscapeString(string(idStr)), h.Level)
	return ast.WalkContinue, nil
}

var formatter = chtml.New(chtml.WithClasses(true), chtml.TabWidth(4))

func renderCode(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	c := n.(*codeBlock)
	lang := c.Lang
	var lexer chroma.Lexer
	if lang != "" && lang != "text" {
		lexer = lexers.Get(lang)
	}
	if lexer == nil {
		lexer = lexers.Get("plaintext")
	}
	lexer = chroma.Coalesce(lexer)
	it, err := lexer.Tokenise(nil, c.Code)
	if err != nil {
		return ast.WalkStop, err
	}
	cls := "code"
	if lang != "" {
		cls += " language-" + template.HTMLEscapeString(lang)
	}
	fmt.Fprintf(w, "<div class=\"%s\"><button class=\"copy\" type=\"button\" title=\"Copy to clipboard\">Copy</button>", cls)
	var code bytes.Buffer
	if err := formatter.Format(&code, styles.Get("github"), it); err != nil {
		return ast.WalkStop, err
	}
	w.Write(wideRuns.ReplaceAllFunc(code.Bytes(), fitWide))
	w.WriteString("</div>\n")
	return ast.WalkSkipChildren, nil
}

// A translated diagram is drawn on a grid where a Chinese character takes
// two columns, but a monospace font's fallback for it is rarely exactly two
// columns wide. Each run of wide characters gets a box exactly that wide
// (ch is the width of the font's "0"), so the boxes and arrows line up in
// any browser.
var wideRuns = regexp.MustCompile(`[\p{Han}\x{3000}-\x{303F}\x{3040}-\x{30FF}\x{FF01}-\x{FF60}\x{FFE0}-\x{FFE6}]+`)

func fitWide(run []byte) []byte {
	return fmt.Appendf(nil, `<span class="wide" style="width:%dch">%s</span>`, 2*utf8.RuneCount(run), run)
}

var cssRule = regexp.MustCompile(`^(/\*.*?\*/ )?(\S[^{]*?) \{(.*)$`)

// chromaCSS is a light style, and a dark one under prefers-color-scheme:
// dark unless the reader chose light, or when the reader chose dark.
func chromaCSS() []byte {
	var light, dark bytes.Buffer
	formatter.WriteCSS(&light, styles.Get("github"))
	formatter.WriteCSS(&dark, styles.Get("github-dark"))
	prefix := func(css, p string) string {
		var b strings.Builder
		for _, l := range strings.Split(css, "\n") {
			if m := cssRule.FindStringSubmatch(l); m != nil {
				l = p + " " + m[2] + " {" + m[3]
			}
			if strings.TrimSpace(l) != "" {
				b.WriteString(l + "\n")
			}
		}
		return b.String()
	}
	var out bytes.Buffer
	out.WriteString("/* Generated by netlings book from chroma's github and github-dark styles. */\n")
	out.WriteString(prefix(light.String(), ":root"))
	out.WriteString(prefix(dark.String(), ":root[data-theme=dark]"))
	out.WriteString("@media (prefers-color-scheme: dark) {\n")
	out.WriteString(prefix(dark.String(), ":root:not([data-theme=light])"))
	out.WriteString("}\n")
	return out.Bytes()
}

// searchEntry is one section of a chapter in the search index.
type searchEntry struct {
	Page    string `json:"p"` // 02_echo.html
	Chapter string `json:"c"` // chapter title
	Anchor  string `json:"a"` // heading id, "" for the top
	Heading string `json:"h"`
	Text    string `json:"t"`
}

const maxSectionText = 4000

// searchIndex is a script (so it loads from file://, where fetch cannot)
// that sets window.NETLINGS_SEARCH to every section of every chapter.
func (b *bookState) searchIndex(chs []*chapter) []byte {
	var entries []searchEntry
	for _, ch := range chs {
		cur := searchEntry{Page: ch.Name + ".html", Chapter: ch.Title, Heading: ch.Title}
		var text strings.Builder
		flush := func() {
			cur.Text = strings.Join(strings.Fields(text.String()), " ")
			if len(cur.Text) > maxSectionText {
				cut := maxSectionText
				for cut > 0 && !utf8Start(cur.Text[cut]) {
					cut--
				}
				cur.Text = cur.Text[:cut]
			}
			if cur.Text != "" || cur.Anchor != "" {
				entries = append(entries, cur)
			}
			text.Reset()
		}
		for n := ch.doc.FirstChild(); n != nil; n = n.NextSibling() {
			if h, ok := n.(*ast.Heading); ok && h.Level <= 3 {
				if h.Level == 1 {
					continue
				}
				flush()
				cur = searchEntry{Page: ch.Name + ".html", Chapter: ch.Title, Anchor: ch.headingID(h), Heading: plain(h, ch.src)}
				continue
			}
			text.WriteString(blockText(n, ch.src))
			text.WriteString(" ")
		}
		flush()
	}
	data, _ := json.Marshal(entries)
	var out bytes.Buffer
	out.WriteString("// Generated by netlings book: the search index, a script so it loads from file://.\n")
	out.WriteString("window.NETLINGS_SEARCH = ")
	out.Write(data)
	out.WriteString(";\n")
	return out.Bytes()
}

func (ch *chapter) headingID(n *ast.Heading) string {
	for _, h := range ch.headings {
		if h.node == n {
			return h.ID
		}
	}
	return ""
}

func utf8Start(c byte) bool { return c&0xC0 != 0x80 }

func blockText(n ast.Node, src []byte) string {
	if c, ok := n.(*codeBlock); ok {
		if c.Solution {
			return ""
		}
		return c.Code
	}
	if _, ok := n.(*ast.HTMLBlock); ok {
		return ""
	}
	var b strings.Builder
	ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *codeBlock:
			if !c.Solution {
				b.WriteString(c.Code + " ")
			}
			return ast.WalkSkipChildren, nil
		case *ast.Paragraph, *ast.TextBlock, *ast.Heading:
			b.WriteString(plain(c, src) + " ")
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// isBookImage reports whether l is an image that lives in book/ itself (a
// plot written by a lesson's benchmark): the site carries its own copy, so
// it shows wherever the site is written (--out) and from file://.
func isBookImage(l *link) bool {
	_, ok := l.node.(*ast.Image)
	dir := path.Dir(l.target)
	return ok && (dir == "book" || path.Dir(dir) == "book" && dir != "book/_site")
}

// imagePath is where the site keeps a book image: images/NAME, or
// images/LANG/NAME for a translation's own copy.
func imagePath(l *link) string {
	return "images/" + strings.TrimPrefix(l.target, "book/")
}

// copyImages puts every image that a chapter shows from book/ into the
// site's images/ folder.
func (b *bookState) copyImages(site Site) error {
	for _, ch := range b.chapters {
		for _, l := range ch.links {
			if !isBookImage(l) {
				continue
			}
			data, err := os.ReadFile(filepath.Join(b.root, filepath.FromSlash(l.target)))
			if err != nil {
				return err
			}
			site[imagePath(l)] = data
		}
	}
	return nil
}
