package bookserve

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"netlings/tools/internal/book"
	"netlings/tools/testkit"
)

// browser is a headless Chromium driven over the Chrome DevTools protocol.
type browser struct {
	t    *testing.T
	conn *websocket.Conn
	ctx  context.Context

	mu      sync.Mutex
	id      int
	waiting map[int]chan cdpReply
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// startBrowser starts headless Chromium (testkit.StartChromium) and
// connects to its first page.
func startBrowser(t *testing.T) *browser {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	startCtx, started := context.WithTimeout(ctx, 30*time.Second)
	defer started()
	chromium := testkit.StartChromium(t, startCtx, "--disable-dev-shm-usage", "--window-size=1280,900")

	var targets []struct {
		Type string `json:"type"`
		WS   string `json:"webSocketDebuggerUrl"`
	}
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + chromium.Addr + "/json/list")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		targets = nil
		return json.NewDecoder(resp.Body).Decode(&targets) == nil && len(targets) > 0
	}, 10*time.Second, 50*time.Millisecond)
	ws := ""
	for _, tg := range targets {
		if tg.Type == "page" {
			ws = tg.WS
		}
	}
	require.NotEmpty(t, ws, "chromium has no page target")
	conn, _, err := websocket.Dial(ctx, ws, nil)
	require.NoError(t, err)
	conn.SetReadLimit(64 << 20) // screenshots
	t.Cleanup(func() { conn.CloseNow() })

	b := &browser{t: t, conn: conn, ctx: ctx, waiting: map[int]chan cdpReply{}}
	go b.readLoop()
	return b
}

func (b *browser) readLoop() {
	for {
		_, data, err := b.conn.Read(b.ctx)
		if err != nil {
			return
		}
		var msg struct {
			ID int `json:"id"`
			cdpReply
		}
		if json.Unmarshal(data, &msg) != nil || msg.ID == 0 {
			continue // an event
		}
		b.mu.Lock()
		ch := b.waiting[msg.ID]
		delete(b.waiting, msg.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- msg.cdpReply
		}
	}
}

func (b *browser) call(method string, params any, result any) {
	b.t.Helper()
	if err := b.try(method, params, result); err != nil {
		b.t.Fatalf("%s: %s", method, err)
	}
}

// try is call that returns chromium's error instead of failing the test.
func (b *browser) try(method string, params any, result any) error {
	b.t.Helper()
	b.mu.Lock()
	b.id++
	id := b.id
	ch := make(chan cdpReply, 1)
	b.waiting[id] = ch
	b.mu.Unlock()
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	require.NoError(b.t, err)
	require.NoError(b.t, b.conn.Write(b.ctx, websocket.MessageText, msg))
	select {
	case r := <-ch:
		if r.Error != nil {
			return errors.New(r.Error.Message)
		}
		if result != nil {
			require.NoError(b.t, json.Unmarshal(r.Result, result))
		}
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("no reply from chromium within 30s")
	}
}

// eval runs a JavaScript expression in the page and returns its value.
func (b *browser) eval(expr string) any {
	b.t.Helper()
	var r struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r)
	if r.Exception != nil {
		b.t.Fatalf("%s: %s %s", expr, r.Exception.Text, r.Exception.Exception.Description)
	}
	return r.Result.Value
}

