package httpserver

import (
	"bufio"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	httpparser "netlings/lessons/13_http_parser"
)

func TestServer_ReadsContentCodingsInAnyCase(t *testing.T) {
	ts := start(t, newServer(t))
	c := client(t)
	content := strings.Repeat("netlings compresses this line well.\n", 200)
	require.Equal(t, 201, put(t, c, ts.url+"/files/big.txt", content, false).StatusCode, "PUT of a new file: 201 Created")

	for _, ae := range []string{"GZIP", "br, Gzip;q=0.5"} {
		resp, body := get(t, c, ts.url+"/files/big.txt", "Accept-Encoding", ae)
		require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"),
			"Accept-Encoding: %s allows gzip: content-coding names are case-insensitive (RFC 9110 §8.4.1), so compare them with strings.EqualFold", ae)
		zr, err := gzip.NewReader(strings.NewReader(body))
		require.NoError(t, err, "the body is not gzip data")
		plain, err := io.ReadAll(zr)
		require.NoError(t, err, "the gzip data is broken")
		assert.Equal(t, content, string(plain))
	}
}

// TestWriteResponse_FramesEvery1xxAndAnEmpty200 calls writeResponse
// directly: the edges of the 1xx class, and a 200 whose body is empty.
func TestWriteResponse_FramesEvery1xxAndAnEmpty200(t *testing.T) {

	for _, status := range []int{100, 199} {
		out := writeDirectly(t, &Response{Status: status, Header: httpparser.Header{}, Body: []byte("body")})
		head, body, found := strings.Cut(out, "\r\n\r\n")
		require.True(t, found, "the response to a %d has no empty line after its header fields:\n%q", status, out)
		assert.Empty(t, body, "%d is a 1xx status (100 to 199): it has no body (RFC 9110 §6.4.1), even when the Response has one. Test status < 200, not single codes", status)
		assert.NotContains(t, strings.ToLower(head), "\r\ncontent-length:", "%d is a 1xx status (100 to 199): no Content-Length (RFC 9110 §8.6)", status)
	}

	out := writeDirectly(t, &Response{Status: 200, Header: httpparser.Header{}})
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(out)), &http.Request{Method: "GET"})
	require.NoError(t, err, "the bytes writeResponse wrote are not an HTTP/1.1 response:\n%q", out)
	assert.Equal(t, []string{"0"}, resp.Header.Values("Content-Length"),
		"a 200 with an empty body says Content-Length: 0; without it a client reads the body until the connection closes")
}
