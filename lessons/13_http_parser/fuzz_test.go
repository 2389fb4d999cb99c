package httpparser

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// FuzzReadRequest is differential fuzzing: the same bytes go to your
// ReadRequest and to net/http's, and the two must agree — both accept or both
// refuse, and when both accept, on the request they saw — except where this
// workbook is deliberately stricter than net/http. Those places are listed in
// deliberateDifferences; an input that touches one of them is skipped.
//
// The seed corpus in testdata/fuzz/FuzzReadRequest runs with every
// `go test`. To search for new disagreements (the solution has run this for
// minutes with no finding):
//
//	go test -run '^$' -fuzz FuzzReadRequest -fuzztime 60s ./lessons/13_http_parser
func FuzzReadRequest(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1024 {
			// Syntax bugs show in short inputs, and short inputs keep the
			// fuzzer fast (and below net/http's 4 KiB chunk-line limit).
			t.Skip()
		}
		if why := deliberateDifference(data); why != "" {
			t.Skip(why)
		}
		ours, ourErr := parseWithOurs(data)
		theirs, theirErr := parseWithNetHTTP(data)
		if ourErr != nil || theirErr != nil {
			if (ourErr == nil) != (theirErr == nil) {
				t.Fatalf("net/http and ReadRequest disagree on\n%q\nReadRequest: %v\nnet/http:    %v",
					data, errOrOK(ourErr), errOrOK(theirErr))
			}
			return
		}
		assert.Equal(t, theirs, ours, "ReadRequest and net/http accept\n%q\nbut read different requests (expected: net/http's)", data)
	})
}

// ANCHOR: differences

// deliberateDifferences are the places where ReadRequest is stricter than
// net/http.ReadRequest, each allowed by RFC 9112. The fuzzer skips inputs
// that touch them; the table test in request_test.go pins our side.
var deliberateDifferences = []struct {
	why     string
	applies func(head, all string) bool
}{
	{"bare LF as a line end: we require CRLF, net/http also takes LF (RFC 9112 §2.2 allows both)",
		func(head, all string) bool { return hasBareLF(head) || mentions(head, "chunked") && hasBareLF(all) }},
	{"obs-fold (a field line starting with a space or tab): we answer 400, net/http joins the lines (RFC 9112 §5.2 allows both)",
		func(head, all string) bool {
			return hasFoldedLine(head) || mentions(head, "chunked") && hasFoldedLine(all)
		}},
	{"Content-Length with Transfer-Encoding: we refuse, net/http drops Content-Length (RFC 9112 §6.3 allows both)",
		func(head, all string) bool {
			return mentions(head, "\ncontent-length") && mentions(head, "\ntransfer-encoding")
		}},
	{"Transfer-Encoding in HTTP/1.0: we refuse, net/http ignores the field (RFC 9112 §6.1 says the framing is faulty)",
		func(head, all string) bool {
			return mentions(head, "\ntransfer-encoding") && !strings.Contains(firstLine(head), "HTTP/1.1")
		}},
	{"Host on CONNECT: we require it on every HTTP/1.1 request (RFC 9112 §3.2), net/http's server not on CONNECT",
		func(head, all string) bool { return strings.HasPrefix(head, "CONNECT ") }},
	{"the Trailer field: net/http checks the names it declares, we do not read it",
		func(head, all string) bool { return mentions(head, "\ntrailer") }},
}

// ANCHOR_END: differences

// deliberateDifference returns why data is skipped, or "".
func deliberateDifference(data []byte) string {
	all := string(data)
	head, _, _ := strings.Cut(all, "\r\n\r\n")
	for _, d := range deliberateDifferences {
		if d.applies(head, all) {
			return d.why
		}
	}
	return ""
}

// seen is what both parsers must agree on.
type seen struct {
	Method, Target, Proto  string
	ProtoMajor, ProtoMinor int
	Host                   string
	Header, Trailer        map[string][]string
	ContentLength          int64
	Close                  bool
	Body                   string
}

