package websocket_test

import (
	"net/http/httptest"
	"testing"

	"netlings/tools/testkit"
)

// The tests talk to your server with their own tiny WebSocket client,
// testkit.WSClient, written from RFC 6455 independently of your code, so
// they can send exactly the bytes a test wants (including broken ones) and
// check exactly the bytes your server sends.

// dialRaw connects the raw client to srv: it sends the opening handshake
// (plus extra bytes in the same write) and checks the 101 answer.
func dialRaw(t *testing.T, srv *httptest.Server, extra ...byte) *testkit.WSClient {
	t.Helper()
	return testkit.DialWS(t, srv.Listener.Addr().String(), testkit.WSDial{
		Extra: extra,
		Hint:  "look at Upgrade and EchoServer",
	})
}
