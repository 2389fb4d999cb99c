package chathub

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netlings/tools/testkit"
)

// fast is a Config for tests where nobody is slow.
var fast = Config{OutboxSize: 16, WriteTimeout: 2 * time.Second, MaxLine: 64}

func TestChat_NickJoinsTheRoom(t *testing.T) {
	s := startChat(t, fast)
	alice := s.join(t, "alice")
	bob := s.join(t, "bob", alice)
	carol := s.join(t, "Carol_99-x", alice, bob)
	// The first and last of each allowed range: a-z, A-Z, 0-9.
	edges := s.join(t, "azAZ09", alice, bob, carol)

	// Spaces around the nick are not part of it.
	dave := s.connect(t)
	dave.nick = "dave"
	dave.send("/nick   dave  ")
	dave.expect("* welcome dave\n", "the answer to \"/nick   dave  \" (spaces around a nick are ignored)")
	for _, m := range []*member{alice, bob, carol, edges} {
		m.expect("* dave joined\n", "the notice that dave joined")
	}
}

func TestChat_BroadcastsToEveryoneElse(t *testing.T) {
	s := startChat(t, fast)
	alice := s.join(t, "alice")
	bob := s.join(t, "bob", alice)
	carol := s.join(t, "carol", alice, bob)
	lurker := s.connect(t) // connected, but no nick: not in the room

	alice.send("hello, room")
	bob.expect("alice: hello, room\n", "alice's line")
	carol.expect("alice: hello, room\n", "alice's line")

	// alice does not get her own line back: the next thing she gets is bob's.
	bob.send("hi alice\r") // a "\r\n" line end: the "\r" is not part of the text
	alice.expect("bob: hi alice\n", "bob's line (and not her own line before it: a member's lines go to everyone else)")
	carol.expect("bob: hi alice\n", "bob's line")
	lurker.expectNothing("a client without a nick is not in the room")

	// An empty line says nothing.
	carol.send("")
	carol.send("ok")
	alice.expect("carol: ok\n", "carol's line after an empty one (an empty line is ignored)")
}

func TestChat_AnnouncesWhoLeaves(t *testing.T) {
	s := startChat(t, fast)
	alice := s.join(t, "alice")
	bob := s.join(t, "bob", alice)
	nobody := s.connect(t)

	nobody.conn.Close() // never joined: nothing to announce
	bob.send("bye")
	bob.conn.Close()
	alice.expect("bob: bye\n", "bob's last line")
	alice.expect("* bob left\n", "the notice that bob left (and nothing for a client that never had a nick)")

	// bob's nick is free again.
	bob2 := s.join(t, "bob", alice)
	bob2.send("back")
	alice.expect("bob: back\n", "a line from the new bob")
}

// ANCHOR: badinput
func TestChat_AnswersBadInputAndKeepsTheConnection(t *testing.T) {
	s := startChat(t, fast)
	alice := s.join(t, "alice")
	eve := s.connect(t)

	for _, c := range []struct{ send, want, why string }{
		{"hello?", "! nick first\n", "text before /nick"},
		{"/nick", "! bad nick\n", "/nick without a nick"},
		{"/nick    ", "! bad nick\n", "/nick with only spaces"},
		{"/nick " + strings.Repeat("e", MaxNick+1), "! bad nick\n", "a nick one longer than MaxNick"},
		{"/nick e ve", "! bad nick\n", "a nick with a space inside"},
		{"/nick eve!", "! bad nick\n", "a nick with a '!'"},
		{"/nick e@e", "! bad nick\n", "a nick with '@' (the character before 'A')"},
		{"/nick e[e", "! bad nick\n", "a nick with '[' (the character after 'Z')"},
		{"/nick e`e", "! bad nick\n", "a nick with '`' (the character before 'a')"},
		{"/nick e{e", "! bad nick\n", "a nick with '{' (the character after 'z')"},
		{"/nick e/e", "! bad nick\n", "a nick with '/' (the character before '0')"},
		{"/nick e:e", "! bad nick\n", "a nick with ':' (the character after '9')"},
		{"/nick élise", "! bad nick\n", "a nick with a letter that is not a-z or A-Z"},
		{"/nick alice", "! nick taken\n", "a nick another member has"},
		{"/nickname eve", "! unknown command\n", "/nickname is not /nick"},
		{"/quit", "! unknown command\n", "a command that does not exist"},
	} {
		eve.send(c.send)
		eve.expect(c.want, fmt.Sprintf("the answer to %q (%s)", c.send, c.why))
	}
	alice.expectNothing("the errors go to the sender alone")

	long := strings.Repeat("e", MaxNick)
	eve.nick = long
	eve.send("/nick " + long)
	eve.expect("* welcome "+long+"\n", "a nick of exactly MaxNick characters is fine, and the connection is still open after the errors")
	alice.expect("* "+long+" joined\n", "the notice that "+long+" joined")
	eve.send("/nick other")
	eve.expect("! nick already set\n", "the answer to a second /nick")
}

