package chathub

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// ioTimeout bounds every single read, write, dial and wait in these tests
// that should succeed: nothing waits forever, even when the code under
// test is wrong.
const ioTimeout = 5 * time.Second

// quiet is how long the tests watch for something that must NOT happen.
const quiet = 200 * time.Millisecond

// chatServer is a Serve started by startChat.
type chatServer struct {
	addr   string
	ln     *slowListener
	cancel context.CancelFunc
	run    *testkit.Running
}

// startChat runs Serve with cfg on a fresh loopback listener whose
// connections the test can slow down (see slowListener). When the test
// ends it closes the listener, cancels ctx and waits for Serve.
func startChat(t *testing.T, cfg Config) *chatServer {
	t.Helper()
	ln := &slowListener{Listener: testkit.Listen(t), delays: map[string]time.Duration{}}
	ctx, cancel := context.WithCancel(context.Background())
	s := &chatServer{addr: ln.Addr().String(), ln: ln, cancel: cancel}
	s.run = testkit.Go("Serve", func() error { return Serve(ctx, ln, cfg) })
	t.Cleanup(func() {
		ln.Close()
		cancel()
		s.run.Wait(t, ioTimeout, "its listener was closed and its ctx cancelled",
			"when ctx is done, close every connection and every outbox, and wait for the hub, the readers and the writers")
	})
	select {
	case <-s.run.Done():
		t.Fatalf("Serve returned right after it started (error: %v); it must keep accepting connections until its ctx is cancelled", s.run.Err())
	case <-time.After(50 * time.Millisecond):
	}
	return s
}

// member is a test client.
type member struct {
	t    *testing.T
	nick string
	conn *net.TCPConn
	r    *bufio.Reader
}

