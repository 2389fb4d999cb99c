package wschat_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	ws "netlings/lessons/16_websocket"
	chat "netlings/lessons/17_websocket_chat"
	"netlings/tools/testkit"
)

const (
	testPingInterval = 200 * time.Millisecond
	testPongWait     = 150 * time.Millisecond
)

// heartbeatServer echoes messages with a heartbeat running every
// testPingInterval, waiting testPongWait for each pong.
func heartbeatServer(t *testing.T) *httptest.Server {
	return heartbeatServerWith(t, testPingInterval, testPongWait)
}

// heartbeatServerWith echoes messages with a heartbeat running every
// interval, waiting wait for each pong.
func heartbeatServerWith(t *testing.T, interval, wait time.Duration) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wc, err := ws.Upgrade(w, r)
		if err != nil {
			return
		}
		c := chat.NewConn(wc, 0)
		defer wc.Close()
		stop := c.StartHeartbeat(interval, wait)
		defer stop()
		for {
			op, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			c.WriteMessage(op, msg)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHeartbeat_DropsAClientThatNeverPongs(t *testing.T) {
	c := dialRaw(t, heartbeatServer(t))
	f := c.MustRead("a ping from the heartbeat")
	require.Equal(t, byte(opPing), f.Op, "the heartbeat must send a ping (opcode 0x9) every interval")
	pinged := time.Now()
	// We never answer: the server must give up on us.
	for {
		f, err := c.ReadFrame()
		if err != nil {
			require.False(t, testkit.IsTimeout(err), "a client that never answers a ping must be dropped after the wait: the connection is still open")
			break
		}
		require.Contains(t, []byte{opPing, opClose}, f.Op, "only pings (or a close) are expected")
	}
	// Measured from when we read the ping, which is after the server sent
	// it: half the wait is slack for a busy machine, and still far from a
	// heartbeat that drops without waiting for the pong.
	require.GreaterOrEqual(t, time.Since(pinged), testPongWait/2,
		"dropped too early: give the client the whole wait to answer")
}

func TestHeartbeat_IgnoresAPongThatCameBeforeThePing(t *testing.T) {
	// A wide gap between the right moment to drop (interval+wait) and the
	// wrong one (one interval later) keeps the test clear on a busy machine.
	const interval, wait = 300 * time.Millisecond, 100 * time.Millisecond
	start := time.Now()
	c := dialRaw(t, heartbeatServerWith(t, interval, wait))
	// An unsolicited pong is allowed (RFC 6455, section 5.5.3: a
	// unidirectional heartbeat). It answers no ping, and must not count as
	// the answer to the next one.
	c.Send(opPong, true, []byte("unsolicited"))
	f := c.MustRead("a ping from the heartbeat")
	require.Equal(t, byte(opPing), f.Op, "the heartbeat must send a ping (opcode 0x9) every interval")
	for {
		f, err := c.ReadFrame()
		if err != nil {
			require.False(t, testkit.IsTimeout(err), "a client that never answers a ping must be dropped: the connection is still open")
			break
		}
		require.Contains(t, []byte{opPing, opClose}, f.Op, "only pings (or a close) are expected")
	}
	require.Less(t, time.Since(start), interval+wait+interval/2,
		"the client never answered the first ping, but was dropped only after the second: "+
			"a pong that arrived before a ping was taken as its answer")
}

func TestHeartbeat_KeepsAClientThatPongs(t *testing.T) {
	c := dialRaw(t, heartbeatServer(t))
	pings := 0
	deadline := time.Now().Add(6 * testPingInterval)
	for time.Now().Before(deadline) {
		f := c.MustRead("a ping from the heartbeat (the connection must stay open while the client answers)")
		require.Equal(t, byte(opPing), f.Op)
		pings++
		c.Send(opPong, true, f.Payload)
	}
	require.GreaterOrEqual(t, pings, 4, "expected a ping every interval")
	c.Send(opText, true, []byte("still here"))
	for {
		f := c.MustRead("the echo, from a connection that must still be open")
		if f.Op == opPing {
			c.Send(opPong, true, f.Payload)
			continue
		}
		require.Equal(t, "still here", string(f.Payload))
		break
	}
	c.CloseCleanly("closing")
}

func TestHeartbeat_StopEndsThePings(t *testing.T) {
	stopped := make(chan any, 1) // nil, or what calling stop panicked with
	srv := httptest.NewServer(connHandler(0, func(c *chat.Conn) {
		stop := c.StartHeartbeat(150*time.Millisecond, 140*time.Millisecond)
		read := make(chan struct{})
		go func() { // notes the pongs
			defer close(read)
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}()
		time.Sleep(500 * time.Millisecond) // three pings
		func() {
			defer func() { stopped <- recover() }()
			stop()
			stop()
		}()
		<-read // until the client closes
	}))
	t.Cleanup(srv.Close)
	c := dialRaw(t, srv)
	// next reads the next frame, answering pings, or says "timeout" when
	// nothing comes for d.
	next := func(d time.Duration) (testkit.Frame, bool) {
		t.Helper()
		c.Conn.SetReadDeadline(time.Now().Add(d))
		f, err := c.ReadFrame()
		if testkit.IsTimeout(err) {
			return f, false
		}
		require.NoError(t, err, "the connection ended while the client answered every ping (stop must end the pings, not the connection)")
		if f.Op == opPing {
			c.Send(opPong, true, f.Payload)
		}
		return f, true
	}
	// Answer every ping until stop has been called.
	var p any
	for waiting := true; waiting; {
		select {
		case p = <-stopped:
			waiting = false
		default:
			next(50 * time.Millisecond)
		}
	}
	require.Nil(t, p, "calling stop a second time panicked: stop may be called more than once (close its channel in a sync.Once)")
	// A ping already on its way when stop was called may still come.
	for end := time.Now().Add(200 * time.Millisecond); time.Now().Before(end); {
		next(time.Until(end))
	}
	// Then nothing more: the pings came every 150 ms.
	if f, ok := next(500 * time.Millisecond); ok {
		require.Failf(t, "a frame came after stop()", "opcode 0x%X: stop must end the heartbeat's goroutine, and its pings with it", f.Op)
	}
	c.Conn.SetDeadline(time.Now().Add(5 * time.Second))
	c.CloseCleanly("closing")
}

func TestHeartbeat_StopAlsoEndsTheWaitForAPong(t *testing.T) {
	// The wait is long, so that stop surely comes while the heartbeat
	// waits for the pong of its first ping, even on a busy machine.
	const interval, wait = 500 * time.Millisecond, 450 * time.Millisecond
	srv := httptest.NewServer(connHandler(0, func(c *chat.Conn) {
		stop := c.StartHeartbeat(interval, wait)
		defer stop()
		for {
			op, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			stop() // the first message stops the heartbeat
			c.WriteMessage(op, msg)
		}
	}))
	t.Cleanup(srv.Close)
	c := dialRaw(t, srv)
	f := c.MustRead("a ping from the heartbeat")
	require.Equal(t, byte(opPing), f.Op, "the heartbeat must send a ping (opcode 0x9) every interval")
	pinged := time.Now()
	// No pong: the server stops the heartbeat while it waits for one.
	c.Send(opText, true, []byte("stop"))
	c.Expect(opText, []byte("stop"), "the echo of the message that made the server call stop")
	// The heartbeat would have given up on the pong by pinged+wait.
	c.Conn.SetReadDeadline(pinged.Add(wait + 300*time.Millisecond))
	f, err := c.ReadFrame()
	if err == nil {
		require.Failf(t, "a frame came after stop()", "opcode 0x%X: stop must end the heartbeat's goroutine", f.Op)
	}
	require.True(t, testkit.IsTimeout(err), "the connection was closed (%v) after stop() was called while the heartbeat "+
		"waited for a pong: stop must end that wait too (a case for the stop channel in the select that waits for the "+
		"pong), not only the wait for the next tick", err)
	c.Conn.SetDeadline(time.Now().Add(5 * time.Second))
	c.CloseCleanly("closing")
}
