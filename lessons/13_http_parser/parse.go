package httpparser

import (
	"bufio"
	"errors"
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
func ReadRequest(br *bufio.Reader, lim Limits) (*Request, error) {
	// TODO: lim = lim.WithDefaults(), then:
	//  1. Read the request line: one line ending in CRLF (br.ReadSlice('\n')
	//     in a loop, never one big Read), at most lim.MaxLineBytes (414).
	//     Bare LF or a CR inside the line: 400.
	//  2. Split it at single spaces into method (a token), target
	//     (url.ParseRequestURI) and "HTTP/1.x" (another major version: 505).
	//  3. Read header lines up to the empty line: "Name: value", the name a
	//     token right up to the colon, the value trimmed of spaces and tabs.
	//     Count lines (MaxHeaders) and bytes (MaxHeaderBytes): 431.
	//  4. HTTP/1.1 needs exactly one Host field (400). Set Host and Close.
	//  5. Frame the body (RFC 9112 §6.3): Transfer-Encoding with
	//     Content-Length is a 400; a coding other than "chunked" is a 501;
	//     Content-Length is digits only, equal when repeated.
	return nil, errors.New("TODO: ReadRequest")
}