// connect opens a connection to the chat, without a nick yet.
func (s *chatServer) connect(t *testing.T) *member {
	t.Helper()
	conn := testkit.DialTCP(t, s.addr)
	conn.SetDeadline(time.Time{}) // each read and write below sets its own
	return &member{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// join connects and takes nick, and checks the welcome. The members
// already in others get "* nick joined", which join reads for them.
func (s *chatServer) join(t *testing.T, nick string, others ...*member) *member {
	t.Helper()
	m := s.connect(t)
	m.nick = nick
	m.send("/nick " + nick)
	m.expect("* welcome "+nick+"\n", "the answer to /nick "+nick)
	for _, o := range others {
		o.expect("* "+nick+" joined\n", fmt.Sprintf("the notice that %s joined, at %s", nick, o.nick))
	}
	return m
}

// send writes line and its "\n".
func (m *member) send(line string) {
	m.t.Helper()
	m.conn.SetWriteDeadline(time.Now().Add(ioTimeout))
	_, err := m.conn.Write([]byte(line + "\n"))
	require.NoError(m.t, err, "%s could not send %q", m.name(), line)
}

func (m *member) name() string {
	if m.nick == "" {
		return "a client without a nick"
	}
	return m.nick
}

// line reads the next line the server sends to m, with its "\n".
func (m *member) line(d time.Duration) (string, error) {
	m.conn.SetReadDeadline(time.Now().Add(d))
	return m.r.ReadString('\n')
}

// expect reads the next line and checks that it is want.
func (m *member) expect(want, what string) {
	m.t.Helper()
	got, err := m.line(ioTimeout)
	if testkit.IsTimeout(err) {
		m.t.Fatalf("%s got nothing within %v while waiting for %s (%q)", m.name(), ioTimeout, what, want)
	}
	require.NoError(m.t, err, "%s, reading %s (%q); got %q", m.name(), what, want, got)
	require.Equal(m.t, want, got, "%s: %s", m.name(), what)
}

// expectNothing checks that the server sends m nothing for quiet.
func (m *member) expectNothing(what string) {
	m.t.Helper()
	got, err := m.line(quiet)
	if testkit.IsTimeout(err) && got == "" {
		return
	}
	m.t.Fatalf("%s should get nothing (%s), got %q (%v)", m.name(), what, got, err)
}

// expectClosed checks that the server closes m's connection within
// ioTimeout after sending nothing more than want.
func (m *member) expectClosed(want, what string) {
	m.t.Helper()
	var got strings.Builder
	for {
		l, err := m.line(ioTimeout)
		got.WriteString(l)
		if testkit.IsTimeout(err) {
			m.t.Fatalf("%s: the server did not close the connection of %s within %v (got %q)", what, m.name(), ioTimeout, got.String())
		}
		if err != nil {
			break
		}
	}
	require.Equal(m.t, want, got.String(), "%s: what %s got before the server closed the connection", what, m.name())
}

// slowListener wraps the connections it accepts so that the test can make
// any of them slow: a Write to a client marked with a delay takes that
// long before it happens (a client that reads slowly, or, with a delay of
// an hour, a client that does not read at all and whose socket buffers are
// full). Write deadlines are honoured, as a real socket does.
type slowListener struct {
	net.Listener
	mu     sync.Mutex
	delays map[string]time.Duration // by the client's address
	conns  []*slowConn              // every connection accepted
}

// forever is the delay of a client that never reads.
const forever = time.Hour

// slowDown makes every later Write to m's connection take d.
func (l *slowListener) slowDown(m *member, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.delays[m.conn.LocalAddr().String()] = d
}

func (l *slowListener) delay(addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.delays[addr]
}

func (l *slowListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	sc := &slowConn{Conn: c, l: l, closed: make(chan struct{})}
	l.mu.Lock()
	l.conns = append(l.conns, sc)
	l.mu.Unlock()
	return sc, nil
}

// leftovers counts the accepted connections that the server has not
// closed yet, and the calls to Read or Write on them that have not
// returned yet (a reader or writer goroutine that is still running).
func (l *slowListener) leftovers() (open, busy int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		select {
		case <-c.closed:
		default:
			open++
		}
		busy += int(c.busy.Load())
	}
	return open, busy
}

type slowConn struct {
	net.Conn
	l         *slowListener
	mu        sync.Mutex
	deadline  time.Time // the write deadline
	closeOnce sync.Once
	closed    chan struct{}
	busy      atomic.Int32 // calls to Read and Write in progress
}

func (c *slowConn) Read(p []byte) (int, error) {
	c.busy.Add(1)
	defer c.busy.Add(-1)
	return c.Conn.Read(p)
}

func (c *slowConn) SetDeadline(t time.Time) error {
	c.setWriteDeadline(t)
	return c.Conn.SetDeadline(t)
}

func (c *slowConn) SetWriteDeadline(t time.Time) error {
	c.setWriteDeadline(t)
	return c.Conn.SetWriteDeadline(t)
}

func (c *slowConn) setWriteDeadline(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
}

func (c *slowConn) Write(p []byte) (int, error) {
	c.busy.Add(1)
	defer c.busy.Add(-1)
	if d := c.l.delay(c.RemoteAddr().String()); d > 0 {
		c.mu.Lock()
		deadline := c.deadline
		c.mu.Unlock()
		wait, late := d, false
		if !deadline.IsZero() && time.Until(deadline) < d {
			wait, late = max(time.Until(deadline), 0), true
		}
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-timer.C:
			if late {
				return 0, &net.OpError{Op: "write", Net: "tcp", Err: os.ErrDeadlineExceeded}
			}
		case <-c.closed:
			return 0, net.ErrClosed
		}
	}
	return c.Conn.Write(p)
}

func (c *slowConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// collector reads every line a member gets, in its own goroutine, until
// the connection ends or the test stops it.
type collector struct {
	m     *member
	mu    sync.Mutex
	lines []string
	done  chan struct{}
}

func collect(m *member) *collector {
	c := &collector{m: m, done: make(chan struct{})}
	m.conn.SetReadDeadline(time.Now().Add(4 * ioTimeout))
	go func() {
		defer close(c.done)
		for {
			l, err := m.r.ReadString('\n')
			if err != nil {
				return
			}
			c.mu.Lock()
			c.lines = append(c.lines, l)
			c.mu.Unlock()
		}
	}()
	return c
}

// snapshot returns the lines so far.
func (c *collector) snapshot() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

// waitFor waits until ok(lines) holds, up to d, and returns the lines.
func (c *collector) waitFor(d time.Duration, ok func([]string) bool) ([]string, bool) {
	deadline := time.Now().Add(d)
	for {
		lines := c.snapshot()
		if ok(lines) {
			return lines, true
		}
		if time.Now().After(deadline) {
			return lines, false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// count returns how many of lines have the prefix.
func count(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// requireInOrder checks that the lines from sender (the "<sender>: "
// ones) are want, in this order.
func requireInOrder(t *testing.T, lines []string, sender string, want []string, at string) {
	t.Helper()
	var got []string
	for _, l := range lines {
		if strings.HasPrefix(l, sender+": ") {
			got = append(got, l)
		}
	}
	require.Equal(t, want, got, "the lines from %s as %s got them: every one, once, in the order %s sent them", sender, at, sender)
}
