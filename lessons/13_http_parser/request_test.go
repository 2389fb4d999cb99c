package httpparser

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// The exercises, in the order to do them: the head, then the bodies, then
// the malformed and oversized requests. FuzzReadRequest is in fuzz_test.go.

func TestReadRequest_ParsesRequestLineAndHeaders(t *testing.T) {
	req := mustRead(t, "GET /echo/hi?x=1 HTTP/1.1\r\n"+
		"host: example.com\r\n"+
		"Accept:   text/plain \t\r\n"+
		"X-Tag: one\r\n"+
		"x-tag: two\r\n"+
		"X-Lazy-Zebra!: yes\r\n"+
		"\r\n")

	assert.Equal(t, "GET", req.Method, "Method: the first word of the request line")
	assert.Equal(t, "/echo/hi?x=1", req.Target, "Target: the second word, exactly as sent")
	if assert.NotNil(t, req.URL, "URL: parse Target with url.ParseRequestURI") {
		assert.Equal(t, "/echo/hi", req.URL.Path, "URL.Path")
		assert.Equal(t, "x=1", req.URL.RawQuery, "URL.RawQuery")
	}
	assert.Equal(t, "HTTP/1.1", req.Proto, "Proto: the third word")
	assert.Equal(t, []int{1, 1}, []int{req.ProtoMajor, req.ProtoMinor}, "ProtoMajor, ProtoMinor")
	assert.Equal(t, "example.com", req.Host, "Host comes from the Host field (its name in any case)")
	assert.Equal(t, "text/plain", req.Header.Get("accept"),
		"field values lose their leading and trailing spaces and tabs (OWS, RFC 9110 §5.5)")
	assert.Equal(t, []string{"one", "two"}, req.Header["X-Tag"],
		"a repeated field keeps every value, in order, under the canonical key (use Header.Add)")
	assert.Equal(t, "yes", req.Header.Get("X-Lazy-Zebra!"),
		"a field name is a token: letters a-z and A-Z (z and Z included), digits and !#$%&'*+-.^_`|~ (RFC 9110 §5.6.2)")
	assert.False(t, req.Close, "HTTP/1.1 keeps the connection open unless the client says Connection: close")
	assert.EqualValues(t, 0, req.ContentLength, "no Content-Length and no Transfer-Encoding: the body is empty")
	body, err := readBody(t, req)
	assert.NoError(t, err)
	assert.Empty(t, body)

	t.Run("a method in lower case", func(t *testing.T) {
		req := mustRead(t, "get / HTTP/1.1\r\nHost: a\r\n\r\n")
		assert.Equal(t, "get", req.Method, "methods are case-sensitive (RFC 9110 §9.1): keep the method exactly as sent; \"get\" is not GET")
	})
	t.Run("absolute target and Connection tokens", func(t *testing.T) {
		req := mustRead(t, "OPTIONS http://example.org:8080/p HTTP/1.1\r\nHost: ignored\r\nConnection: Upgrade, CLOSE\r\n\r\n")
		assert.Equal(t, "example.org:8080", req.Host, "an absolute-form target's authority wins over the Host field (RFC 9112 §3.2.2)")
		assert.True(t, req.Close, "Connection is a comma-separated list of tokens, case-insensitive: \"close\" is in it")
		req = mustRead(t, "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n")
		assert.True(t, req.Close, "every Connection field line counts (Header.Values, not Get): \"close\" on the second one still closes")
		req = mustRead(t, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
		assert.False(t, req.Close, "keep-alive is a token like close, in any case: HTTP/1.0 with Connection: Keep-Alive stays open")
	})
	t.Run("HTTP/1.2", func(t *testing.T) {
		req := mustRead(t, "GET / HTTP/1.2\r\nHost: a\r\n\r\n")
		assert.Equal(t, []int{1, 2}, []int{req.ProtoMajor, req.ProtoMinor}, "any HTTP/1.x is version 1 (RFC 9112 §2.3): accept HTTP/1.2 as 1.x, with ProtoMinor 2")
		assert.False(t, req.Close, "HTTP/1.2 is persistent like HTTP/1.1: only HTTP/1.0 closes by default")
	})
	t.Run("HTTP/1.0", func(t *testing.T) {
		req := mustRead(t, "GET / HTTP/1.0\r\n\r\n")
		assert.Equal(t, 0, req.ProtoMinor)
		assert.True(t, req.Close, "HTTP/1.0 closes after the response unless the client sends Connection: keep-alive")
		req = mustRead(t, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		assert.False(t, req.Close, "HTTP/1.0 with Connection: keep-alive stays open")
	})
}

func TestReadRequest_ReadsLinesNotReads(t *testing.T) {
	const two = "GET /first HTTP/1.1\r\nHost: a\r\n\r\n" +
		"GET /second HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"

	t.Run("one byte per Read", func(t *testing.T) {
		// The network may deliver a request in pieces of any size; here
		// every Read returns one byte. Read lines, not one Read's worth.
		br := bufio.NewReader(iotest.OneByteReader(strings.NewReader(two)))
		req, err := ReadRequest(br, Limits{})
		require.NoError(t, err, "a request that arrives one byte at a time is still a request: do not parse one Read's worth of bytes")
		assert.Equal(t, "/first", req.Target)
	})
	t.Run("pipelined requests in one Read", func(t *testing.T) {
		// Both requests arrive in one segment. The first ReadRequest must
		// leave the second one in br, byte for byte.
		br := bufio.NewReader(strings.NewReader(two))
		req, err := ReadRequest(br, Limits{})
		require.NoError(t, err)
		assert.Equal(t, "/first", req.Target)
		req, err = ReadRequest(br, Limits{})
		require.NoError(t, err, "the second pipelined request was lost: ReadRequest must not consume bytes past the empty line that ends the head")
		assert.Equal(t, "/second", req.Target)
		body, err := readBody(t, req)
		require.NoError(t, err)
		assert.Equal(t, "abc", body)
	})
	t.Run("a head larger than the bufio buffer", func(t *testing.T) {
		long := strings.Repeat("v", 100)
		br := bufio.NewReaderSize(strings.NewReader("GET / HTTP/1.1\r\nHost: a\r\nX-Long: "+long+"\r\n\r\n"), 16)
		req, err := ReadRequest(br, Limits{})
		require.NoError(t, err, "a line longer than the bufio.Reader's buffer: ReadSlice returns bufio.ErrBufferFull; keep reading")
		assert.Equal(t, long, req.Header.Get("X-Long"))
	})
}

func TestReadRequest_ReportsEOFAndTruncation(t *testing.T) {
	_, err := readOne("")
	assert.ErrorIs(t, err, io.EOF, "no bytes at all: the client closed an idle connection; return io.EOF itself")
	assert.Equal(t, 0, StatusOf(err), "a clean EOF is not a protocol error")

	for _, raw := range []string{"G", "GET / HTTP/1.1", "GET / HTTP/1.1\r\nHost: a\r\n", "GET / HTTP/1.1\r\nHost: a\r\nX-Half: y"} {
		_, err := readWithin(t, raw, Limits{})
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "the connection ended inside the head %q: return io.ErrUnexpectedEOF (even after a single byte)", raw)
	}

	t.Run("other errors of the reader are returned as they are", func(t *testing.T) {
		// A connection can fail in other ways than EOF, e.g. a read
		// deadline. That error is the caller's to see, unchanged.
		errBroken := errors.New("connection reset by the test")
		for _, raw := range []string{"", "GET / HTT", "GET / HTTP/1.1\r\nHost: a\r\nX-Half: y"} {
			br := bufio.NewReader(io.MultiReader(strings.NewReader(raw), iotest.ErrReader(errBroken)))
			_, err := testkit.Returns2(t, "ReadRequest", "", func() (*Request, error) { return ReadRequest(br, Limits{}) })
			assert.ErrorIs(t, err, errBroken,
				"the reader failed with %q after %q: ReadRequest should return that error, not turn it into io.EOF or io.ErrUnexpectedEOF (only io.EOF means the input ended)", errBroken, raw)
		}
	})
}

func TestReadRequest_ReadsContentLengthBody(t *testing.T) {
	br := bufio.NewReader(strings.NewReader("POST /files/a HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello worldGET /next HTTP/1.1\r\nHost: a\r\n\r\n"))
	req, err := ReadRequest(br, Limits{})
	require.NoError(t, err)
	assert.EqualValues(t, 11, req.ContentLength, "ContentLength is the Content-Length value")
	assert.Nil(t, req.TransferEncoding, "TransferEncoding is nil for a body that is not chunked")
	assert.Nil(t, req.Trailer, "Trailer is nil for a body that is not chunked: only a chunked body has trailers")
	body, err := readBody(t, req)
	require.NoError(t, err)
	assert.Equal(t, "hello world", body, "Body reads exactly Content-Length bytes and then returns io.EOF")

	next, err := ReadRequest(br, Limits{})
	require.NoError(t, err, "after the body, br must be at the next request")
	assert.Equal(t, "/next", next.Target)

	t.Run("repeated equal values", func(t *testing.T) {
		req := mustRead(t, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc")
		assert.EqualValues(t, 3, req.ContentLength, "equal repeated Content-Length fields mean one length (RFC 9110 §8.6)")
	})
	t.Run("cut short", func(t *testing.T) {
		req := mustRead(t, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
		_, err := readBody(t, req)
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "the client promised 10 bytes and sent 3: the body must end in io.ErrUnexpectedEOF, not io.EOF")
	})
	t.Run("one byte short", func(t *testing.T) {
		req, err := readWithin(t, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabc", Limits{})
		require.NoError(t, err)
		body, err := readAllStrict(t, "Body", req.Body)
		assert.Equal(t, "abc", body)
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "the client promised 4 bytes and sent 3: one byte missing is a body cut short too (io.ErrUnexpectedEOF)")
	})
	t.Run("every digit counts", func(t *testing.T) {
		for _, tc := range []struct{ cl, body string }{
			{"9", "123456789"},
			{"19", "0123456789abcdefghi"},
			{"000000000000000003", "abc"}, // 18 digits: leading zeros are digits too
		} {
			req, err := readWithin(t, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "+tc.cl+"\r\n\r\n"+tc.body+"GET /next HTTP/1.1\r\n", Limits{})
			require.NoError(t, err, "Content-Length: %s is a valid length (1*DIGIT)", tc.cl)
			assert.EqualValues(t, len(tc.body), req.ContentLength, "Content-Length: %s is %d in decimal", tc.cl, len(tc.body))
			body, err := readAllStrict(t, "Body", req.Body)
			require.NoError(t, err)
			assert.Equal(t, tc.body, body, "Body must read exactly Content-Length bytes")
		}
	})
}

func TestReadRequest_ReadsChunkedBodyAndTrailers(t *testing.T) {
	const raw = "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\nTrailer: X-Sum\r\n\r\n" +
		"5\r\nhello\r\n" +
		"5;name=value\r\n worl\r\n" + // a chunk extension, ignored
		"1\r\nd\r\n" +
		"0\r\n" +
		"X-Sum: 42\r\n" +
		"\r\n" +
		"GET /next HTTP/1.1\r\nHost: a\r\n\r\n"
	br := bufio.NewReader(iotest.HalfReader(strings.NewReader(raw)))
	req, err := ReadRequest(br, Limits{})
	require.NoError(t, err, "Transfer-Encoding: chunked (any case) is the one transfer coding a server must support")
	assert.EqualValues(t, -1, req.ContentLength, "a chunked body has no length up front: ContentLength is -1")
	assert.Equal(t, []string{"chunked"}, req.TransferEncoding)
	body, err := readBody(t, req)
	require.NoError(t, err, "reading a well-formed chunked body")
	assert.Equal(t, "hello world", body, "Body returns the chunk data without sizes, extensions or CRLFs")
	assert.Equal(t, "42", req.Trailer.Get("X-Sum"), "the trailer fields after the last chunk go into Request.Trailer")

	next, err := ReadRequest(br, Limits{})
	require.NoError(t, err, "after a chunked body and its trailers, br must be at the next request")
	assert.Equal(t, "/next", next.Target)

	t.Run("chunk sizes in every hex digit", func(t *testing.T) {
		const ten, fifteen = "0123456789", "0123456789abcde"
		body := "9\r\n123456789\r\n" + "a\r\n" + ten + "\r\n" + "A\r\n" + ten + "\r\n" +
			"f\r\n" + fifteen + "\r\n" + "F\r\n" + fifteen + "\r\n" + "10\r\n" + ten + "abcdef\r\n" + "0\r\n\r\n"
		cr := NewChunkedReader(bufio.NewReader(strings.NewReader(body)), nil, Limits{})
		got, err := readAllStrict(t, "ChunkedReader", cr)
		require.NoError(t, err, "chunk sizes 9, a, A, f, F and 10 (hex: 9, 10, 10, 15, 15, 16), either case, are valid")
		assert.Equal(t, "123456789"+ten+ten+fifteen+fifteen+ten+"abcdef", got,
			"chunk-size is hexadecimal, digits 0-9, a-f and A-F: a=A=10, f=F=15, 10=16")
	})
	t.Run("trailer fields with a nil Header", func(t *testing.T) {
		br := bufio.NewReader(strings.NewReader("5\r\nhello\r\n0\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\nNEXT"))
		cr := NewChunkedReader(br, nil, Limits{})
		var panicked any
		got, err := readAllStrict(t, "ChunkedReader", readerFunc(func(p []byte) (n int, err error) {
			defer func() {
				if panicked = recover(); panicked != nil {
					err = errors.New("panicked")
				}
			}()
			return cr.Read(p)
		}))
		require.Nil(t, panicked, "ChunkedReader.Read panicked (%v) on trailer fields with a nil trailer Header: NewChunkedReader(br, nil, lim) means read the trailer fields and drop them; do not add them to a nil Header", panicked)
		require.NoError(t, err, "NewChunkedReader(br, nil, lim) must read the trailer fields and drop them")
		assert.Equal(t, "hello", got)
		rest, _ := io.ReadAll(br)
		assert.Equal(t, "NEXT", string(rest), "with a nil trailer Header the trailer fields are still read: br must be at the first byte after the body")
	})
}

func TestChunkedReader_RejectsBadFraming(t *testing.T) {
	cases := []struct {
		name, body string
	}{
		{"chunk-size line ends in a bare LF", "5\nhello\r\n0\r\n\r\n"},
		{"CR inside the chunk-size line", "5\r;x\r\nhello\r\n0\r\n\r\n"},
		{"chunk-size overflows int64", "10000000000000005\r\nhello\r\n0\r\n\r\n"},
		{"chunk-size over int64 in 16 digits", "f000000000000005\r\nhello\r\n0\r\n\r\n"},
		{"chunk-size is not hex", "5g\r\nhello\r\n0\r\n\r\n"},
		{"empty chunk-size", "\r\nhello\r\n0\r\n\r\n"},
		{"empty chunk-size line where the last chunk should be", "5\r\nhello\r\n\r\n\r\n"},
		{"negative chunk-size", "-5\r\nhello\r\n0\r\n\r\n"},
		{"space before the size", " 5\r\nhello\r\n0\r\n\r\n"},
		{"chunk data longer than its size", "3\r\nhello\r\n0\r\n\r\n"},
		{"chunk data followed by two bytes that are not CRLF", "5\r\nhelloXX0\r\n\r\n"},
		{"chunk data followed by a bare LF", "5\r\nhello\n0\r\n\r\n"},
		{"stray CR inside a chunk extension", "5;x\ry\r\nhello\r\n0\r\n\r\n"},
		{"stray CR inside a trailer field", "5\r\nhello\r\n0\r\nX-A: b\rc\r\n\r\n"},
		{"trailer line without a colon", "5\r\nhello\r\n0\r\nnot a field\r\n\r\n"},
		{"trailer line ends in a bare LF", "5\r\nhello\r\n0\r\nX-A: b\n\r\n"},
		{"bare LF as the empty line after the trailers", "5\r\nhello\r\n0\r\nX-A: b\r\n\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cr := NewChunkedReader(bufio.NewReader(strings.NewReader(c.body)), Header{}, Limits{})
			_, err := io.ReadAll(cr)
			require.Error(t, err, "the chunked body %q is malformed: Read must return an error", c.body)
			assert.Equal(t, 400, StatusOf(err), "bad chunk framing is a *ProtocolError with Status 400, got %v", err)
			_, again := cr.Read(make([]byte, 8))
			assert.Equal(t, err, again, "errors are sticky: the next Read returns the same error")
		})
	}

	t.Run("cut short", func(t *testing.T) {
		for _, body := range []string{"5\r\nhel", "5\r\nhello", "5\r\nhello\r\n", "5\r\nhello\r\n0\r\n", "5\r\nhello\r\n0\r\nX-A: b\r\n"} {
			cr := NewChunkedReader(bufio.NewReader(strings.NewReader(body)), nil, Limits{})
			_, err := readAllStrict(t, "ChunkedReader", cr)
			assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "the body %q ends before the last chunk and its empty line: io.ErrUnexpectedEOF", body)
			requireSticky(t, cr, err)
		}
	})
	t.Run("an error of the reader", func(t *testing.T) {
		errBroken := errors.New("connection reset by the test")
		cr := NewChunkedReader(bufio.NewReader(io.MultiReader(strings.NewReader("5\r\nhe"), iotest.ErrReader(errBroken))), nil, Limits{})
		got, err := readAllStrict(t, "ChunkedReader", cr)
		assert.Equal(t, "he", got, "the chunk data that did arrive")
		assert.ErrorIs(t, err, errBroken, "the reader failed inside a chunk: return its error as it is (got %v)", err)
		requireSticky(t, cr, err)
	})
	t.Run("the largest chunk-size, cut short", func(t *testing.T) {
		// 7fffffffffffffff is math.MaxInt64: it fits, so it is no framing
		// error; the body then ends long before that many bytes.
		cr := NewChunkedReader(bufio.NewReader(strings.NewReader("7fffffffffffffff\r\nhello")), nil, Limits{})
		got, err := readAllStrict(t, "ChunkedReader", cr)
		assert.Equal(t, "hello", got, "the chunk data that did arrive")
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF,
			"chunk-size 7fffffffffffffff (math.MaxInt64) fits an int64: only a larger value overflows; this body is just cut short (got %v)", err)
	})
	t.Run("16 hex digits that fit", func(t *testing.T) {
		cr := NewChunkedReader(bufio.NewReader(strings.NewReader("0000000000000005\r\nhello\r\n0\r\n\r\n")), nil, Limits{})
		b, err := io.ReadAll(cr)
		require.NoError(t, err, "leading zeros are fine: overflow is about the value, not the digit count alone")
		assert.Equal(t, "hello", string(b))
	})
}

