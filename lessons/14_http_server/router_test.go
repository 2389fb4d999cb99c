package httpserver

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

func TestServer_Answers500WhenTheFileStoreFails(t *testing.T) {
	t.Run("Root cannot be opened", func(t *testing.T) {
		s := newServer(t)
		s.Root = filepath.Join(s.Root, "missing") // no such directory
		ts := start(t, s)
		c := client(t)
		const fix = "when os.OpenRoot(s.Root) fails, answer 500 Internal Server Error: the server's file store is broken, not the request (and never use the nil *os.Root it returned)"

		resp, _ := get(t, c, ts.url+"/files/notes.txt")
		assert.Equal(t, 500, resp.StatusCode, "GET /files/notes.txt with a Root that does not exist: "+fix)
		assert.Equal(t, 500, put(t, c, ts.url+"/files/notes.txt", "note", false).StatusCode,
			"PUT /files/notes.txt with a Root that does not exist: "+fix)
		resp, body := get(t, c, ts.url+"/")
		assert.Equal(t, Hello, body, "the routes that need no file store still work")
		assert.Equal(t, 200, resp.StatusCode)
	})

	t.Run("a file cannot be written", func(t *testing.T) {
		ts := start(t, newServer(t))
		require.NoError(t, os.Mkdir(filepath.Join(ts.Root, "adir"), 0o755))
		resp := put(t, client(t), ts.url+"/files/adir", "data", false)
		assert.Equal(t, 500, resp.StatusCode,
			"PUT /files/adir, where Root/adir is a directory: root.WriteFile fails, and a write that fails is 500 Internal Server Error")
		fi, err := os.Stat(filepath.Join(ts.Root, "adir"))
		require.NoError(t, err)
		assert.True(t, fi.IsDir(), "Root/adir must still be the directory it was")
	})
}

func TestServer_ClosesTheFileStoreAfterEveryRequest(t *testing.T) {
	fds := func() int {
		for _, dir := range []string{"/proc/self/fd", "/dev/fd"} {
			if entries, err := os.ReadDir(dir); err == nil {
				return len(entries)
			}
		}
		t.Skip("cannot count this process's open files here (no /proc/self/fd or /dev/fd)")
		return 0
	}
	fds()
	// An *os.Root nobody closes keeps its directory open until the garbage
	// collector finds it: with the collector off, every one stays open.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))

	ts := start(t, newServer(t))
	c := client(t)
	require.Equal(t, 201, put(t, c, ts.url+"/files/f.txt", "first", false).StatusCode, "PUT of a new file: 201 Created")
	before := fds()
	const requests = 50
	for range requests {
		get(t, c, ts.url+"/files/f.txt")
		put(t, c, ts.url+"/files/f.txt", "again", false)
	}
	opened := fds() - before
	assert.Less(t, opened, requests/5,
		"%d GETs and %d PUTs of /files/f.txt on one connection left %d more files open in the server's process: close the *os.Root (defer root.Close() right after os.OpenRoot succeeds), or a busy server runs out of file descriptors", requests, requests, opened)
}

func TestServer_StoresUploadsAsDataNotPrograms(t *testing.T) {
	ts := start(t, newServer(t))
	require.Equal(t, 201, put(t, client(t), ts.url+"/files/run.sh", "#!/bin/sh\necho hi\n", false).StatusCode, "PUT of a new file: 201 Created")
	fi, err := os.Stat(filepath.Join(ts.Root, "run.sh"))
	require.NoError(t, err)
	perm := fi.Mode().Perm()
	assert.Zero(t, perm&0o111, "an uploaded file got mode %v: nobody may execute what a client uploaded. Write it with mode 0o644 (root.WriteFile(name, data, 0o644))", perm)
	assert.Equal(t, os.FileMode(0o600), perm&0o600, "an uploaded file got mode %v: its owner must be able to read and replace it. Write it with mode 0o644", perm)
}

func TestServer_RefusesAnUploadCutShort(t *testing.T) {
	ts := start(t, newServer(t))
	conn, br := dial(t, ts)
	send(t, conn, "PUT /files/cut.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
	require.NoError(t, conn.(*net.TCPConn).CloseWrite(), "shutting down the client's writing side")

	// The client sent 3 bytes of 10 and then FIN: the body can never be whole.
	out, err := io.ReadAll(br)
	require.False(t, testkit.IsTimeout(err), "the server neither answered nor closed the connection of a client that sent 3 bytes of a 10-byte body and then closed its side")
	_, err = os.Stat(filepath.Join(ts.Root, "cut.txt"))
	assert.True(t, os.IsNotExist(err), "an upload cut short (3 bytes of 10, then the client closed its side) must not be stored")
	if len(out) == 0 {
		return // closed without an answer: nobody may be listening
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), &http.Request{Method: "PUT"})
	require.NoError(t, err, "the answer to an upload cut short is not a valid HTTP/1.1 response (a status of 0?):\n%q", out)
	assert.Equal(t, 400, resp.StatusCode,
		"an upload cut short (the body read fails with io.ErrUnexpectedEOF or a timeout, for which httpparser.StatusOf is 0) gets 400 Bad Request, or no answer at all")
}

func TestServer_Answers413AsSoonAsMaxBodyBytesPlusOneHaveCome(t *testing.T) {
	s := newServer(t)
	s.MaxBodyBytes = 1 << 10
	s.ReadTimeout = time.Second
	ts := start(t, s)
	conn, br := dial(t, ts)
	// One chunk of MaxBodyBytes+1 bytes, then the client waits: the body is
	// already too long, and nothing more will come before ReadTimeout.
	send(t, conn, "PUT /files/stalled HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n401\r\n"+strings.Repeat("s", 1<<10+1)+"\r\n")
	resp, _ := readResponse(t, br, "PUT")
	assert.Equal(t, 413, resp.StatusCode,
		"a chunked PUT that stalls after MaxBodyBytes+1 bytes is too large already: read at most MaxBodyBytes+1 bytes (io.LimitReader) and answer 413. Reading more waits for bytes that do not come, until ReadTimeout")
	_, err := os.Stat(filepath.Join(ts.Root, "stalled"))
	assert.True(t, os.IsNotExist(err), "a refused upload must not leave a file behind")
}
