package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
)

// gorillaEcho is a WebSocket echo server built on gorilla/websocket; cut
// shortens every echo by that many bytes, to make bad echoes.
func gorillaEcho(t *testing.T, cut int) string {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, p[:max(len(p)-cut, 0)]); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/echo"
}

func TestRunWebSocket_EchoesMessagesOnEveryConnection(t *testing.T) {
	for _, size := range []int{0, 125, 1 << 10, 64 << 10, 70000} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		r, err := Run(ctx, Options{URL: gorillaEcho(t, 0), Conns: 4, Requests: 200, Message: size})
		cancel()
		require.NoError(t, err)
		require.Equal(t, 200, r.Requests, "size %d: every ticket is one echoed message", size)
		require.Zero(t, r.Errors, "size %d: a correct echo server gives no errors", size)
		require.Positive(t, r.PerSecond)
		require.Positive(t, r.P50)
		require.LessOrEqual(t, r.P50, r.P99)
		require.LessOrEqual(t, r.P99, r.Max)
	}
}

func TestRunWebSocket_CountsBadEchoesAndFailedHandshakes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := Run(ctx, Options{URL: gorillaEcho(t, 1), Conns: 2, Requests: 20, Message: 100})
	require.NoError(t, err)
	require.Equal(t, 20, r.Requests)
	require.Equal(t, 20, r.Errors, "an echo one byte short is an error")

	notWS := httptest.NewServer(http.NotFoundHandler())
	defer notWS.Close()
	r, err = Run(ctx, Options{URL: "ws" + strings.TrimPrefix(notWS.URL, "http") + "/", Conns: 2, Requests: 10, Message: 100})
	require.NoError(t, err)
	require.Equal(t, 10, r.Errors, "a server that answers 404 to the handshake fails every message")
}

func TestRunWebSocket_StopsAfterTheDuration(t *testing.T) {
	start := time.Now()
	r, err := Run(context.Background(), Options{URL: gorillaEcho(t, 0), Conns: 2, Duration: 300 * time.Millisecond, Message: 1024})
	require.NoError(t, err)
	require.Less(t, time.Since(start), 3*time.Second)
	require.Positive(t, r.Requests)
	require.Zero(t, r.Errors)
}

func TestRunWebSocket_RefusesAnOversizedMessage(t *testing.T) {
	_, err := Run(context.Background(), Options{URL: "ws://127.0.0.1:1/", Requests: 1, Message: MaxMessage + 1})
	require.Error(t, err)
}

func TestRunWebSocketStats_KeepsEveryLatency(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := runWebSocket(ctx, normalize(Options{URL: gorillaEcho(t, 0), Conns: 2, Requests: 50, Message: 64}))
	require.NoError(t, err)
	require.Len(t, s.latencies, 50, "one latency per echoed message, for exact percentiles in Compare")
}