// ANCHOR: malformed
var malformed = []struct {
	name   string
	raw    string
	status int
	lim    Limits // zero: DefaultLimits
}{
	// Framing: the ways to disagree about where the body ends.
	{"two different Content-Lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400, Limits{}},
	{"Content-Length with Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, Limits{}},
	{"Transfer-Encoding with Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n", 400, Limits{}},
	{"Content-Length: +5", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", 400, Limits{}},
	{"Content-Length: -1", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, Limits{}},
	{"Content-Length: 1_0", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1_0\r\n\r\n0123456789", 400, Limits{}},
	{"Content-Length: 0x5", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\nhello", 400, Limits{}},
	{"Content-Length: 5, 5", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello", 400, Limits{}},
	{"empty Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", 400, Limits{}},
	{"Content-Length over int64", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400, Limits{}},
	{"Content-Length just over int64", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n", 400, Limits{}},
	{"unknown transfer coding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501, Limits{}},
	{"chunked not alone", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, Limits{}},
	{"chunked, gzip: every coding in the field counts", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 501, Limits{}},
	{"chunked, then gzip on a second line: every Transfer-Encoding line counts", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n", 501, Limits{}},
	{"Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, Limits{}},

	// Field syntax.
	{"space before the colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, Limits{}},
	{"bare CR in a value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", 400, Limits{}},
	{"bare CR before CRLF", "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", 400, Limits{}},
	{"bare LF as line end", "GET / HTTP/1.1\nHost: a\n\n", 400, Limits{}},
	{"bare LF ending a field line: every line ends in CRLF", "GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n", 400, Limits{}},
	{"bare LF as the empty line: it ends in CRLF too", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400, Limits{}},
	{"obs-fold continuation line", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n  c\r\n\r\n", 400, Limits{}},
	{"field line without a colon", "GET / HTTP/1.1\r\nHost: a\r\nnonsense\r\n\r\n", 400, Limits{}},
	{"empty field name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400, Limits{}},
	{"field name starts with a non-token character", "GET / HTTP/1.1\r\nHost: a\r\n@X: b\r\n\r\n", 400, Limits{}},
	{"NUL in a value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x00c\r\n\r\n", 400, Limits{}},
	{"control character first in a value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: \x01bc\r\n\r\n", 400, Limits{}},
	{"DEL in a value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x7fc\r\n\r\n", 400, Limits{}},
	{"missing Host on HTTP/1.1", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400, Limits{}},
	{"two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, Limits{}},

	// The request line.
	{"two words", "GET /\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"double space", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"trailing space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, Limits{}},
	{"method not a token", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"method starts with a non-token character", "(GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"target not a path", "GET index.html HTTP/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"not HTTP", "GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"version without HTTP/", "GET / 1.1\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"version 1.10", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400, Limits{}},
	{"HTTP/2.0 on a 1.1 parser", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, Limits{}},
	{"HTTP/3.0", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505, Limits{}},
	{"HTTP/0.9: a major version other than 1, below it too", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505, Limits{}},

	// Limits.
	{"request line over MaxLineBytes", "GET /" + strings.Repeat("a", 100) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414, Limits{MaxLineBytes: 64}},
	{"field line over MaxLineBytes", "GET / HTTP/1.1\r\nHost: a\r\nX-A: " + strings.Repeat("a", 100) + "\r\n\r\n", 431, Limits{MaxLineBytes: 64}},
	{"more fields than MaxHeaders", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431, Limits{MaxHeaders: 3}},
	{"header bytes over MaxHeaderBytes", "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X-A: 0123456789\r\n", 10) + "\r\n", 431, Limits{MaxHeaderBytes: 128}},
}

// ANCHOR_END: malformed

func TestReadRequest_RejectsMalformedWithStatus(t *testing.T) {
	for _, c := range malformed {
		t.Run(c.name, func(t *testing.T) {
			req, err := readWithin(t, c.raw, c.lim)
			if err == nil && req != nil && req.Body != nil {
				// a few errors can only show in the body
				_, err = testkit.Returns2(t, "Body.Read", "", func() ([]byte, error) { return io.ReadAll(req.Body) })
			}
			require.Error(t, err, "ReadRequest accepted a malformed request (%s):\n%q", c.name, c.raw)
			assert.Equal(t, c.status, StatusOf(err),
				"%s: wrong status; return a *ProtocolError{Status: %d} (got error %v)", c.name, c.status, err)
		})
	}
}

func TestReadRequest_EnforcesLimits(t *testing.T) {
	t.Run("an endless head", func(t *testing.T) {
		// A client that sends header lines forever must cost us at most
		// MaxHeaderBytes, not all our memory.
		src := &countingReader{r: &endlessHeaders{}, max: 4 << 20}
		lim := Limits{MaxHeaders: 1 << 20, MaxHeaderBytes: 16 << 10}
		_, err := ReadRequest(bufio.NewReader(src), lim)
		require.Error(t, err, "ReadRequest accepted a head that never ends")
		assert.Equal(t, 431, StatusOf(err), "a head over MaxHeaderBytes is 431 Request Header Fields Too Large (got %v)", err)
		assert.Less(t, src.n, 32<<10, "ReadRequest read %d bytes of an endless head with MaxHeaderBytes 16 KiB: stop counting bytes as they arrive", src.n)
	})
	t.Run("an endless line", func(t *testing.T) {
		src := &countingReader{r: strings.NewReader("GET /" + strings.Repeat("a", 1<<20)), max: 4 << 20}
		_, err := ReadRequest(bufio.NewReader(src), Limits{MaxLineBytes: 1 << 10})
		require.Error(t, err)
		assert.Equal(t, 414, StatusOf(err), "a request line over MaxLineBytes is 414 URI Too Long (got %v)", err)
		assert.Less(t, src.n, 16<<10, "ReadRequest read %d bytes of a line with MaxLineBytes 1 KiB", src.n)
	})
	t.Run("an endless chunk extension", func(t *testing.T) {
		// A chunk-size line is a line like any other: "5;" followed by
		// extension bytes forever must stop at MaxLineBytes.
		head := "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;"
		src := &countingReader{r: io.MultiReader(strings.NewReader(head), endless('a')), max: 4 << 20}
		req, err := ReadRequest(bufio.NewReader(src), Limits{MaxLineBytes: 1 << 10})
		require.NoError(t, err, "the head is valid; only the body is hostile")
		_, err = readBody(t, req)
		require.Error(t, err, "reading a body whose chunk-size line never ends must fail")
		assert.Less(t, src.n, 16<<10, "the body read %d bytes of a chunk-size line with MaxLineBytes 1 KiB: bound the chunk-size line like the request line", src.n)
		assert.Equal(t, 400, StatusOf(err), "a chunk-size line over MaxLineBytes is bad framing: 400 (got %v)", err)
	})
	t.Run("exactly at each limit is accepted, one more is not", func(t *testing.T) {
		const max = 64
		lim := Limits{MaxLineBytes: max}
		pad := func(prefix string, n int, suffix string) string { // prefix, a's, suffix: n bytes in all
			return prefix + strings.Repeat("a", n-len(prefix)-len(suffix)) + suffix
		}
		for _, tc := range []struct {
			what, raw string
			lim       Limits
			status    int // 0: accepted
		}{
			{"a request line of MaxLineBytes", pad("GET /", max, " HTTP/1.1") + "\r\nHost: a\r\n\r\n", lim, 0},
			{"a request line of MaxLineBytes+1", pad("GET /", max+1, " HTTP/1.1") + "\r\nHost: a\r\n\r\n", lim, 414},
			{"a field line of MaxLineBytes", "GET / HTTP/1.1\r\nHost: a\r\n" + pad("X-A: ", max, "") + "\r\n\r\n", lim, 0},
			{"a field line of MaxLineBytes+1", "GET / HTTP/1.1\r\nHost: a\r\n" + pad("X-A: ", max+1, "") + "\r\n\r\n", lim, 431},
			{"MaxHeaders fields", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", Limits{MaxHeaders: 3}, 0},
			{"a head of MaxHeaderBytes", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 0123456789\r\n\r\n", Limits{MaxHeaderBytes: 44}, 0},
			{"a head of MaxHeaderBytes+1", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 0123456789!\r\n\r\n", Limits{MaxHeaderBytes: 44}, 431},
		} {
			req, err := readWithin(t, tc.raw, tc.lim)
			if tc.status == 0 {
				require.NoError(t, err, "%s is within the limits %+v: accept it (a limit is the largest size allowed, not the first one refused)", tc.what, tc.lim)
				require.NotNil(t, req)
				continue
			}
			require.Error(t, err, "%s is over the limits %+v", tc.what, tc.lim)
			assert.Equal(t, tc.status, StatusOf(err), "%s: wrong status (got %v)", tc.what, err)
		}

		chunkLine := func(n int) string { return pad("5;", n, "") + "\r\nhello\r\n0\r\n\r\n" }
		cr := NewChunkedReader(bufio.NewReader(strings.NewReader(chunkLine(max))), nil, lim)
		body, err := readAllStrict(t, "ChunkedReader", cr)
		require.NoError(t, err, "a chunk-size line (extension included) of MaxLineBytes=%d is within the limit: accept it", max)
		assert.Equal(t, "hello", body)
		cr = NewChunkedReader(bufio.NewReader(strings.NewReader(chunkLine(max+1))), nil, lim)
		_, err = readAllStrict(t, "ChunkedReader", cr)
		require.Error(t, err, "a chunk-size line of MaxLineBytes+1 is over the limit")
		assert.Equal(t, 400, StatusOf(err), "a chunk-size line over MaxLineBytes is bad framing: 400 (got %v)", err)
	})
	t.Run("trailers too", func(t *testing.T) {
		raw := "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + strings.Repeat("X-T: 1\r\n", 10) + "\r\n"
		req, err := ReadRequest(bufio.NewReader(strings.NewReader(raw)), Limits{MaxHeaders: 5})
		require.NoError(t, err)
		_, err = readBody(t, req)
		assert.Equal(t, 431, StatusOf(err), "the trailer section has the same limits as the header section (got %v)", err)
		requireSticky(t, req.Body, err)
	})
	t.Run("trailer bytes too", func(t *testing.T) {
		// 8 trailer fields of 600 bytes: under MaxHeaders and MaxLineBytes,
		// but 4.8 KB in all, over MaxHeaderBytes.
		trailer := strings.Repeat("X-T: "+strings.Repeat("t", 600)+"\r\n", 8)
		raw := "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + trailer + "\r\n"
		req, err := ReadRequest(bufio.NewReader(strings.NewReader(raw)), Limits{MaxHeaders: 100, MaxLineBytes: 1 << 10, MaxHeaderBytes: 4 << 10})
		require.NoError(t, err)
		_, err = readBody(t, req)
		assert.Equal(t, 431, StatusOf(err), "a trailer section larger than MaxHeaderBytes is 431, even when each line and the field count are within the limits (got %v)", err)
		requireSticky(t, req.Body, err)
	})
	t.Run("a trailer line over MaxLineBytes", func(t *testing.T) {
		const max = 64
		lim := Limits{MaxLineBytes: max}
		trailerLine := func(n int) string { return "X-T: " + strings.Repeat("t", n-len("X-T: ")) }
		cr := NewChunkedReader(bufio.NewReader(strings.NewReader("0\r\n"+trailerLine(max)+"\r\n\r\n")), Header{}, lim)
		_, err := readAllStrict(t, "ChunkedReader", cr)
		require.NoError(t, err, "a trailer field line of MaxLineBytes=%d is within the limit: accept it", max)
		cr = NewChunkedReader(bufio.NewReader(strings.NewReader("0\r\n"+trailerLine(max+1)+"\r\n\r\n")), Header{}, lim)
		_, err = readAllStrict(t, "ChunkedReader", cr)
		require.Error(t, err, "a trailer field line of MaxLineBytes+1 is over the limit")
		assert.Equal(t, 431, StatusOf(err), "a trailer field line over MaxLineBytes is 431, like a header field line: read the trailers as header fields, not as chunk-size lines (got %v)", err)
	})
	t.Run("an endless trailer section", func(t *testing.T) {
		// "0" CRLF, then trailer fields forever: like an endless head, it
		// must cost at most MaxHeaderBytes.
		src := &countingReader{r: io.MultiReader(strings.NewReader("0\r\n"), &endlessHeaders{started: true}), max: 4 << 20}
		cr := NewChunkedReader(bufio.NewReader(src), Header{}, Limits{MaxHeaders: 1 << 20, MaxHeaderBytes: 16 << 10})
		_, err := readAllStrict(t, "ChunkedReader", cr)
		require.Error(t, err, "a trailer section that never ends must fail")
		assert.Equal(t, 431, StatusOf(err), "a trailer section over MaxHeaderBytes is 431 (got %v)", err)
		assert.Less(t, src.n, 64<<10, "the body read %d bytes of an endless trailer section with MaxHeaderBytes 16 KiB: count trailer bytes as they arrive, not at the empty line", src.n)
	})
	t.Run("trailer limits are separate from the head's", func(t *testing.T) {
		// The head uses up MaxHeaders and nearly all of MaxHeaderBytes; the
		// trailer section gets both limits afresh.
		head := "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nX-P: " + strings.Repeat("p", 100) + "\r\n\r\n"
		lim := Limits{MaxHeaders: 3, MaxHeaderBytes: len(head)}
		for _, tc := range []struct {
			fields int
			status int // 0: accepted
		}{{3, 0}, {4, 431}} {
			trailer := strings.Repeat("A: 1\r\n", tc.fields-1) + "X-P: " + strings.Repeat("p", 100) + "\r\n\r\n"
			req, err := readWithin(t, head+"0\r\n"+trailer, lim)
			require.NoError(t, err, "the head has MaxHeaders=3 fields and MaxHeaderBytes=%d bytes: it is within the limits", lim.MaxHeaderBytes)
			_, err = readAllStrict(t, "Body", req.Body)
			if tc.status == 0 {
				assert.NoError(t, err, "%d trailer fields (%d bytes) after a head that used up the limits %+v: the trailer section has MaxHeaders and MaxHeaderBytes of its own, not what the head left", tc.fields, len(trailer), lim)
				continue
			}
			assert.Equal(t, tc.status, StatusOf(err), "%d trailer fields with MaxHeaders=3 is 431 (got %v)", tc.fields, err)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		raw := "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X-A: 1\r\n", DefaultLimits.MaxHeaders) + "\r\n"
		_, err := readWithin(t, raw, Limits{})
		assert.Equal(t, 431, StatusOf(err), "a zero Limits means DefaultLimits: %d header fields is over MaxHeaders=%d", DefaultLimits.MaxHeaders+1, DefaultLimits.MaxHeaders)
	})
	t.Run("defaults bound lines and bytes", func(t *testing.T) {
		const fix = "Limits{} means DefaultLimits (MaxLineBytes %d, MaxHeaderBytes %d): a zero field is the default, not 'no limit': call lim.WithDefaults()"
		def := DefaultLimits
		line := func(n int) string { return "GET /" + strings.Repeat("a", n-len("GET / HTTP/1.1")) + " HTTP/1.1" }
		_, err := readWithin(t, line(def.MaxLineBytes)+"\r\nHost: a\r\n\r\n", Limits{})
		require.NoError(t, err, "a request line of DefaultLimits.MaxLineBytes is within the default limit: "+fix, def.MaxLineBytes, def.MaxHeaderBytes)
		_, err = readWithin(t, line(def.MaxLineBytes+1)+"\r\nHost: a\r\n\r\n", Limits{})
		assert.Equal(t, 414, StatusOf(err), "a request line of DefaultLimits.MaxLineBytes+1 (got %v). "+fix, err, def.MaxLineBytes, def.MaxHeaderBytes)

		// Five field lines of 7 KiB: each under MaxLineBytes, 35 KiB in all.
		big := strings.Repeat("X-Big: "+strings.Repeat("b", 7<<10)+"\r\n", 5)
		_, err = readWithin(t, "GET / HTTP/1.1\r\nHost: a\r\n"+big+"\r\n", Limits{})
		assert.Equal(t, 431, StatusOf(err), "a head of 35 KiB (got %v). "+fix, err, def.MaxLineBytes, def.MaxHeaderBytes)

		cr := NewChunkedReader(bufio.NewReader(strings.NewReader("5;"+strings.Repeat("x", def.MaxLineBytes-1)+"\r\nhello\r\n0\r\n\r\n")), nil, Limits{})
		_, err = readAllStrict(t, "ChunkedReader", cr)
		assert.Equal(t, 400, StatusOf(err), "a chunk-size line of DefaultLimits.MaxLineBytes+1 (got %v). NewChunkedReader: "+fix, err, def.MaxLineBytes, def.MaxHeaderBytes)

		src := &countingReader{r: io.MultiReader(strings.NewReader("GET /"), endless('a')), max: 4 << 20}
		_, err = testkit.Returns2(t, "ReadRequest", "", func() (*Request, error) { return ReadRequest(bufio.NewReader(src), Limits{}) })
		assert.Equal(t, 414, StatusOf(err), "an endless request line with Limits{} (got %v). "+fix, err, def.MaxLineBytes, def.MaxHeaderBytes)
		assert.Less(t, src.n, 64<<10, "ReadRequest read %d bytes of an endless request line with Limits{}. "+fix, src.n, def.MaxLineBytes, def.MaxHeaderBytes)
	})
}

// readerFunc is an io.Reader made of a function.
type readerFunc func(p []byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// requireSticky checks that the next Read of body returns err again.
func requireSticky(t *testing.T, body io.Reader, err error) {
	t.Helper()
	_, again := testkit.Returns2(t, "Body.Read", "after an error, return the same error at once", func() (int, error) { return body.Read(make([]byte, 8)) })
	assert.Equal(t, err, again, "errors are sticky: after %v the next Read returned %v; keep the first error and return it from every later Read", err, again)
}
