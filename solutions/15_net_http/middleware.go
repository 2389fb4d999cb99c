package nethttp

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// RequestIDHeader carries a request's ID, in the request from a client or
// proxy that already chose one, and in every response.
const RequestIDHeader = "X-Request-ID"

// requestIDKey is the context key of the request ID. An unexported type
// means no other package can collide with it.
type requestIDKey struct{}

// ANCHOR: requestid

// RequestID gives every request an ID: the one in its X-Request-ID header
// when that is a sane token (1 to 64 letters, digits, '.', '_' or '-': it
// ends up in logs, so nothing else is trusted), or a new random one. The ID
// is set on the response's X-Request-ID header before next runs, and stored
// in the request's context, where RequestIDFrom finds it.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = rand.Text()
		}
		w.Header().Set(RequestIDHeader, id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// RequestIDFrom returns the request ID that RequestID stored in ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// ANCHOR_END: requestid

func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// ANCHOR: logging

// Logging writes one log record per request to log, after next has
// returned: message "request", with the attributes method, path, status
// (the one sent: the first code of 200 or more given to WriteHeader, as 1xx
// responses are interim and a second WriteHeader is ignored; 200 when next
// never called WriteHeader), bytes (of the response body), duration and
// request_id (from RequestIDFrom).
func Logging(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.Status()),
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)),
			slog.String("request_id", RequestIDFrom(r.Context())),
		)
	})
}

// ANCHOR_END: logging

// statusRecorder remembers the status and counts the body bytes that a
// handler writes through it.
type statusRecorder struct {
	http.ResponseWriter
	status int // 0 until the header is written
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 { // 1xx responses are interim: the real status follows
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK // what net/http sends on a Write without WriteHeader
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Status is the status sent, or 200 when the handler wrote nothing at all.
func (r *statusRecorder) Status() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// Unwrap lets http.NewResponseController reach the real ResponseWriter,
// for Flush, SetWriteDeadline and the like.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// ANCHOR: recover

// Recover turns a panic in next into a 500 response with an APIError body
// ("internal server error", never the panic value: that is for the log),
// and logs the panic value, the request ID and the stack at level Error on
// log. When next had already sent its status line, nothing can be sent any
// more and the panic is only logged. http.ErrAbortHandler is not a bug but
// net/http's way to abort a response: Recover lets it through.
func Recover(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			log.LogAttrs(r.Context(), slog.LevelError, "panic",
				slog.Any("panic", v),
				slog.String("request_id", RequestIDFrom(r.Context())),
				slog.String("stack", string(debug.Stack())),
			)
			if rec.status == 0 {
				writeError(rec, http.StatusInternalServerError, "internal server error", nil)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// ANCHOR_END: recover

// ANCHOR: handler

// NewHandler is the whole service: the API over s inside the middleware.
// The order matters. RequestID is outermost, so that everything inside can
// log the ID; Logging wraps Recover, so that a request whose handler
// panicked is logged with the 500 that Recover sent.
func NewHandler(log *slog.Logger, s *Store) http.Handler {
	return RequestID(Logging(log, Recover(log, NewAPI(s))))
}

// ANCHOR_END: handler
