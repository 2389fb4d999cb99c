package httpserver

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"

	httpparser "netlings/lessons/13_http_parser"
)

// Hello is the body of GET /.
const Hello = "Hello, World!\n"

// route answers one request:
//
//	GET  /               200 Hello
//	GET  /echo/{text}    200 text (percent-decoded)
//	GET  /headers        200 one "Name: value" line per request field, sorted
//	GET  /files/{name}   200 the file, with an ETag; 304 if If-None-Match has it; 404
//	PUT  /files/{name}   201 created, 204 replaced; 413 over MaxBodyBytes
//
// HEAD is answered like GET (the writer drops the body). A known path with
// another method is 405 with Allow; any other path is 404. PUT writes files
// with mode 0o644 and stores nothing of a body cut short (400). A file
// store that fails (Root cannot be opened, a file cannot be written) is 500.
// ANCHOR: route
func (s *Server) route(req *httpparser.Request) *Response {
	path := req.URL.Path
	method := req.Method
	if method == "HEAD" {
		method = "GET"
	}
	switch {
	case path == "/":
		return onlyGET(method, func() *Response { return textResponse(200, Hello) })
	case strings.HasPrefix(path, "/echo/"):
		return onlyGET(method, func() *Response { return textResponse(200, strings.TrimPrefix(path, "/echo/")) })
	case path == "/headers":
		return onlyGET(method, func() *Response { return textResponse(200, listHeaders(req.Header)) })
	case strings.HasPrefix(path, "/files/"):
		name := strings.TrimPrefix(path, "/files/")
		switch method {
		case "GET":
			return s.getFile(name, req)
		case "PUT":
			return s.putFile(name, req)
		}
		return notAllowed("GET, HEAD, PUT")
	}
	return textResponse(404, "not found\n")
}

// ANCHOR_END: route

func onlyGET(method string, answer func() *Response) *Response {
	if method != "GET" {
		return notAllowed("GET, HEAD")
	}
	return answer()
}

func notAllowed(allow string) *Response {
	resp := textResponse(405, "method not allowed\n")
	resp.Header.Set("Allow", allow)
	return resp
}

// listHeaders renders the request's fields, one "Name: value" line per value.
func listHeaders(h httpparser.Header) string {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[name] {
			fmt.Fprintf(&b, "%s: %s\n", name, v)
		}
	}
	return b.String()
}

// validName accepts a single file name: no separators, not "." or "..", no
// NUL. The name is already percent-decoded, so "..%2f" arrives here as "../"
// and is refused like "../" itself.
// ANCHOR: validName
func validName(name string) bool {
	return name != "" && name != "." && name != ".." &&
		!strings.ContainsAny(name, "/\\\x00")
}

// ANCHOR_END: validName

// openRoot opens the file store. os.Root resolves every name inside the
// directory — "..", absolute paths and symlinks out of it fail — so even a
// name validName missed cannot reach outside Root.
func (s *Server) openRoot() (*os.Root, error) {
	return os.OpenRoot(s.Root)
}

func (s *Server) getFile(name string, req *httpparser.Request) *Response {
	if !validName(name) {
		return textResponse(400, "bad file name\n")
	}
	root, err := s.openRoot()
	if err != nil {
		return textResponse(500, "no file store\n")
	}
	defer root.Close()
	data, err := root.ReadFile(name)
	if err != nil {
		return textResponse(404, "no such file\n")
	}
	etag := fmt.Sprintf(`"%x"`, sha256.Sum256(data))
	if matchesETag(req.Header.Values("If-None-Match"), etag) {
		return &Response{Status: 304, Header: httpparser.Header{"Etag": {etag}}}
	}
	return &Response{
		Status: 200,
		Header: httpparser.Header{"Content-Type": {"application/octet-stream"}, "Etag": {etag}},
		Body:   data,
	}
}

// matchesETag reports whether an If-None-Match field lists etag or is "*".
func matchesETag(fields []string, etag string) bool {
	for _, field := range fields {
		for _, tag := range strings.Split(field, ",") {
			if tag = strings.TrimSpace(tag); tag == etag || tag == "*" {
				return true
			}
		}
	}
	return false
}

func (s *Server) putFile(name string, req *httpparser.Request) *Response {
	if !validName(name) {
		return textResponse(400, "bad file name\n")
	}
	maxBody := orDefault(s.MaxBodyBytes, DefaultMaxBodyBytes)
	if req.ContentLength > maxBody {
		return textResponse(413, "body too large\n")
	}
	data, err := io.ReadAll(io.LimitReader(req.Body, maxBody+1))
	if err != nil {
		if status := httpparser.StatusOf(err); status != 0 {
			return textResponse(status, err.Error()+"\n")
		}
		return textResponse(400, "body cut short\n")
	}
	if int64(len(data)) > maxBody {
		return textResponse(413, "body too large\n")
	}
	root, err := s.openRoot()
	if err != nil {
		return textResponse(500, "no file store\n")
	}
	defer root.Close()
	_, statErr := root.Stat(name)
	if err := root.WriteFile(name, data, 0o644); err != nil {
		return textResponse(500, "cannot write the file\n")
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		return &Response{Status: 201, Header: httpparser.Header{}}
	}
	return &Response{Status: 204, Header: httpparser.Header{}}
}
