package wschat_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	coder "github.com/coder/websocket"
	gorilla "github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	chat "netlings/lessons/17_websocket_chat"
	"netlings/tools/testkit"
)

// chatServer serves your Chat on 127.0.0.1:0 with the page from chat.html.
func chatServer(t *testing.T, c *chat.Chat) *httptest.Server {
	t.Helper()
	c.Page = chatPage
	srv := httptest.NewServer(c)
	t.Cleanup(func() {
		closeChat(t, c)
		srv.Close()
	})
	return srv
}

// closeChat calls c.Close, bounded: a hub or a member stuck on something
// must fail the test with a message, not hang it.
func closeChat(t *testing.T, c *chat.Chat) {
	t.Helper()
	withinHint(t, 5*time.Second, "Chat.Close", "Close stops the hub and waits for every member's goroutines: is one of them stuck?", c.Close)
}

func wsURL(srv *httptest.Server, path string) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + path
}

func TestChat_ServesThePageAndTheWebSocket(t *testing.T) {
	srv := chatServer(t, &chat.Chat{})
	client := &http.Client{Timeout: 5 * time.Second}

	resp, err := client.Get(srv.URL + "/")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET / must serve the chat page")
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html"), "the page is HTML: set Content-Type")
	require.Equal(t, string(chatPage), string(body), "GET / must serve Chat.Page as it is")
	page := string(body)
	require.Contains(t, page, "new WebSocket(", "the page talks to the chat with the browser's own WebSocket")
	require.Contains(t, page, `"/ws"`, "the page connects to /ws")
	require.NotContains(t, page, "<script src", "everything is inline: no framework, no CDN")
	require.NotContains(t, page, "https://", "the page must not load anything from the internet")

	resp, err = client.Get(srv.URL + "/no-such-page")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "anything but / and /ws is 404")

	d := gorilla.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, _, err := d.Dial(wsURL(srv, "/ws"), nil)
	require.NoError(t, err, "the chat's WebSocket endpoint is /ws")
	conn.Close()
}

// chatter is one chat client, whichever library it uses.
type chatter struct {
	name    string
	send    func(msg string) error
	receive func() (string, error)
}

func gorillaChatter(t *testing.T, srv *httptest.Server, name string) chatter {
	d := gorilla.Dialer{HandshakeTimeout: 5 * time.Second}
	c, _, err := d.Dial(wsURL(srv, "/ws"), nil)
	require.NoError(t, err, "gorilla/websocket could not join the chat at /ws")
	t.Cleanup(func() { c.Close() })
	return chatter{
		name: name,
		send: func(msg string) error {
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			return c.WriteMessage(gorilla.TextMessage, []byte(msg))
		},
		receive: func() (string, error) {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, p, err := c.ReadMessage()
			return string(p), err
		},
	}
}

func coderChatter(t *testing.T, srv *httptest.Server, name string) chatter {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := coder.Dial(ctx, wsURL(srv, "/ws"), nil)
	require.NoError(t, err, "coder/websocket could not join the chat at /ws")
	t.Cleanup(func() { c.CloseNow() })
	return chatter{
		name: name,
		send: func(msg string) error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return c.Write(ctx, coder.MessageText, []byte(msg))
		},
		receive: func() (string, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, p, err := c.Read(ctx)
			return string(p), err
		},
	}
}

// join sends "joined: name" and waits to hear it back: from then on the hub
// has the member, so it gets every later message. Other members' join
// notices that arrive meanwhile are skipped.
func join(t *testing.T, c chatter) {
	t.Helper()
	require.NoError(t, c.send("joined: "+c.name))
	for {
		msg, err := c.receive()
		require.NoError(t, err, "%s did not get its own message back: a message goes to every member, the sender included", c.name)
		if msg == "joined: "+c.name {
			return
		}
	}
}

// receiveChat reads n messages, skipping join notices.
func receiveChat(t *testing.T, c chatter, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n {
		msg, err := c.receive()
		require.NoError(t, err, "%s got %d of %d messages: %q", c.name, len(got), n, got)
		if !strings.HasPrefix(msg, "joined: ") {
			got = append(got, msg)
		}
	}
	return got
}