// waitFor polls a JavaScript condition until it is true.
func (b *browser) waitFor(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		// A page that is still navigating may have no document yet, or
		// chromium may say so ("Inspected target navigated"): not yet.
		var r struct {
			Result struct {
				Value any `json:"value"`
			} `json:"result"`
		}
		err := b.try("Runtime.evaluate", map[string]any{"expression": `(() => { try { return (` + expr + `) } catch (e) { return false } })()`, "returnByValue": true}, &r)
		if v, ok := r.Result.Value.(bool); err == nil && ok && v {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("in the browser, %s: still false after 15s: %s\npage text: %v", what, expr, b.eval("document.body ? document.body.innerText.slice(0, 2000) : ''"))
}

func (b *browser) open(url string) {
	b.t.Helper()
	b.call("Page.navigate", map[string]any{"url": url}, nil)
	b.waitFor("the page loads", `document.readyState === "complete" && location.href.startsWith(`+jsString(strings.SplitN(url, "?", 2)[0])+`)`)
}

func (b *browser) screenshot(path string) {
	b.t.Helper()
	var r struct {
		Data string `json:"data"`
	}
	b.call("Page.captureScreenshot", map[string]any{"format": "png"}, &r)
	png, err := base64.StdEncoding.DecodeString(r.Data)
	require.NoError(b.t, err)
	require.NoError(b.t, os.WriteFile(path, png, 0o644))
	b.t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

func jsString(s string) string {
	data, _ := json.Marshal(s)
	return string(data)
}

// TestBrowser_ReadsTheServedBook loads the served book in headless Chromium:
// the table of contents, highlighted code, a search for a word that only
// chapter 2 has, the live status of the lessons and the check button.
func TestBrowser_ReadsTheServedBook(t *testing.T) {
	b := startBrowser(t)
	st := &status{m: map[int]string{1: "done", 2: "not done"}}
	u := start(t, Options{Root: fixture(t), Status: st.get, Check: func(ctx context.Context, n int, w io.Writer) error {
		fmt.Fprintf(w, "lesson %d: checking...\n", n)
		time.Sleep(200 * time.Millisecond)
		fmt.Fprintf(w, "lesson %d: 1/1 exercises pass\n", n)
		return nil
	}})

	b.open(u + "/02_echo.html")
	b.waitFor("the table of contents lists every chapter and marks this one",
		`document.querySelectorAll("nav.toc li").length === 3 && document.querySelector("nav.toc li.current").innerText.includes("Echo")`)
	b.waitFor("the outline lists the chapter's sections", `document.querySelectorAll("aside.outline li").length >= 4`)
	b.waitFor("code is highlighted with chroma's classes and styled",
		`(() => { const k = document.querySelector("pre.chroma .kd"); return !!k && getComputedStyle(k).color !== getComputedStyle(document.querySelector("pre.chroma")).color })()`)
	b.waitFor("the lesson shows its live status", `document.getElementById("lesson-status").textContent === "not done" && getComputedStyle(document.getElementById("lesson-bar")).display !== "none"`)
	b.waitFor("the TOC shows every lesson's status", `document.querySelector('nav.toc li[data-lesson="1"]').dataset.status === "done"`)

	st.set(2, "done")
	b.waitFor("a status change reaches the open page", `document.getElementById("lesson-status").textContent === "done"`)

	b.eval(`document.getElementById("check-lesson").click(); true`)
	b.waitFor("the check button streams the report", `document.getElementById("check-report").textContent.includes("lesson 2: 1/1 exercises pass")`)

	shots := t.TempDir()
	if d := os.Getenv("NETLINGS_SCREENSHOTS"); d != "" {
		shots = d // keep the screenshots to look at them
	}
	b.screenshot(filepath.Join(shots, "chapter.png"))

	b.eval(`document.querySelector(".code .copy").click(); true`)
	b.waitFor("the copy button answers", `["Copied", "Select and copy"].includes(document.querySelector(".code .copy").textContent)`)

	b.open(u + "/index.html")
	b.eval(`(() => { const s = document.getElementById("search"); s.focus(); s.value = "boomer"; s.dispatchEvent(new Event("input")); return true })()`)
	b.waitFor("searching a prefix of a word from chapter 2 finds chapter 2",
		`(() => { const a = document.querySelector("#search-results a"); return !!a && a.getAttribute("href").startsWith("02_echo.html") && a.innerText.includes("boomerang") })()`)
	b.screenshot(filepath.Join(shots, "search.png"))

	b.eval(`document.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight"})); true`)
	b.waitFor("→ goes to the next chapter", `location.pathname.endsWith("/01_hello.html")`)
}

// TestBrowser_SearchWorksFromFile opens the static site from disk, with no
// server, and searches it (the index is a script, which file:// can load).
func TestBrowser_SearchWorksFromFile(t *testing.T) {
	b := startBrowser(t)
	out := t.TempDir()
	require.NoError(t, book.Build(book.Options{Root: fixture(t), Out: out}))
	b.open("file://" + filepath.ToSlash(out) + "/02_echo.html?q=boomerang")
	b.waitFor("the search finds chapter 2 from file://",
		`(() => { const a = document.querySelector("#search-results a"); return !!a && a.getAttribute("href").startsWith("02_echo.html") })()`)
	b.eval(`(() => { const s = document.getElementById("search"); s.value = "omera"; s.dispatchEvent(new Event("input")); return true })()`)
	b.waitFor("a substring that starts no word is found by the fallback",
		`(() => { const a = document.querySelector("#search-results a"); return !!a && a.getAttribute("href").startsWith("02_echo.html") })()`)
	b.eval(`(() => { const s = document.getElementById("search"); s.value = "Sec-WebSocket-Accept"; s.dispatchEvent(new Event("input")); return true })()`)
	b.waitFor("a hyphenated protocol name is one word: it finds its section, not every word that starts with sec",
		`(() => { const a = document.querySelectorAll("#search-results a"); return a.length === 1 && a[0].getAttribute("href") === "02_echo.html#a-section-on-headers" })()`)
	b.waitFor("the lesson bar stays hidden without a server", `getComputedStyle(document.getElementById("lesson-bar")).display === "none"`)
	b.eval(`document.getElementById("theme-toggle").click(); true`)
	b.waitFor("the theme toggle remembers the choice", `localStorage.getItem("netlings-theme") === document.documentElement.dataset.theme`)
}

// TestBrowser_SwitchesLanguageAndSearchesChinese reads the two-language
// book from disk: the switch keeps the chapter and the section, the choice
// is remembered on the front page, and a Chinese query (no spaces to split
// on) finds its section.
func TestBrowser_SwitchesLanguageAndSearchesChinese(t *testing.T) {
	b := startBrowser(t)
	out := t.TempDir()
	require.NoError(t, book.Build(book.Options{Root: fixture(t), Out: out}))
	site := "file://" + filepath.ToSlash(out)

	b.open(site + "/01_hello.html#the-stub")
	// The click navigates: it runs after evaluate has returned, or chromium
	// may answer "Inspected target navigated or closed" instead.
	b.eval(`localStorage.removeItem("netlings-lang"); setTimeout(() => document.querySelector('.lang-switch[data-lang="zh"]').click()); true`)
	b.waitFor("the switch opens the same chapter and section in Chinese",
		`location.pathname.endsWith("/zh/01_hello.html") && location.hash === "#the-stub" && document.documentElement.lang === "zh"`)
	b.waitFor("the page speaks Chinese around the text too", `document.getElementById("search").placeholder.startsWith("搜索本书") && document.querySelector(".code .copy").textContent === "复制"`)
	b.waitFor("an untranslated chapter is listed, marked, in English", `document.querySelector('nav.toc li[data-lesson="2"] a').getAttribute("href") === "../02_echo.html" && document.querySelector('nav.toc li[data-lesson="2"]').innerText.includes("尚未翻译")`)

	b.call("Page.navigate", map[string]any{"url": site + "/index.html"}, nil)
	b.waitFor("the front page remembers the reader's language", `location.pathname.endsWith("/zh/index.html") && document.readyState === "complete"`)
	b.waitFor("a stale translation says so, and which section", `!!document.querySelector(".stale") && document.querySelector(".stale").innerText.includes("如何阅读")`)

	for _, q := range []string{"半关闭", "关闭"} {
		b.eval(`(() => { const s = document.getElementById("search"); s.focus(); s.value = ` + jsString(q) + `; s.dispatchEvent(new Event("input")); return true })()`)
		b.waitFor("searching "+q+" finds the section that has it",
			`(() => { const a = document.querySelector("#search-results a"); return !!a && a.getAttribute("href") === "01_hello.html#a-second-section" && a.querySelector("mark").textContent === `+jsString(q)+` })()`)
	}
	b.eval(`(() => { const s = document.getElementById("search"); s.value = "连接 关闭"; s.dispatchEvent(new Event("input")); return true })()`)
	b.waitFor("two Chinese words, in any order, find the section that has both (a plain substring search cannot)",
		`(() => { const a = document.querySelector("#search-results a"); return !!a && a.getAttribute("href") === "01_hello.html#a-second-section" })()`)
	b.eval(`(() => { const s = document.getElementById("search"); s.value = "闭半"; s.dispatchEvent(new Event("input")); return true })()`)
	b.waitFor("characters that are never side by side find nothing", `document.querySelector("#search-results .none") !== null`)

	b.eval(`setTimeout(() => document.querySelector('.lang-switch[data-lang="en"]').click()); true`)
	b.waitFor("the switch leads back to English", `location.pathname.endsWith("/index.html") && !location.pathname.includes("/zh/") && localStorage.getItem("netlings-lang") === "en"`)
	if d := os.Getenv("NETLINGS_SCREENSHOTS"); d != "" {
		b.open(site + "/zh/01_hello.html")
		b.screenshot(filepath.Join(d, "zh-chapter.png"))
	}
}
