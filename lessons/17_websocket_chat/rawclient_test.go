package wschat_test

import (
	"net"
	"net/http/httptest"
	"testing"

	"netlings/tools/testkit"
)

// The tests talk to your server with their own tiny WebSocket client,
// testkit.WSClient, written from RFC 6455 independently of your code, so
// they can send exactly the bytes a test wants (including broken ones) and
// check exactly the bytes your server sends.

// dialRaw connects the raw client to srv's "/" and checks the 101 answer.
func dialRaw(t *testing.T, srv *httptest.Server) *testkit.WSClient {
	t.Helper()
	return dialRawPath(t, srv, "/", nil)
}

// dialRawPath connects the raw client to path, after calling setup (if not
// nil) on the TCP connection, and checks the 101 answer.
func dialRawPath(t *testing.T, srv *httptest.Server, path string, setup func(*net.TCPConn)) *testkit.WSClient {
	t.Helper()
	return testkit.DialWS(t, srv.Listener.Addr().String(), testkit.WSDial{
		Path:  path,
		Setup: setup,
		Hint:  "the server upgrades with your lesson-16 Upgrade, then runs this lesson's handler",
	})
}