func parseWithOurs(data []byte) (*seen, error) {
	lim := Limits{MaxLineBytes: 1 << 20, MaxHeaders: 1 << 20, MaxHeaderBytes: 1 << 20}
	req, err := ReadRequest(bufio.NewReader(bytes.NewReader(data)), lim)
	if err != nil {
		return nil, err
	}
	if req == nil || req.Body == nil {
		return nil, errNilRequest
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	return &seen{req.Method, req.Target, req.Proto, req.ProtoMajor, req.ProtoMinor, req.Host,
		forCompare(req.Header), forCompare(req.Trailer), req.ContentLength, req.Close, string(body)}, nil
}

// parseWithNetHTTP is http.ReadRequest plus the checks net/http's server
// makes right after it: the major version must be 1, an HTTP/1.1 request
// needs a Host field, and field names and values must be valid
// (http.ReadRequest alone takes "Host : a" as a field named "Host "). The
// server's check of the Host value's syntax is left out: ReadRequest leaves
// that to the application.
func parseWithNetHTTP(data []byte) (*seen, error) {
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(data)))
	if err != nil {
		return nil, err
	}
	if req.ProtoMajor != 1 {
		return nil, errVersion
	}
	if req.ProtoAtLeast(1, 1) && !hasHostField(data) && req.Method != "CONNECT" {
		return nil, errNoHost
	}
	for name, values := range req.Header {
		if !validFieldName(name) {
			return nil, errFieldName
		}
		for _, v := range values {
			if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
				return nil, errFieldValue
			}
		}
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	return &seen{req.Method, req.RequestURI, req.Proto, req.ProtoMajor, req.ProtoMinor, req.Host,
		forCompare(req.Header), forCompare(req.Trailer), req.ContentLength, req.Close, string(body)}, nil
}

// forCompare drops the fields net/http rewrites: it removes Host and
// Transfer-Encoding, merges repeated Content-Length fields and adds
// Cache-Control when it sees Pragma: no-cache.
func forCompare[H ~map[string][]string](h H) map[string][]string {
	out := map[string][]string{}
	for k, v := range h {
		if !slices.Contains([]string{"Host", "Transfer-Encoding", "Content-Length", "Cache-Control"}, k) {
			out[k] = v
		}
	}
	return out
}

// hasHostField reports whether the head has a Host field. http.ReadRequest
// deletes Host from the Header it returns, so read the head again with the
// net/textproto reader it uses.
func hasHostField(data []byte) bool {
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(data)))
	if _, err := tp.ReadLine(); err != nil {
		return false
	}
	h, err := tp.ReadMIMEHeader()
	return err == nil && len(h["Host"]) > 0
}

// validFieldName is httpguts.ValidHeaderFieldName: a token (RFC 9110 §5.6.2).
func validFieldName(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r))
	})
}

func hasBareLF(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' && (i == 0 || s[i-1] != '\r') {
			return true
		}
	}
	return false
}

func hasFoldedLine(s string) bool {
	return strings.Contains(s, "\n ") || strings.Contains(s, "\n\t")
}

func mentions(s, lowerWord string) bool {
	return strings.Contains(strings.ToLower(s), lowerWord)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func errOrOK(err error) string {
	if err == nil {
		return "accepted"
	}
	return err.Error()
}

type fuzzError string

func (e fuzzError) Error() string { return string(e) }

const (
	errNilRequest fuzzError = "ReadRequest returned a nil request or Body without an error"
	errVersion    fuzzError = "net/http's server answers 505 to a major version other than 1"
	errNoHost     fuzzError = "net/http's server answers 400 to HTTP/1.1 without Host"
	errFieldName  fuzzError = "net/http's server answers 400 to an invalid field name"
	errFieldValue fuzzError = "net/http's server answers 400 to an invalid field value"
)
