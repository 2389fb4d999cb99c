package nethttp

import (
	"context"
	"log/slog"
	"net/http"
)

// RequestIDHeader carries a request's ID, in the request from a client or
// proxy that already chose one, and in every response.
const RequestIDHeader = "X-Request-ID"

// ANCHOR: requestid

// RequestID gives every request an ID: the one in its X-Request-ID header
// when that is a sane token (1 to 64 letters, digits, '.', '_' or '-': it
// ends up in logs, so nothing else is trusted), or a new random one. The ID
// is set on the response's X-Request-ID header before next runs, and stored
// in the request's context, where RequestIDFrom finds it.
func RequestID(next http.Handler) http.Handler {
	// TODO: return an http.HandlerFunc that picks the ID (crypto/rand.Text
	// makes a random one), sets it on w.Header(), and calls next with
	// r.WithContext(context.WithValue(r.Context(), yourKey{}, id)).
	return next
}

// RequestIDFrom returns the request ID that RequestID stored in ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	// TODO: read the value back with ctx.Value and a type assertion.
	return ""
}

// ANCHOR_END: requestid

// ANCHOR: logging

// Logging writes one log record per request to log, after next has
// returned: message "request", with the attributes method, path, status
// (the one sent: the first code of 200 or more given to WriteHeader, as 1xx
// responses are interim and a second WriteHeader is ignored; 200 when next
// never called WriteHeader), bytes (of the response body), duration and
// request_id (from RequestIDFrom).
func Logging(log *slog.Logger, next http.Handler) http.Handler {
	// TODO: http.ResponseWriter does not tell what was written to it:
	// wrap it in a type of yours that embeds it and records the status
	// (WriteHeader) and counts bytes (Write). Call next with the wrapper,
	// then log.LogAttrs(r.Context(), slog.LevelInfo, "request", ...).
	return next
}

// ANCHOR_END: logging

// ANCHOR: recover

// Recover turns a panic in next into a 500 response with an APIError body
// ("internal server error", never the panic value: that is for the log),
// and logs the panic value, the request ID and the stack at level Error on
// log. When next had already sent its status line, nothing can be sent any
// more and the panic is only logged. http.ErrAbortHandler is not a bug but
// net/http's way to abort a response: Recover lets it through.
func Recover(log *slog.Logger, next http.Handler) http.Handler {
	// TODO: in a deferred function, v := recover(); re-panic
	// http.ErrAbortHandler; log the rest with log.LogAttrs at
	// slog.LevelError (runtime/debug.Stack() for the stack); answer 500
	// with writeError unless the status line is gone already (wrap w, as
	// in Logging, to know).
	return next
}

// ANCHOR_END: recover

// ANCHOR: handler

// NewHandler is the whole service: the API over s inside the middleware.
// The order matters. RequestID is outermost, so that everything inside can
// log the ID; Logging wraps Recover, so that a request whose handler
// panicked is logged with the 500 that Recover sent.
func NewHandler(log *slog.Logger, s *Store) http.Handler {
	// TODO: wrap NewAPI(s) in Recover, then Logging, then RequestID.
	return NewAPI(s)
}

// ANCHOR_END: handler