func TestChat_GorillaAndCoderClientsChat(t *testing.T) {
	srv := chatServer(t, &chat.Chat{})
	members := []chatter{
		gorillaChatter(t, srv, "gorilla-1"),
		coderChatter(t, srv, "coder"),
		gorillaChatter(t, srv, "gorilla-2"),
	}
	for _, m := range members {
		join(t, m)
	}
	for _, m := range members {
		require.NoError(t, m.send("hello from "+m.name))
	}
	first := receiveChat(t, members[0], 3)
	require.ElementsMatch(t, []string{"hello from gorilla-1", "hello from coder", "hello from gorilla-2"}, first,
		"every member gets every message, its own included")
	for _, m := range members[1:] {
		require.Equal(t, first, receiveChat(t, m, 3), "%s saw the messages in another order: the hub must send them to everyone in one order", m.name)
	}
}

func TestChat_RefusesBinaryMessages(t *testing.T) {
	srv := chatServer(t, &chat.Chat{})
	c := dialRawPath(t, srv, "/ws", nil)
	c.Send(opBinary, true, []byte{1, 2, 3})
	c.ExpectClose(1003, "the chat carries text only: a binary message gets 1003 (unsupported data)")
}

func TestChat_RefusesCrossOriginHandshakes(t *testing.T) {
	srv := chatServer(t, &chat.Chat{})
	host := srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(host)
	handshake := func(origin string) int {
		t.Helper()
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		d := gorilla.Dialer{HandshakeTimeout: 5 * time.Second}
		conn, resp, err := d.Dial(wsURL(srv, "/ws"), h)
		if conn != nil {
			conn.Close()
		}
		if resp == nil {
			require.NoError(t, err, "the handshake with Origin %q got no HTTP answer", origin)
		}
		return resp.StatusCode
	}
	require.Equal(t, http.StatusSwitchingProtocols, handshake(""),
		"a client that sends no Origin is not a browser: let it in")
	require.Equal(t, http.StatusSwitchingProtocols, handshake("http://"+host),
		"the chat's own page (Origin's host equals the request's Host) must be let in")
	for _, origin := range []string{"http://evil.example", "http://evil.example:" + port, "http://localhost:" + port, "null",
		"http://" + host + ".evil.example", "http://evil." + host} {
		require.Equal(t, http.StatusForbidden, handshake(origin),
			"a handshake from a page of another site (Origin: %s) must get 403 Forbidden: a browser sends the visitor's cookies "+
				"with it, so any web page could chat as the visitor. Parse Origin (url.Parse) and compare its Host with r.Host "+
				"for equality (strings.EqualFold), not as a prefix, suffix or substring", origin)
	}
}

func TestChat_DropsASlowReaderWithoutStallingOthers(t *testing.T) {
	srv := chatServer(t, &chat.Chat{OutboxSize: 4, SlowAfter: 200 * time.Millisecond})

	// The slow member joins, then never reads again. A 64 KiB receive buffer
	// (instead of up to 32 MiB with autotuning) makes its TCP connection
	// fill up sooner; smaller than one TCP segment, it would make the
	// final drain below crawl.
	slow := dialRawPath(t, srv, "/ws", func(conn *net.TCPConn) { conn.SetReadBuffer(64 << 10) })
	slow.Send(opText, true, []byte("joined: slow"))
	readUntil(slow, "joined: slow")

	sender := gorillaChatter(t, srv, "sender")
	reader := gorillaChatter(t, srv, "reader")
	join(t, sender)
	join(t, reader)

	// The sender waits for itself and the reader to get each message before
	// sending the next, so the two fast members never have more than one
	// message queued; the slow member's queue only grows.
	const n, size = 200, 64 << 10
	big := strings.Repeat("x", size)
	start := time.Now()
	for i := range n {
		require.NoError(t, sender.send(big), "sending message %d to the chat", i)
		receiveChat(t, reader, 1) // fails if the reader waits 5 s: stalled by the slow member
		receiveChat(t, sender, 1)
	}
	// Each message above has 5 s to arrive; this bound on the whole flood
	// is loose enough for -race on a busy machine.
	require.Less(t, time.Since(start), 25*time.Second, "the flood took too long: is a slow member stalling the others?")

	// The slow member must have been dropped by now, and its connection
	// closed at once: its writer goroutine, stuck on a full TCP buffer, ends
	// only when the connection does. Without reading (reading would unstick
	// that writer), the slow member sends small frames: once the server has
	// closed its socket, the kernel answers them with a reset and a write
	// fails. The writer's own write deadline (10 s) is too late.
	requireClosedWithin(t, slow, 2*time.Second,
		"a member that stopped reading must be dropped and its connection closed (the hub calls Drop) at once, not when a write deadline ends it")
}

