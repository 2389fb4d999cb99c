// Package bookserve serves the rendered book on loopback as a study
// companion: it rebuilds when a chapter or a lesson changes and reloads the
// open page (server-sent events), shows build problems as a banner, shows
// each lesson's live status and runs the checker from a button.
//
// Everything is served from memory, from the site book.Render made: no
// request path ever reaches the file system, and nothing from a request
// reaches a shell (the check endpoint accepts only a lesson number that
// exists).
package bookserve

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"netlings/tools/internal/book"
	"netlings/tools/internal/catalog"
)

// Options configure Serve.
type Options struct {
	Root string // the repository root
	Addr string // listen address; default "127.0.0.1:0"; loopback only

	// Check runs the checker on a lesson and writes its plain-text report to
	// w as it goes. It must return when ctx is done (the reader left).
	Check func(ctx context.Context, lesson int, w io.Writer) error

	// Status returns each lesson's status: "done", "not done" or "never
	// checked". It is polled, so it should be cheap (read the progress file).
	Status func() map[int]string

	Log io.Writer // where rebuilds and problems are logged; nil = discard
}

// Paths of the server's own endpoints; everything else is the site.
const (
	checkPath  = "/_netlings/check"
	eventsPath = "/_netlings/events"
	statusPath = "/_netlings/status"
)

var (
	debounce     = 150 * time.Millisecond // a save often is several events
	statusPeriod = time.Second
	pingPeriod   = 15 * time.Second
)

type server struct {
	o   Options
	ctx context.Context

	mu       sync.RWMutex
	site     book.Site
	problems book.Problems
	lessons  map[int]bool
	status   []byte // the last status sent, as JSON
	sum      [sha256.Size]byte

	subsMu sync.Mutex
	subs   map[chan event]struct{}

	checking sync.Mutex // one check at a time
}

type event struct{ name, data string }

// Serve builds the book, serves it on o.Addr, rebuilds on changes under book/,
// lessons/ and solutions/, and pushes reloads to open pages, until ctx is
// done. It calls ready with the book's URL once it is listening.
func Serve(ctx context.Context, o Options, ready func(url string)) error {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if err := checkLoopback(o.Addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		return fmt.Errorf("refusing to serve on %v: %q did not resolve to a loopback address", ln.Addr(), o.Addr)
	}

	s := &server{o: o, ctx: ctx, subs: map[chan event]struct{}{}}
	s.rebuild()
	s.pollStatus()

	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching the book for changes: %w", err)
	}
	defer watcher.Close()
	for _, dir := range []string{"book", "lessons", "solutions"} {
		s.watchTree(watcher, filepath.Join(o.Root, dir))
	}

	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.watchLoop(ctx, watcher) }()
	go func() { defer wg.Done(); s.statusLoop(ctx) }()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String() + "/"
	if ready != nil {
		ready(url)
	}

	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if shutErr := srv.Shutdown(shutdownCtx); shutErr != nil {
		srv.Close()
	}
	watcher.Close()
	wg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// checkLoopback refuses to listen anywhere but on the loopback interface:
// the check button runs code, so the server must not be reachable from the
// network.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if !loopbackName(host) {
		return fmt.Errorf("refusing to listen on %q: the book server listens on loopback only (127.0.0.1, ::1 or localhost)", addr)
	}
	return nil
}

func loopbackName(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// rebuild renders the book and swaps it in, and reports whether anything a
// reader sees changed. When rendering fails altogether the last good site
// stays up, with the problems as a banner.
func (s *server) rebuild() (changed bool) {
	start := time.Now()
	site, probs := book.Render(book.Options{Root: s.o.Root, Warn: io.Discard}) // a learner's edits never break the served book
	lessons := map[int]bool{}
	if ls, err := catalog.Discover(s.o.Root); err == nil {
		for _, l := range ls {
			lessons[l.Number] = true
		}
	}
	sum := fingerprint(site, probs)
	s.mu.Lock()
	if len(site) > 0 || s.site == nil {
		s.site = site
	}
	s.problems = probs
	s.lessons = lessons
	changed = sum != s.sum
	s.sum = sum
	s.mu.Unlock()
	if !changed {
		return false
	}
	if len(probs) > 0 {
		fmt.Fprintf(s.o.Log, "book: %d problem(s), shown on every page:\n%v\n", len(probs), probs)
	} else {
		fmt.Fprintf(s.o.Log, "book: built in %v\n", time.Since(start).Round(time.Millisecond))
	}
	return true
}

// fingerprint hashes the site and its problems, so a save that changes
// nothing on the pages (a stub no chapter includes) reloads nothing.
func fingerprint(site book.Site, probs book.Problems) [sha256.Size]byte {
	h := sha256.New()
	for _, name := range site.Files() {
		fmt.Fprintf(h, "%s %d\n", name, len(site[name]))
		h.Write(site[name])
	}
	io.WriteString(h, probs.Error())
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// watchTree watches dir and every folder under it, except the site itself
// and hidden folders.
func (s *server) watchTree(w *fsnotify.Watcher, dir string) {
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if p != dir && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
			return filepath.SkipDir
		}
		if err := w.Add(p); err != nil {
			fmt.Fprintf(s.o.Log, "book: cannot watch %s: %v\n", p, err)
		}
		return nil
	})
}

