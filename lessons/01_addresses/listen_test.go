package addresses

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// listenLocal calls ListenLocal and checks what every caller relies on: a
// TCP listener, closed when the test ends, on a loopback address with a
// real port.
func listenLocal(t *testing.T) (*net.TCPListener, netip.AddrPort) {
	t.Helper()
	var ln net.Listener
	var addr netip.AddrPort
	var err error
	testkit.Call(t, "ListenLocal", "", func() { ln, addr, err = ListenLocal() })
	require.NoError(t, err, "ListenLocal failed")
	require.NotNil(t, ln, "ListenLocal returned no error but a nil listener")
	t.Cleanup(func() { ln.Close() })
	tcp, ok := ln.(*net.TCPListener)
	require.True(t, ok, "ListenLocal returned a %T: want a TCP listener, from net.Listen(\"tcp\", ...)", ln)

	require.NotZero(t, addr.Port(),
		"ListenLocal returned port 0: that is the port you asked for; return the one the kernel picked (ln.Addr())")
	require.True(t, addr.Addr().IsLoopback(),
		"ListenLocal listens on %s (the host part %q is not loopback): listen on the loopback address 127.0.0.1, not on every interface", addr, addr.Addr())
	require.Equal(t, addr.Addr().Unmap(), addr.Addr(),
		"ListenLocal returned %v: return plain 127.0.0.1, not the IPv4-mapped ::ffff:127.0.0.1 (see netip.Addr.Unmap)", addr.Addr())
	require.Equal(t, netip.MustParseAddr("127.0.0.1"), addr.Addr(),
		"ListenLocal listens on %v: use the IPv4 loopback address, 127.0.0.1 (::1 is loopback too, but IPv6)", addr)
	require.Equal(t, ln.Addr().String(), addr.String(),
		"the address ListenLocal returns must be the listener's own address, ln.Addr()")
	return tcp, addr
}

func TestListenLocal_AcceptsAConnectionOnTheAddressItReturns(t *testing.T) {
	ln, addr := listenLocal(t)

	// Accept in the background; the deadline makes Accept give up rather
	// than hang if the dial below goes somewhere else.
	require.NoError(t, ln.SetDeadline(time.Now().Add(5*time.Second)))
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()

	d := net.Dialer{Timeout: 5 * time.Second}
	client, err := d.Dial("tcp", addr.String())
	require.NoError(t, err, "could not connect to the address ListenLocal returned, %v", addr)
	defer client.Close()

	server, ok := <-accepted
	require.True(t, ok, "the listener never accepted the connection made to %v", addr)
	defer server.Close()

	// The two ends of one TCP connection see the same 5-tuple from
	// opposite sides: my local address is your remote address.
	assert.Equal(t, client.RemoteAddr().String(), server.LocalAddr().String(),
		"the client's remote end should be the server's local end")
	assert.Equal(t, client.LocalAddr().String(), server.RemoteAddr().String(),
		"the server's remote end should be the client's local end")

	// And bytes flow.
	require.NoError(t, client.SetDeadline(time.Now().Add(5*time.Second)))
	require.NoError(t, server.SetDeadline(time.Now().Add(5*time.Second)))
	_, err = client.Write([]byte("hi"))
	require.NoError(t, err)
	buf := make([]byte, 2)
	_, err = server.Read(buf)
	require.NoError(t, err, "the server side of the connection could not read")
	assert.Equal(t, "hi", string(buf))
}

func TestListenLocal_GivesEveryListenerItsOwnFreePort(t *testing.T) {
	// Two listeners at once: a fixed port fails the second time with
	// "address already in use".
	_, first := listenLocal(t)
	_, second := listenLocal(t)
	assert.NotEqual(t, first.Port(), second.Port(),
		"two listeners open at the same time cannot share a port: listen on port 0 and let the kernel pick")
}