func TestChat_ClosesAMemberWhoseWriteTimesOut(t *testing.T) {
	// The hub never drops this member: its Outbox has room for the whole
	// flood, so it is never behind. Only its writer can notice that its TCP
	// connection stopped moving: the write deadline (writeTimeout, 10 s,
	// made 20 times sooner here) ends a write to it.
	c := &chat.Chat{Page: chatPage, OutboxSize: 1000, SlowAfter: time.Minute}
	srv := httptest.NewUnstartedServer(c)
	srv.Listener = slowDeadlines{srv.Listener}
	srv.Start()
	t.Cleanup(func() {
		closeChat(t, c)
		srv.Close()
	})
	slow := dialRawPath(t, srv, "/ws", func(conn *net.TCPConn) { conn.SetReadBuffer(64 << 10) })
	slow.Send(opText, true, []byte("joined: slow"))
	readUntil(slow, "joined: slow")
	sender := gorillaChatter(t, srv, "sender")
	join(t, sender)
	// 200 messages of 64 KiB are far more than the TCP buffers hold: the
	// slow member's writer gets stuck in a write early in the flood.
	big := strings.Repeat("x", 64<<10)
	for i := range 200 {
		require.NoError(t, sender.send(big), "sending message %d to the chat", i)
		receiveChat(t, sender, 1)
	}
	requireClosedWithin(t, slow, 3*time.Second, "a member whose write timed out must be closed: when WriteMessage fails, "+
		"the writer goroutine must Close the connection (then keep draining the Outbox until the hub closes it)")
}

// requireClosedWithin sends pings from c, without reading, until a write
// fails because the server closed the connection, for at most d.
func requireClosedWithin(t *testing.T, c *testkit.WSClient, d time.Duration, msg string) {
	t.Helper()
	ping := testkit.Frame{Fin: true, Op: opPing, Masked: true, Payload: []byte("still there?")}.Encode()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
		c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := c.Conn.Write(ping); err != nil {
			require.False(t, testkit.IsTimeout(err), msg+": the server stopped reading, but the connection is still open")
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.Failf(t, "the connection is still open", "%s (still open %s after the flood)", msg, d)
}

func TestChat_CloseDisconnectsEveryoneAndLeaksNothing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c := &chat.Chat{Page: chatPage}
	srv := httptest.NewUnstartedServer(c)
	// A member's reader whose Read fails takes 100 ms more to finish: a
	// Close that does not wait for the members returns before that.
	l := &testkit.SlowCloseListener{Listener: srv.Listener}
	srv.Listener = l
	srv.Start()
	defer srv.Close()
	var clients []*testkit.WSClient
	for i := range 3 {
		cl := dialRawPath(t, srv, "/ws", nil)
		// Once a member hears its own message, the hub has it.
		cl.Send(opText, true, []byte("joined: "+itoa(i)))
		readUntil(cl, "joined: "+itoa(i))
		clients = append(clients, cl)
	}
	clients[0].Send(opText, true, []byte("hi"))
	for _, cl := range clients {
		readUntil(cl, "hi")
	}
	closeChat(t, c)
	require.Zero(t, l.Busy(), "Chat.Close returned while a member's reader was still running: "+
		"count each /ws handler in s.handlers (Add(1) before, Done when it returns), so that Close can wait for them")
	for _, cl := range clients {
		cl.ExpectClose(1001, "Chat.Close disconnects every member with 1001 (going away)")
		cl.Conn.Close()
	}
	// The HTTP server still accepts: a client that comes too late is
	// upgraded, but the hub is gone (Join returns false).
	late := dialRawPath(t, srv, "/ws", nil)
	late.ExpectClose(1001, "a client that connects after Chat.Close gets 1001 (going away) too: when Join returns false, "+
		"close the connection with c.Close, or it stays open with nobody serving it")
	late.Conn.Close()
	srv.Close()
}