// ANCHOR_END: badinput

func TestChat_ClosesTheConnectionOfALineTooLong(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		max  int
	}{{"MaxLine=64", fast, 64}, {"default MaxLine=512", Config{}, 512}} {
		t.Run(c.name, func(t *testing.T) {
			s := startChat(t, c.cfg)
			alice := s.join(t, "alice")
			bob := s.join(t, "bob", alice)

			// A line of exactly max bytes, in pieces that arrive apart:
			// one Read is not one line.
			ok := strings.Repeat("a", c.max)
			for _, piece := range []string{ok[:10], ok[10:], "\n"} {
				_, err := alice.conn.Write([]byte(piece))
				require.NoError(t, err)
				time.Sleep(20 * time.Millisecond)
			}
			bob.expect("alice: "+ok+"\n", fmt.Sprintf("a line of exactly MaxLine=%d bytes, sent in three pieces", c.max))
			alice.send(ok + "\r")
			bob.expect("alice: "+ok+"\n", fmt.Sprintf("a line of exactly MaxLine=%d bytes ending in \"\\r\\n\": MaxLine does not count the line end, so make room for MaxLine+2 bytes (bufio.NewReaderSize)", c.max))

			// One byte more is too long, even before its "\n" arrives.
			_, err := alice.conn.Write([]byte(strings.Repeat("b", c.max+1)))
			require.NoError(t, err)
			time.Sleep(20 * time.Millisecond)
			alice.conn.Write([]byte("bbb\nstill there?\n"))
			alice.expectClosed("! line too long\n", fmt.Sprintf("a line longer than MaxLine=%d", c.max))
			bob.expect("* alice left\n", "the notice that alice left after her line too long (and none of her line)")
		})
	}
}

// ANCHOR: slow
func TestChat_DropsAMemberThatNeverReads(t *testing.T) {
	const timeout = 300 * time.Millisecond
	s := startChat(t, Config{OutboxSize: 4, WriteTimeout: timeout, MaxLine: 64})
	alice := s.join(t, "alice")
	bob := s.join(t, "bob", alice)
	slow := s.join(t, "slow", alice, bob)
	s.ln.slowDown(slow, forever) // from now on, nothing written to slow gets through

	// alice talks; bob reads everything, slow nothing.
	bobGot := collect(bob)
	var want []string
	for i := range 30 {
		line := fmt.Sprintf("message %d", i)
		alice.send(line)
		want = append(want, "alice: "+line+"\n")
	}
	lines, ok := bobGot.waitFor(ioTimeout, func(l []string) bool {
		return count(l, "alice: ") == len(want) && count(l, "* slow ") > 0
	})
	if !ok && count(lines, "* slow ") == 0 {
		t.Fatalf("bob got %d of alice's %d lines and no notice that slow was dropped: a member whose outbox stays full for WriteTimeout (%v) must be dropped, and the hub must never wait on it for longer", count(lines, "alice: "), len(want), timeout)
	}
	if !ok {
		select {
		case <-bobGot.done:
			t.Fatalf("bob, who reads everything, was disconnected after %d of alice's %d lines: an outbox that is full for a moment is not a slow member; wait for room, and drop only a member that stays behind for WriteTimeout", count(lines, "alice: "), len(want))
		default:
		}
	}
	require.True(t, ok, "bob got only %d of alice's %d lines: one client that does not read must not stop the others' messages", count(lines, "alice: "), len(want))
	requireInOrder(t, lines, "alice", want, "bob")
	require.Equal(t, 1, count(lines, "* slow dropped (too slow)\n"),
		"bob should get exactly one \"* slow dropped (too slow)\" (got %q): the notice tells the room why slow went", lines)
	require.Equal(t, 0, count(lines, "* slow left"), "slow was dropped by the hub: the notice is \"dropped (too slow)\", not \"left\"")

	// The room goes on at full speed, and slow's connection was closed.
	alice.send("after the drop")
	_, ok = bobGot.waitFor(ioTimeout, func(l []string) bool { return count(l, "alice: after the drop") == 1 })
	require.True(t, ok, "bob did not get alice's line after slow was dropped")
	slow.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	_, err := slow.r.ReadString('\n')
	for err == nil {
		_, err = slow.r.ReadString('\n')
	}
	require.False(t, testkit.IsTimeout(err), "the dropped member's connection should be closed by the server")
}

