package testkit

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// chromiumNames are the names Chromium goes by on PATH: Debian's package,
// Ubuntu's, and Google's build.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome"}

// ChromiumPath returns the path of a Chromium on PATH. Without one it skips
// the test, except when the CI environment variable is set: CI installs
// chromium (`make tools`), so there a missing browser fails the test.
func ChromiumPath(t testing.TB) string {
	t.Helper()
	for _, name := range chromiumNames {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("needs chromium: CI must install it (`make tools`)")
	}
	t.Skip("needs chromium: run `make tools`")
	return ""
}

// chromiumFlags make Chromium run headless in a container or CI job: no
// sandbox (it needs privileges a container lacks), no GPU, no QUIC, and no
// traffic of its own (first-run pages, updates, sync), so a test talks to
// loopback only.
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
	"--no-first-run", "--disable-background-networking", "--disable-component-update",
	"--disable-sync",
}

// Chromium is a headless browser started by StartChromium, to be driven
// over the Chrome DevTools Protocol (JSON messages over a WebSocket).
type Chromium struct {
	// Addr is host:port of the DevTools server, on loopback. It serves
	// HTTP (/json/version, /json/list) and the WebSocket endpoints.
	Addr string
	// BrowserURL is the ws:// URL of the browser-wide DevTools endpoint
	// (Target.createTarget opens a tab from there).
	BrowserURL string
}

// StartChromium starts headless Chromium (see ChromiumPath: it skips the
// test when there is none) with a fresh profile in t.TempDir(), the flags
// that work in a container, then extraFlags, and an about:blank page. It
// returns once the DevTools server listens, and fails the test if that has
// not happened when ctx is done or if the browser exits. The browser and
// its helper processes are stopped when the test ends.
func StartChromium(t testing.TB, ctx context.Context, extraFlags ...string) *Chromium {
	t.Helper()
	path := ChromiumPath(t)
	profile := t.TempDir()
	args := append(append(append([]string{}, chromiumFlags...), extraFlags...),
		"--user-data-dir="+profile,
		"--remote-debugging-port=0", // any free port: Chromium writes it to DevToolsActivePort
		"about:blank")
	cmd := exec.Command(path, args...)
	var stderr SyncBuffer // read while the browser still writes
	cmd.Stderr = &stderr
	ownProcessGroup(cmd) // so that stopping it stops its helper processes too
	require.NoError(t, cmd.Start(), "starting %s", path)
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { stopChromium(cmd, exited) })

	port, endpoint := waitForDevTools(t, ctx, profile, exited, &stderr)
	addr := "127.0.0.1:" + port
	return &Chromium{Addr: addr, BrowserURL: "ws://" + addr + endpoint}
}

// waitForDevTools waits for the two lines Chromium writes to
// DevToolsActivePort in its profile once its DevTools server listens: the
// port, and the path of the browser-wide endpoint.
func waitForDevTools(t testing.TB, ctx context.Context, profile string, exited <-chan struct{}, stderr *SyncBuffer) (port, endpoint string) {
	t.Helper()
	for {
		b, err := os.ReadFile(filepath.Join(profile, "DevToolsActivePort"))
		if lines := strings.Fields(string(b)); err == nil && len(lines) >= 2 {
			return lines[0], lines[1]
		}
		select {
		case <-ctx.Done():
			t.Fatalf("chromium did not write DevToolsActivePort: %v\nits stderr:\n%s", ctx.Err(), tail(stderr.String()))
		case <-exited:
			t.Fatalf("chromium exited at start\nits stderr:\n%s", tail(stderr.String()))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stopChromium asks the browser's process group to end (SIGTERM), kills it
// after 5 s, and waits for the browser to exit.
func stopChromium(cmd *exec.Cmd, exited <-chan struct{}) {
	signalGroup(cmd, terminate)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		signalGroup(cmd, kill)
		<-exited
	}
	time.Sleep(100 * time.Millisecond) // let helpers finish writing into the profile before t.TempDir removes it
}

// tail returns the last 4 KiB of s: where the reason for a failure is.
func tail(s string) string {
	return s[max(0, len(s)-4<<10):]
}