// readUntil reads chat messages from a raw client until msg arrives.
func readUntil(c *testkit.WSClient, msg string) {
	c.T.Helper()
	for {
		f := c.MustRead(fmt.Sprintf("the chat message %q", msg))
		if f.Op == opText && string(f.Payload) == msg {
			return
		}
	}
}

func TestChat_KeepsEveryMemberThroughABurst(t *testing.T) {
	// A 2-message Outbox and 50 members who all speak at once: every Outbox
	// overflows for a moment, however fast the writers are.
	const members = 50
	srv := chatServer(t, &chat.Chat{OutboxSize: 2})
	clients := make([]*testkit.WSClient, members)
	for i := range clients {
		c := dialRawPath(t, srv, "/ws", nil)
		c.Conn.SetDeadline(time.Now().Add(30 * time.Second))
		c.Send(opText, true, []byte("joined: "+itoa(i)))
		readUntil(c, "joined: "+itoa(i))
		clients[i] = c
	}
	start := make(chan struct{})
	errs := make(chan error, members)
	for i, c := range clients {
		go func() {
			<-start
			c.Conn.SetDeadline(time.Now().Add(15 * time.Second))
			if _, err := c.Conn.Write(fr(opText, true, []byte("burst "+itoa(i))).Encode()); err != nil {
				errs <- fmt.Errorf("member %d could not send: %w", i, err)
				return
			}
			got := 0
			for got < members {
				f, err := c.ReadFrame()
				if err != nil {
					errs <- fmt.Errorf("member %d: %w after %d of %d burst messages", i, err, got, members)
					return
				}
				if f.Op == opClose {
					errs <- fmt.Errorf("member %d was disconnected (close code %d) after %d of %d burst messages", i, closeCodeOf(f.Payload), got, members)
					return
				}
				if f.Op == opText && strings.HasPrefix(string(f.Payload), "burst ") {
					got++
				}
			}
			errs <- nil
		}()
	}
	close(start)
	var failed []string
	for range members {
		if err := <-errs; err != nil {
			failed = append(failed, err.Error())
		}
	}
	require.Empty(t, failed, "%d of %d members, all reading, lost their place in a burst: a member whose Outbox is full "+
		"for a moment is not slow. Keep what does not fit in a backlog and drop a member only when it stays behind "+
		"for SlowAfter (or its write times out)", len(failed), members)
}

// closeCodeOf is the code in a close payload, 0 if there is none.
func closeCodeOf(p []byte) uint16 {
	if len(p) < 2 {
		return 0
	}
	return uint16(p[0])<<8 | uint16(p[1])
}

