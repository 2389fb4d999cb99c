package wschat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	chat "netlings/lessons/17_websocket_chat"
	"netlings/tools/testkit"
)

// TestChat_WorksInARealBrowser starts headless Chromium, opens the chat in
// two tabs, sends a message from one and waits to see it in the other. The
// test drives the browser the way debuggers do, through the Chrome DevTools
// Protocol: JSON commands over... a WebSocket.
func TestChat_WorksInARealBrowser(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := chatServer(t, &chat.Chat{})

	// Fail fast, before starting a browser, if the server cannot work yet.
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(srv.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET / must serve the chat page before a browser can use it")
	ws, _, err := (&gorilla.Dialer{HandshakeTimeout: 5 * time.Second}).Dial(wsURL(srv, "/ws"), nil)
	require.NoError(t, err, "/ws must accept WebSocket connections before a browser can use it")
	ws.Close()

	browser := startChromium(t, ctx)
	pageA := browser.open(t, ctx, srv.URL+"/")
	pageB := browser.open(t, ctx, srv.URL+"/")
	for name, page := range map[string]*cdpSession{"A": pageA, "B": pageB} {
		page.waitFor(t, ctx, `document.body.dataset.state === "open"`, "page "+name+" to connect to /ws")
		// Once a page sees its own message, the hub has it as a member.
		page.eval(t, ctx, typeAndSend("page "+name+" is here"))
		page.waitFor(t, ctx, logContains("page "+name+" is here"), "page "+name+" to see its own message")
	}
	pageA.eval(t, ctx, typeAndSend("hello from page A"))
	pageB.waitFor(t, ctx, logContains("hello from page A"), "page B to show the message typed in page A")
}

// typeAndSend is JavaScript that types msg into the page's input and submits the form.
func typeAndSend(msg string) string {
	return fmt.Sprintf(`document.getElementById("text").value = %q; document.getElementById("form").requestSubmit(); true`, msg)
}

func logContains(msg string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#log li")].some(li => li.textContent === %q)`, msg)
}

// startChromium starts headless Chromium (testkit.StartChromium: a fresh
// profile, stopped when the test ends) and connects to its browser-wide
// DevTools endpoint.
func startChromium(t *testing.T, ctx context.Context) *cdpSession {
	browser := testkit.StartChromium(t, ctx)
	d := gorilla.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, _, err := d.DialContext(ctx, browser.BrowserURL, nil)
	require.NoError(t, err, "connecting to chromium's DevTools endpoint")
	t.Cleanup(func() { conn.Close() })
	return &cdpSession{conn: new(cdpConn{ws: conn})}
}

// cdpConn is a connection to the browser's DevTools endpoint. Commands are
// sent one at a time; events that arrive meanwhile are skipped.
type cdpConn struct {
	ws *gorilla.Conn
	id int
}

// cdpSession sends commands to the browser (session "") or to one tab.
type cdpSession struct {
	conn    *cdpConn
	session string
}

func (s *cdpSession) call(t *testing.T, ctx context.Context, method string, params any, result any) {
	t.Helper()
	c := s.conn
	c.id++
	msg := map[string]any{"id": c.id, "method": method, "params": params}
	if s.session != "" {
		msg["sessionId"] = s.session
	}
	deadline, _ := ctx.Deadline()
	c.ws.SetWriteDeadline(deadline)
	c.ws.SetReadDeadline(deadline)
	require.NoError(t, c.ws.WriteJSON(msg), "DevTools: sending %s", method)
	for {
		var resp struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct{ Message string }
		}
		_, r, err := c.ws.NextReader()
		require.NoError(t, err, "DevTools: waiting for the answer to %s", method)
		b, err := io.ReadAll(r)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &resp))
		if resp.ID != c.id {
			continue // an event
		}
		require.Nil(t, resp.Error, "DevTools: %s failed: %s", method, b)
		if result != nil {
			require.NoError(t, json.Unmarshal(resp.Result, result))
		}
		return
	}
}

// open opens url in a new tab and returns a session attached to it.
func (s *cdpSession) open(t *testing.T, ctx context.Context, url string) *cdpSession {
	var target struct{ TargetID string }
	s.call(t, ctx, "Target.createTarget", map[string]any{"url": url}, &target)
	var attached struct{ SessionID string }
	s.call(t, ctx, "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached)
	return &cdpSession{conn: s.conn, session: attached.SessionID}
}

// eval runs JavaScript in the tab and returns its value.
func (s *cdpSession) eval(t *testing.T, ctx context.Context, js string) any {
	t.Helper()
	var out struct {
		Result           struct{ Value any }
		ExceptionDetails *struct{ Text string }
	}
	s.call(t, ctx, "Runtime.evaluate", map[string]any{"expression": js, "returnByValue": true}, &out)
	require.Nil(t, out.ExceptionDetails, "JavaScript failed in the page: %s", js)
	return out.Result.Value
}

// waitFor evaluates js until it is true or ctx ends. An exception counts as
// "not yet": right after Target.createTarget the page may still be loading,
// with no document.body.
func (s *cdpSession) waitFor(t *testing.T, ctx context.Context, js, what string) {
	t.Helper()
	js = "(() => { try { return (" + js + ") === true; } catch (e) { return false; } })()"
	for s.eval(t, ctx, js) != true {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
