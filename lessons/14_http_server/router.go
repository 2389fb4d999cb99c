package httpserver

import (
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
func (s *Server) route(req *httpparser.Request) *Response {
	// TODO: switch on req.URL.Path (already percent-decoded). For
	// /files/{name}: refuse names with "/", "\", NUL, "." and ".." (400),
	// and open files through os.OpenRoot(s.Root), which cannot leave the
	// directory. Read a PUT body up to MaxBodyBytes (413 beyond).
	return textResponse(501, "TODO: route\n")
}
