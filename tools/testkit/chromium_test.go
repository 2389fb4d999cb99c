package testkit_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

func TestChromiumPath_SkipsLocallyAndFailsOnCI(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no browser on this PATH

	t.Setenv("CI", "")
	r := record(t, func(tb testing.TB) { testkit.ChromiumPath(tb) })
	assert.True(t, r.skipped, "without chromium, a local run skips the test")
	assert.Equal(t, "needs chromium: run `make tools`", r.msg)

	t.Setenv("CI", "true")
	r = record(t, func(tb testing.TB) { testkit.ChromiumPath(tb) })
	assert.True(t, r.failed, "without chromium, a CI run fails the test: CI installs it")
	assert.False(t, r.skipped)
	assert.Contains(t, r.msg, "needs chromium")
}

func TestStartChromium_ServesDevToolsUntilTheTestEnds(t *testing.T) {
	var addr string
	t.Run("running", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		b := testkit.StartChromium(t, ctx, "--window-size=800,600")
		addr = b.Addr
		host, _, err := net.SplitHostPort(b.Addr)
		require.NoError(t, err)
		assert.Equal(t, "127.0.0.1", host, "DevTools listens on loopback")

		// The HTTP side names the browser endpoint...
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + b.Addr + "/json/version")
		require.NoError(t, err)
		defer resp.Body.Close()
		var version struct{ WebSocketDebuggerURL string }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&version))
		assert.Equal(t, version.WebSocketDebuggerURL, b.BrowserURL)

		// ...and the endpoint answers a command.
		conn, _, err := websocket.Dial(ctx, b.BrowserURL, nil)
		require.NoError(t, err)
		defer conn.CloseNow()
		require.NoError(t, conn.Write(ctx, websocket.MessageText, []byte(`{"id": 1, "method": "Browser.getVersion"}`)))
		_, msg, err := conn.Read(ctx)
		require.NoError(t, err)
		var reply struct {
			ID     int
			Result struct{ Product string }
		}
		require.NoError(t, json.Unmarshal(msg, &reply))
		assert.Equal(t, 1, reply.ID)
		assert.Contains(t, reply.Result.Product, "Chrome/", "Browser.getVersion names the product")
	})
	if addr == "" {
		return // skipped: no chromium here
	}
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		conn.Close()
	}
	assert.Error(t, err, "the browser should be stopped when the test ends")
}