func (s *server) watchLoop(ctx context.Context, w *fsnotify.Watcher) {
	var timer *time.Timer
	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if ignored(ev.Name) {
				continue
			}
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
					s.watchTree(w, ev.Name)
				}
			}
			if timer == nil {
				timer = time.NewTimer(debounce)
			} else {
				timer.Reset(debounce)
			}
			fire = timer.C
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			fmt.Fprintf(s.o.Log, "book: watching for changes: %v\n", err)
		case <-fire:
			fire = nil
			if s.rebuild() {
				s.broadcast(event{name: "reload", data: "{}"})
			}
		}
	}
}

// ignored skips the site, hidden files and editors' temporary files.
func ignored(name string) bool {
	base := filepath.Base(name)
	return strings.Contains(filepath.ToSlash(name), "/book/_site") ||
		strings.HasPrefix(base, ".") || strings.HasSuffix(base, "~") ||
		strings.HasSuffix(base, ".swp") || strings.HasSuffix(base, ".tmp")
}

func (s *server) statusLoop(ctx context.Context) {
	t := time.NewTicker(statusPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.pollStatus()
		}
	}
}

// pollStatus reads the lessons' status and pushes it when it changed.
func (s *server) pollStatus() {
	data := s.statusJSON()
	s.mu.Lock()
	changed := !bytes.Equal(data, s.status)
	s.status = data
	s.mu.Unlock()
	if changed {
		s.broadcast(event{name: "status", data: string(data)})
	}
}

func (s *server) statusJSON() []byte {
	st := map[string]string{}
	if s.o.Status != nil {
		for n, v := range s.o.Status() {
			st[strconv.Itoa(n)] = v
		}
	}
	data, _ := json.Marshal(st) // maps marshal in key order
	return data
}

func (s *server) broadcast(ev event) {
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	for ch := range s.subs {
		select {
		case ch <- ev:
		default: // a slow page misses an event; the next one carries the state
		}
	}
}

// ServeHTTP refuses requests whose Host is not a loopback name (a DNS
// rebinding attack names the attacker's domain), then routes.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !loopbackHost(r.Host) {
		http.Error(w, "403 forbidden: this server answers only to 127.0.0.1, [::1] and localhost (Host was "+strconv.Quote(r.Host)+")", http.StatusForbidden)
		return
	}
	switch r.URL.Path {
	case checkPath:
		s.serveCheck(w, r)
	case eventsPath:
		s.serveEvents(w, r)
	case statusPath:
		if !getOrHead(w, r) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(s.statusJSON())
	default:
		s.serveSite(w, r)
	}
}

func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return host != "" && loopbackName(host)
}

func getOrHead(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
	return false
}

// serveSite serves a file of the rendered site from memory.
func (s *server) serveSite(w http.ResponseWriter, r *http.Request) {
	if !getOrHead(w, r) {
		return
	}
	p := r.URL.Path
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." || strings.ContainsAny(seg, "\\\x00") {
			http.Error(w, "400 bad request: the path may not contain .. or backslashes", http.StatusBadRequest)
			return
		}
	}
	name := strings.TrimPrefix(p, "/")
	if name == "" || strings.HasSuffix(name, "/") {
		name += "index.html"
	}
	s.mu.RLock()
	data, ok := s.site[name]
	probs := s.problems
	s.mu.RUnlock()
	if !ok {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		msg := html.EscapeString(p) + " is not part of the book."
		if strings.HasPrefix(p, "/lessons/") || strings.HasPrefix(p, "/solutions/") {
			// Links to the repository's files work from book/_site on disk;
			// the server serves only the book.
			msg = "The server shows only the book: open <code>" + html.EscapeString(strings.TrimPrefix(p, "/")) + "</code> in your editor."
		}
		fmt.Fprintf(w, "<!DOCTYPE html><title>Not found</title><p>%s <a href=\"/\">Go to the front page</a>.</p>", msg)
		return
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".html":
		ctype = "text/html; charset=utf-8"
		data = injectServe(data, probs)
	case ".js":
		ctype = "text/javascript; charset=utf-8"
	case ".css":
		ctype = "text/css; charset=utf-8"
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(data)
}