func TestChat_UsesItsSettings(t *testing.T) {
	t.Run("PingInterval and PongWait", func(t *testing.T) {
		srv := chatServer(t, &chat.Chat{PingInterval: 200 * time.Millisecond, PongWait: 150 * time.Millisecond})
		c := dialRawPath(t, srv, "/ws", nil)
		c.Conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		f, err := c.ReadFrame()
		require.NoError(t, err, "no ping within 2s from a Chat with PingInterval 200ms: start the heartbeat for every member "+
			"in ServeHTTP, with the Chat's PingInterval and PongWait")
		require.Equal(t, byte(opPing), f.Op, "the chat must ping every member every PingInterval")
		// We never answer: PongWait later, we must be dropped.
		c.Conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			f, err := c.ReadFrame()
			if err != nil {
				require.False(t, testkit.IsTimeout(err), "a member that never answers a ping was still connected 2s later "+
					"(PongWait 150ms): start the heartbeat with the Chat's PongWait")
				break
			}
			require.Contains(t, []byte{opPing, opClose}, f.Op, "only pings (or a close) are expected")
		}
	})
	t.Run("MessageLimit", func(t *testing.T) {
		srv := chatServer(t, &chat.Chat{MessageLimit: 1000})
		c := dialRawPath(t, srv, "/ws", nil)
		c.Send(opText, true, bytes.Repeat([]byte("a"), 1000))
		readUntil(c, strings.Repeat("a", 1000))
		c.Send(opText, true, bytes.Repeat([]byte("b"), 1001))
		c.ExpectClose(1009, "a message of 1001 bytes to a Chat with MessageLimit 1000: pass MessageLimit to NewConn")
	})
	t.Run("OutboxSize", func(t *testing.T) {
		// A member that stops reading is behind as soon as its Outbox is
		// full. With room for 1000 messages, 200 never fill it: the member
		// is not behind and must not be dropped, however small SlowAfter.
		srv := chatServer(t, &chat.Chat{OutboxSize: 1000, SlowAfter: 100 * time.Millisecond})
		slow := dialRawPath(t, srv, "/ws", func(conn *net.TCPConn) { conn.SetReadBuffer(64 << 10) })
		slow.Send(opText, true, []byte("joined: slow"))
		readUntil(slow, "joined: slow")
		sender := gorillaChatter(t, srv, "sender")
		join(t, sender)
		const n, size = 200, 64 << 10
		big := strings.Repeat("x", size)
		start := time.Now()
		for i := range n {
			require.NoError(t, sender.send(big), "sending message %d to the chat", i)
			receiveChat(t, sender, 1)
		}
		if time.Since(start) > 8*time.Second {
			// The slow member's writer has been stuck on a full TCP buffer
			// since the start: its write deadline (10 s) would end it soon.
			t.Skipf("the flood took %v on this busy machine: too close to the 10 s write deadline to judge", time.Since(start))
		}
		requireStillOpenFor(t, slow, 500*time.Millisecond, "a member that stopped reading was dropped although its Outbox "+
			"(OutboxSize 1000) had room for all 200 messages, so it was never behind: make each Outbox with the Chat's OutboxSize "+
			"(16 when zero)")
	})
}

// requireStillOpenFor sends pings from c, without reading, for d: none may
// fail because the server closed the connection (a write that only times
// out, on full buffers, is fine).
func requireStillOpenFor(t *testing.T, c *testkit.WSClient, d time.Duration, msg string) {
	t.Helper()
	ping := testkit.Frame{Fin: true, Op: opPing, Masked: true, Payload: []byte("still there?")}.Encode()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
		c.Conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := c.Conn.Write(ping); err != nil && !testkit.IsTimeout(err) {
			require.Fail(t, msg, "the server closed the connection: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestChat_LeavingMemberLeavesNothingRunning(t *testing.T) {
	srv := chatServer(t, &chat.Chat{})
	steady := gorillaChatter(t, srv, "steady")
	join(t, steady)
	opts := goleak.IgnoreCurrent()
	c := dialRawPath(t, srv, "/ws", nil)
	c.Send(opText, true, []byte("joined: leaving"))
	readUntil(c, "joined: leaving")
	c.CloseCleanly("the leaving member's close")
	c.Conn.Close()
	require.NoError(t, goleak.Find(opts), "a member left, but goroutines of its connection still run: when reading fails, "+
		"stop the heartbeat, Leave the hub (it closes the Outbox, so the writer ends), Close the connection and wait for the writer")
	require.NoError(t, steady.send("still here"))
	require.Equal(t, []string{"still here"}, receiveChat(t, steady, 1), "the other members keep chatting after one left")
}