// ANCHOR_END: slow

func TestChat_DropsAMemberThatReadsSlowerThanTheRoomTalks(t *testing.T) {
	// slow reads, but every write to it takes 100 ms: each one is well
	// within WriteTimeout, yet it falls further behind with every line.
	// An outbox that grows without a bound would keep it forever (and hold
	// more and more memory); a writer that only times out single writes
	// never notices.
	const timeout = 400 * time.Millisecond
	s := startChat(t, Config{OutboxSize: 4, WriteTimeout: timeout, MaxLine: 64})
	alice := s.join(t, "alice")
	bob := s.join(t, "bob", alice)
	slow := s.join(t, "slow", alice, bob)
	s.ln.slowDown(slow, 100*time.Millisecond)
	bobGot := collect(bob)

	stop := make(chan struct{})
	var sender sync.WaitGroup
	var sent []string
	sender.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			line := fmt.Sprintf("line %d", i)
			alice.conn.SetWriteDeadline(time.Now().Add(ioTimeout))
			if _, err := alice.conn.Write([]byte(line + "\n")); err != nil {
				return
			}
			sent = append(sent, "alice: "+line+"\n")
		}
	})
	lines, ok := bobGot.waitFor(3*time.Second+timeout, func(l []string) bool { return count(l, "* slow ") > 0 })
	close(stop)
	sender.Wait()
	if !ok && len(lines) < len(sent)/2 {
		t.Fatalf("while slow took 100 ms per line, bob got only %d of the %d lines alice sent, and slow was never dropped: the whole room waited on slow. Never write to a client from the hub (or under a lock): queue into its outbox, and drop a member whose outbox has been full for WriteTimeout=%v", len(lines), len(sent), timeout)
	}
	require.True(t, ok, "slow was still in the room %v after it fell behind (bob got %d lines meanwhile): drop a member whose outbox has been full for WriteTimeout=%v in all, even if single writes to it succeed (is the outbox bounded?)", 3*time.Second+timeout, len(lines), timeout)
	require.Equal(t, "* slow dropped (too slow)\n", findPrefix(lines, "* slow "), "the notice for a member that fell behind")

	lines, ok = bobGot.waitFor(ioTimeout, func(l []string) bool { return count(l, "alice: ") == len(sent) })
	require.True(t, ok, "bob got %d of alice's %d lines", count(lines, "alice: "), len(sent))
	requireInOrder(t, lines, "alice", sent, "bob")
}

