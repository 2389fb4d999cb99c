package httpparser

import (
	"bufio"
	"bytes"
	"io"
	"net/url"
	"strings"
)

// ReadRequest reads one request head from br and returns the request with a
// Body that reads the rest of its message. It reads line by line from br, so
// it works however the bytes were split by the network, and it leaves every
// byte after this request's head in br for the Body and the next request.
//
// Errors: io.EOF when br ends before the first byte (the client closed an
// idle connection); io.ErrUnexpectedEOF when it ends inside the head; a
// *ProtocolError, whose Status is the response to send, for a request that
// breaks RFC 9112 or lim; any other error of br's reader as is.
// ANCHOR: ReadRequest
func ReadRequest(br *bufio.Reader, lim Limits) (*Request, error) {
	lim = lim.WithDefaults()
	budget := lim.MaxHeaderBytes // bytes of head we may still read

	line, err := readLine(br, lim.MaxLineBytes, &budget, 414)
	if err == io.EOF {
		return nil, io.EOF // nothing at all: a clean close between requests
	}
	if err != nil {
		return nil, unexpected(err)
	}
	req, err := parseRequestLine(line)
	if err != nil {
		return nil, err
	}
	if req.Header, err = readFields(br, lim, &budget); err != nil {
		return nil, unexpected(err)
	}
	if err := checkHost(req); err != nil {
		return nil, err
	}
	req.Close = wantsClose(req)
	if err := setBody(req, br, lim); err != nil {
		return nil, err
	}
	return req, nil
}

// ANCHOR_END: ReadRequest

// unexpected turns io.EOF inside a message into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readLine reads one line ending in CRLF and returns it without the CRLF.
// A line longer than max gets a *ProtocolError with tooLong; every byte read
// is charged to *budget, and overspending it is a 431. A line that ends in a
// bare LF, or has a CR anywhere else, is a 400: RFC 9112 §2.2 lets a
// recipient accept a bare LF, but the parser that accepts less is the one
// that cannot be confused about where a line ends.
// It returns io.EOF only when br ends before the line's first byte.
// ANCHOR: readLine
func readLine(br *bufio.Reader, max int, budget *int, tooLong int) (string, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n') // never more than br's buffer at a time
		line = append(line, frag...)
		if len(line) > max+2 {
			return "", errorf(tooLong, "line longer than %d bytes", max)
		}
		if *budget -= len(frag); *budget < 0 {
			return "", errorf(431, "request head larger than the limit")
		}
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			if err == io.EOF && len(line) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
	}
	text, ok := bytes.CutSuffix(line, []byte("\r\n"))
	if !ok {
		return "", errorf(400, "line ends in a bare LF")
	}
	if bytes.IndexByte(text, '\r') >= 0 {
		return "", errorf(400, "bare CR inside a line")
	}
	return string(text), nil
}

// ANCHOR_END: readLine

// parseRequestLine parses "METHOD SP request-target SP HTTP-version".
func parseRequestLine(line string) (*Request, error) {
	method, rest, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 {
		return nil, errorf(400, "malformed request line %q", line)
	}
	if !isToken(method) {
		return nil, errorf(400, "invalid method %q", method)
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, errorf(400, "invalid request target %q", target)
	}
	major, minor, ok := parseVersion(proto)
	if !ok {
		return nil, errorf(400, "malformed HTTP version %q", proto)
	}
	if major != 1 {
		return nil, errorf(505, "unsupported HTTP version %q", proto)
	}
	return &Request{Method: method, Target: target, URL: u,
		Proto: proto, ProtoMajor: major, ProtoMinor: minor}, nil
}

// parseVersion parses "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3).
func parseVersion(proto string) (major, minor int, ok bool) {
	digits, found := strings.CutPrefix(proto, "HTTP/")
	if !found || len(digits) != 3 || digits[1] != '.' || !isDigit(digits[0]) || !isDigit(digits[2]) {
		return 0, 0, false
	}
	return int(digits[0] - '0'), int(digits[2] - '0'), true
}

// readFields reads field lines up to the empty line that ends a header or a
// trailer section (RFC 9112 §5), charging them to *budget.
// ANCHOR: readFields
func readFields(br *bufio.Reader, lim Limits, budget *int) (Header, error) {
	h := Header{}
	for n := 0; ; n++ {
		line, err := readLine(br, lim.MaxLineBytes, budget, 431)
		if err != nil {
			return nil, err
		}
		if line == "" {
			return h, nil
		}
		if n == lim.MaxHeaders {
			return nil, errorf(431, "more than %d header fields", lim.MaxHeaders)
		}
		name, value, err := parseField(line)
		if err != nil {
			return nil, err
		}
		h.Add(name, value)
	}
}