// serveMarker is the placeholder every page carries for the server.
var serveMarker = []byte(`<div id="netlings-serve" hidden></div>`)

// injectServe switches the page's script to serve mode and adds the build
// problems as a banner.
func injectServe(page []byte, probs book.Problems) []byte {
	repl := `<div id="netlings-serve" data-serve="1" hidden></div>`
	if len(probs) > 0 {
		repl += "\n<div class=\"build-error\" role=\"alert\"><strong>The book has " + strconv.Itoa(len(probs)) +
			" problem(s); the page may be out of date.</strong><pre>" + html.EscapeString(probs.Error()) + "</pre></div>"
	}
	return bytes.Replace(page, serveMarker, []byte(repl), 1)
}

var lessonParam = regexp.MustCompile(`^[0-9]{1,3}$`)

// serveCheck runs the checker on one lesson and streams its report. It takes
// only POST from a page of this server (same Origin), only a lesson number
// that exists, and runs one check at a time.
func (s *server) serveCheck(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "405 method not allowed: the check runs on POST from the book's page", http.StatusMethodNotAllowed)
		return
	}
	if origin := r.Header.Get("Origin"); origin != "http://"+r.Host {
		http.Error(w, "403 forbidden: the check runs only from a page of this server (Origin was "+strconv.Quote(origin)+")", http.StatusForbidden)
		return
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		http.Error(w, "403 forbidden: cross-site request", http.StatusForbidden)
		return
	}
	arg := r.URL.Query().Get("lesson")
	if !lessonParam.MatchString(arg) {
		http.Error(w, "400 bad request: lesson must be a lesson number", http.StatusBadRequest)
		return
	}
	n, _ := strconv.Atoi(arg)
	s.mu.RLock()
	exists := s.lessons[n]
	s.mu.RUnlock()
	if !exists {
		http.Error(w, fmt.Sprintf("404 not found: there is no lesson %d", n), http.StatusNotFound)
		return
	}
	if s.o.Check == nil {
		http.Error(w, "501 not implemented: this server cannot run checks", http.StatusNotImplemented)
		return
	}
	if !s.checking.TryLock() {
		http.Error(w, "409 conflict: a check is already running; wait for it to finish", http.StatusConflict)
		return
	}
	defer s.checking.Unlock()

	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fw := &flushWriter{w: w, rc: http.NewResponseController(w)}
	fw.rc.Flush()
	fmt.Fprintf(s.o.Log, "book: checking lesson %d from the browser\n", n)
	if err := s.o.Check(r.Context(), n, fw); err != nil && r.Context().Err() == nil {
		fmt.Fprintf(fw, "\n%v\n", err)
	}
	s.pollStatus()
}

// flushWriter sends every write to the browser at once.
type flushWriter struct {
	mu sync.Mutex
	w  io.Writer
	rc *http.ResponseController
}

func (f *flushWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.w.Write(p)
	if err == nil {
		f.rc.Flush()
	}
	return n, err
}

// serveEvents is the server-sent event stream: "status" with every lesson's
// status (at once, then on change) and "reload" after each rebuild.
func (s *server) serveEvents(w http.ResponseWriter, r *http.Request) {
	if !getOrHead(w, r) {
		return
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)

	ch := make(chan event, 8)
	s.subsMu.Lock()
	s.subs[ch] = struct{}{}
	s.subsMu.Unlock()
	defer func() {
		s.subsMu.Lock()
		delete(s.subs, ch)
		s.subsMu.Unlock()
	}()

	s.mu.RLock()
	status := string(s.status)
	s.mu.RUnlock()
	send := func(ev event) bool {
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.name, ev.data); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send(event{name: "status", data: status}) {
		return
	}
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.ctx.Done():
			return
		case ev := <-ch:
			if !send(ev) {
				return
			}
		case <-ping.C:
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}