// findPrefix returns the first of lines with the prefix.
func findPrefix(lines []string, prefix string) string {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// ANCHOR: burst
func TestChat_ABurstFromFiftyMembersDropsNobody(t *testing.T) {
	// Small outboxes, and everybody talks at once: the outboxes fill up
	// for a moment, but every member reads, so nobody is behind for long.
	const n, each = 50, 3
	s := startChat(t, Config{OutboxSize: 2, WriteTimeout: 2 * time.Second, MaxLine: 64})
	members := make([]*member, n)
	for i := range members {
		members[i] = s.connect(t)
		members[i].nick = fmt.Sprintf("m%02d", i)
		members[i].send("/nick " + members[i].nick)
		members[i].expect("* welcome "+members[i].nick+"\n", "the welcome")
	}
	got := make([]*collector, n)
	for i, m := range members {
		got[i] = collect(m)
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Go(func() {
			<-start
			var b strings.Builder
			for k := range each {
				fmt.Fprintf(&b, "%s says %d\n", m.nick, k)
			}
			m.conn.SetWriteDeadline(time.Now().Add(ioTimeout))
			m.conn.Write([]byte(b.String()))
		})
	}
	close(start)
	wg.Wait()

	for i, c := range got {
		lines, ok := c.waitFor(2*ioTimeout, func(l []string) bool {
			return count(l, "m") >= (n-1)*each || strings.Contains(strings.Join(l, ""), "dropped")
		})
		require.NotContains(t, strings.Join(lines, ""), "dropped",
			"%s saw members dropped during a burst: a full outbox is not a slow member until it has stayed full for WriteTimeout; wait for room (with a time limit) instead of dropping at once", members[i].nick)
		require.True(t, ok, "%s got %d of the %d lines of the burst", members[i].nick, count(lines, "m"), (n-1)*each)
		for j, o := range members {
			if i == j {
				continue
			}
			var want []string
			for k := range each {
				want = append(want, fmt.Sprintf("%s: %s says %d\n", o.nick, o.nick, k))
			}
			requireInOrder(t, lines, o.nick, want, members[i].nick)
		}
	}
}

// ANCHOR_END: burst

func TestChat_FiftyClientsJoinTalkAndLeaveConcurrently(t *testing.T) {
	const n, each = 50, 5
	s := startChat(t, Config{OutboxSize: 8, WriteTimeout: 2 * time.Second, MaxLine: 64})
	var wg sync.WaitGroup
	seen := make([][]string, n)
	errs := make([]string, n)
	for i := range n {
		wg.Go(func() {
			nick := fmt.Sprintf("c%02d", i)
			conn, err := net.DialTimeout("tcp", s.addr, ioTimeout)
			if err != nil {
				errs[i] = err.Error()
				return
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(3 * ioTimeout))
			fmt.Fprintf(conn, "/nick %s\n", nick)
			for k := range each {
				fmt.Fprintf(conn, "%s line %d\n", nick, k)
			}
			// Read for a while, then leave: the first clients leave while
			// the last ones are still joining.
			r := bufio.NewReader(conn)
			conn.SetReadDeadline(time.Now().Add(ioTimeout))
			welcome, err := r.ReadString('\n')
			if err != nil {
				errs[i] = fmt.Sprintf("no welcome (got %q): %v", welcome, err)
				return
			}
			all := []byte(welcome)
			buf := make([]byte, 64<<10)
			conn.SetReadDeadline(time.Now().Add(time.Duration(100+5*i) * time.Millisecond))
			for {
				k, err := r.Read(buf)
				all = append(all, buf[:k]...)
				if err != nil {
					break
				}
			}
			seen[i] = strings.SplitAfter(string(all), "\n")
		})
	}
	wg.Wait()
	for i := range n {
		require.Empty(t, errs[i], "client %d", i)
		lines := seen[i]
		require.NotEmpty(t, lines, "client %d got nothing", i)
		require.Equal(t, fmt.Sprintf("* welcome c%02d\n", i), lines[0], "client %d: the first line is the welcome", i)
		require.Zero(t, count(lines, "dropped"), "client %d saw a drop though everybody reads", i)
		// The lines from each sender that arrived (from when client i
		// joined until it left) are in order, without a gap.
		last := map[string]int{}
		for _, l := range lines {
			nick, text, ok := strings.Cut(strings.TrimSuffix(l, "\n"), ": ")
			if !ok || !strings.HasSuffix(l, "\n") { // a notice, or cut short by the read deadline
				continue
			}
			var k int
			if _, err := fmt.Sscanf(text, nick+" line %d", &k); err != nil {
				t.Fatalf("client %d got %q: a line from %s that it never sent", i, l, nick)
			}
			if prev, seen := last[nick]; seen {
				require.Equal(t, prev+1, k,
					"client %d got %s's line %d after line %d: lines from one sender must arrive in order and none may be lost; one hub goroutine that delivers each line to every outbox in turn keeps each sender's order", i, nick, k, prev)
			}
			last[nick] = k
		}
	}

	// The room still works after all of that. The hub may still be passing
	// on the last clients' lines and telling the room that they left: a
	// skips what comes from or about them (c00 to c49).
	a := s.join(t, "after")
	expectSkippingLeft := func(want, what string) {
		t.Helper()
		for {
			got, err := a.line(ioTimeout)
			require.NoError(t, err, "after, reading %s (%q); got %q", what, want, got)
			if strings.HasPrefix(got, "* c") || strings.HasPrefix(got, "c") {
				continue // "* c07 left", "c07: c07 line 4"
			}
			require.Equal(t, want, got, "after: %s", what)
			return
		}
	}
	b := s.join(t, "after2")
	expectSkippingLeft("* after2 joined\n", "the notice that after2 joined")
	b.send("still here")
	expectSkippingLeft("after2: still here\n", "a line in the room after 50 clients came and went")
}

func TestChat_ShutdownClosesEveryoneAndLeaksNothing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ln := &slowListener{Listener: testkit.Listen(t), delays: map[string]time.Duration{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &chatServer{addr: ln.Addr().String(), ln: ln, cancel: cancel}
	s.run = testkit.Go("Serve", func() error { return Serve(ctx, ln, Config{OutboxSize: 2, WriteTimeout: 3 * ioTimeout, MaxLine: 64}) })
	defer func() { ln.Close(); s.run.Wait(t, ioTimeout, "the test ended", "") }()
	select {
	case <-s.run.Done():
		t.Fatalf("Serve returned right after it started (error: %v); it must keep accepting connections until its ctx is cancelled", s.run.Err())
	case <-time.After(50 * time.Millisecond):
	}

	alice := s.join(t, "alice")
	bob := s.join(t, "bob", alice)
	stuck := s.join(t, "stuck", alice, bob)
	s.ln.slowDown(stuck, forever)
	lurker := s.connect(t)
	for i := range 6 { // stuck's writer is blocked and its outbox full
		alice.send(fmt.Sprintf("m%d", i))
	}
	bob.expect("alice: m0\n", "alice's first line")

	cancel()
	err := s.run.Wait(t, ioTimeout, "its ctx was cancelled",
		"close the listener, every connection and every outbox (a writer blocked in Write wakes up when its conn is closed), then wait for every goroutine")
	require.NoError(t, err, "a cancelled ctx is a normal stop: Serve should return nil")
	open, busy := ln.leftovers()
	require.Zero(t, open, "Serve returned while %d connections were still open: when ctx is cancelled, close every connection and wait (a sync.WaitGroup) for the hub, every reader and every writer before returning", open)
	require.Zero(t, busy, "Serve returned while %d reader or writer goroutines were still in Read or Write: wait (a sync.WaitGroup) for every goroutine Serve started before returning", busy)
	for _, m := range []*member{alice, bob, stuck, lurker} {
		m.conn.SetReadDeadline(time.Now().Add(ioTimeout))
		var err error
		for err == nil {
			_, err = m.r.ReadString('\n')
		}
		require.False(t, testkit.IsTimeout(err), "%s was still connected after Serve returned: close every connection when ctx is cancelled", m.name())
	}
	conn, err := net.DialTimeout("tcp", s.addr, ioTimeout)
	if err == nil {
		conn.Close()
	}
	require.Error(t, err, "a new client could still connect after Serve returned: close the listener when ctx is cancelled")
}

func TestChat_ReturnsAcceptErrors(t *testing.T) {
	serve := func(ctx context.Context, ln net.Listener) error { return Serve(ctx, ln, fast) }
	t.Run("listener closed by its owner is not a failure", func(t *testing.T) {
		testkit.RequireStopOnClosedListener(t, "Serve", serve)
	})
	t.Run("other Accept errors are returned", func(t *testing.T) {
		testkit.RequireAcceptErrorReturned(t, "Serve", serve)
	})
}