// ANCHOR_END: readFields

// parseField splits "name: value". The name must be a token right up to the
// colon: "Host : x" (space before the colon, RFC 9112 §5.1) and a folded
// line starting with a space (obs-fold, §5.2) are both rejected here.
func parseField(line string) (name, value string, err error) {
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		return "", "", errorf(400, "header line without a colon: %q", line)
	}
	if !isToken(name) {
		return "", "", errorf(400, "invalid header field name %q", name)
	}
	value = strings.Trim(value, " \t")
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < ' ' && c != '\t' || c == 0x7f {
			return "", "", errorf(400, "control character in the value of %s", name)
		}
	}
	return name, value, nil
}

// checkHost enforces RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host
// field; an HTTP/1.0 request at most one.
func checkHost(req *Request) error {
	hosts := req.Header.Values("Host")
	switch {
	case len(hosts) > 1:
		return errorf(400, "more than one Host field")
	case len(hosts) == 0 && req.ProtoMinor >= 1:
		return errorf(400, "missing Host field in an HTTP/1.1 request")
	}
	req.Host = req.URL.Host
	if req.Host == "" {
		req.Host = req.Header.Get("Host")
	}
	return nil
}

// wantsClose applies RFC 9112 §9.3: HTTP/1.1 is persistent unless the client
// says "Connection: close"; HTTP/1.0 is not, unless it says "keep-alive".
func wantsClose(req *Request) bool {
	if hasToken(req.Header.Values("Connection"), "close") {
		return true
	}
	return req.ProtoMinor == 0 && !hasToken(req.Header.Values("Connection"), "keep-alive")
}

// hasToken reports whether a comma-separated field contains token (any case).
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.Trim(t, " \t"), token) {
				return true
			}
		}
	}
	return false
}

// setBody decides how long the body is — RFC 9112 §6.3, in that order — and
// sets req.Body, req.ContentLength and req.TransferEncoding.
// ANCHOR: setBody
func setBody(req *Request, br *bufio.Reader, lim Limits) error {
	te, hasTE := req.Header["Transfer-Encoding"]
	cl, hasCL := req.Header["Content-Length"]
	switch {
	case hasTE && hasCL:
		// Two framings: a proxy in front of us may have used the other
		// one. Answering would let a smuggled request through (see the
		// chapter), so refuse the message.
		return errorf(400, "both Transfer-Encoding and Content-Length")
	case hasTE && req.ProtoMinor == 0:
		return errorf(400, "Transfer-Encoding in an HTTP/1.0 request")
	case hasTE:
		if len(te) != 1 || !strings.EqualFold(te[0], "chunked") {
			return errorf(501, "unsupported transfer coding %q", strings.Join(te, ", "))
		}
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
		req.Trailer = Header{}
		req.Body = NewChunkedReader(br, req.Trailer, lim)
	case hasCL:
		n, err := parseContentLength(cl)
		if err != nil {
			return err
		}
		req.ContentLength = n
		req.Body = &fixedBody{r: br, left: n}
	default:
		req.Body = &fixedBody{} // no body: 0 bytes, then io.EOF
	}
	return nil
}

// ANCHOR_END: setBody

// parseContentLength accepts one or more equal Content-Length values made of
// decimal digits only. strconv.Atoi would take "+5" and "-1", and
// strconv.ParseInt(s, 0, 64) would take "1_0" and "0x10": a proxy that reads
// such a value differently from us sees a different message.
// ANCHOR: parseContentLength
func parseContentLength(values []string) (int64, error) {
	first := values[0]
	for _, v := range values[1:] {
		if v != first {
			return 0, errorf(400, "different Content-Length values %q", values)
		}
	}
	if first == "" || len(first) > 18 { // 18 digits always fit in an int64
		return 0, errorf(400, "bad Content-Length %q", first)
	}
	var n int64
	for i := 0; i < len(first); i++ {
		if !isDigit(first[i]) {
			return 0, errorf(400, "bad Content-Length %q", first)
		}
		n = n*10 + int64(first[i]-'0')
	}
	return n, nil
}

// ANCHOR_END: parseContentLength

// fixedBody reads exactly left more bytes from r.
type fixedBody struct {
	r    io.Reader
	left int64
}

func (b *fixedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if err == io.EOF && b.left > 0 {
		err = io.ErrUnexpectedEOF // the client promised more
	}
	return n, err
}

// isToken reports whether s is a non-empty RFC 9110 §5.6.2 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
