package nethttp

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequestID_KeepsEveryLetterAndDigitAndNothingNextToThem(t *testing.T) {
	echoID := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, RequestIDFrom(r.Context()))
	})
	s := startQuiet(t, RequestID(echoID))

	// The first and last character of each range, one ID each.
	for _, fine := range []string{"0", "9", "A", "Z", "a", "z", ".", "_", "-"} {
		resp, body := getWithHeader(t, s.URL, RequestIDHeader, fine)
		if !assert.Equal(t, fine, resp.Header.Get(RequestIDHeader),
			"%q is a sane ID: letters, digits, '.', '_' and '-' are kept ('0' to '9', 'A' to 'Z' and 'a' to 'z', both ends included)", fine) {
			break
		}
		assert.Equal(t, fine, body, "RequestIDFrom must return the ID kept")
	}
	// The ASCII characters right next to those ranges.
	for _, hostile := range []string{"/", ":", "@", "[", "`", "{", ",", "~"} {
		resp, body := getWithHeader(t, s.URL, RequestIDHeader, hostile)
		got := resp.Header.Get(RequestIDHeader)
		if !assert.NotEqual(t, hostile, got, "%q is not a letter, a digit, '.', '_' or '-': replace the ID with a new one", hostile) ||
			!assert.NotEmpty(t, got, "an ID like %q must be replaced, not dropped", hostile) {
			break
		}
		assert.Equal(t, got, body, "RequestIDFrom must return the new ID")
	}
}

func TestLogging_LogsTheStatusThatWasSent(t *testing.T) {
	logger, buf := jsonLogger()
	mux := http.NewServeMux()
	mux.HandleFunc("/hints", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints) // interim responses: the real status follows
		w.WriteHeader(199)                   // the last 1xx code
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "not here")
	})
	mux.HandleFunc("/twice", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.WriteHeader(http.StatusInternalServerError) // too late: net/http ignores it
		io.WriteString(w, "ok")
	})
	s := startQuiet(t, Logging(logger, mux))

	resp, _ := getWithHeader(t, s.URL+"/hints", "", "")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = getWithHeader(t, s.URL+"/twice", "", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "net/http sends the first status a handler gives WriteHeader")

	require.Eventually(t, func() bool { return strings.Count(buf.String(), "\n") >= 2 }, 500*time.Millisecond, 10*time.Millisecond,
		"want one log line per request, got:\n%s", buf.String())
	recs := buf.records(t)
	require.Len(t, recs, 2, "one log line per request:\n%s", buf.String())
	assert.EqualValues(t, http.StatusNotFound, recs[0]["status"],
		"103 and 199 are interim (1xx) responses, not the status: record the first WriteHeader code of 200 or more")
	assert.EqualValues(t, http.StatusOK, recs[1]["status"],
		"the first WriteHeader (an explicit 200) is the status sent; a second WriteHeader changes nothing on the wire, so it must not change the log either")
}
