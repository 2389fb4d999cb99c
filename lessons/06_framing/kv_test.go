package framing

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// ANCHOR: handletest
func TestStoreHandle_SetGetDel(t *testing.T) {
	s := NewStore()
	steps := []struct{ req, reply string }{
		{"GET color", "NOTFOUND"},
		{"SET color blue", "OK"},
		{"GET color", "VALUE blue"},
		{"SET color green", "OK"}, // SET replaces
		{"GET color", "VALUE green"},
		{"SET size 42", "OK"},
		{"DEL color", "OK"},
		{"GET color", "NOTFOUND"},
		{"DEL color", "NOTFOUND"}, // gone already
		{"GET size", "VALUE 42"},  // other keys are untouched
	}
	for i, st := range steps {
		got := handle(t, s, st.req)
		require.Equal(t, st.reply, got, "step %d: the reply to %q (see the table in Store's doc comment)", i+1, st.req)
	}
}

// ANCHOR_END: handletest

func TestStoreHandle_ValuesAreAnyBytes(t *testing.T) {
	s := NewStore()
	values := []string{
		"hello world",              // spaces: the value is everything after the key's space
		"line one\r\nline two\r\n", // CRLF: the frame's length says where it ends
		"zero\x00bytes\xff",
		" leading and trailing ",
		"", // "SET k " stores an empty value; GET replies "VALUE "
	}
	for i, v := range values {
		key := fmt.Sprintf("k%d", i)
		require.Equal(t, "OK", handle(t, s, "SET "+key+" "+v), "SET %s %q", key, v)
		require.Equal(t, "VALUE "+v, handle(t, s, "GET "+key),
			"GET %s after SET %s %q: the value is every byte after the space that follows the key, nothing trimmed", key, key, v)
	}
}

// ANCHOR: badrequests
func TestStoreHandle_BadRequestsGetERR(t *testing.T) {
	bad := []struct{ req, why string }{
		{"", "an empty request"},
		{"PING", "an unknown command"},
		{"get color", "commands are upper case"},
		{"SETcolor blue", "no space after the command"},
		{"SET", "SET without a key"},
		{"SET color", "SET without the space before the value"},
		{"SET  blue", "SET with an empty key"},
		{"GET", "GET without a key"},
		{"GET ", "GET with an empty key"},
		{"GET color blue", "a key has no spaces"},
		{"DEL", "DEL without a key"},
		{"DEL a b", "a key has no spaces"},
		{"GET  color", "a key has no spaces, not even a first one (two spaces after GET)"},
		{"DEL  color", "a key has no spaces, not even a first one (two spaces after DEL)"},
		{"GET color ", "a key has no spaces, not even a last one"},
		{"\x00\x01\x02\xff", "binary garbage"},
	}
	s := NewStore()
	require.Equal(t, "OK", handle(t, s, "SET color red"))
	for _, b := range bad {
		got := handle(t, s, b.req)
		assert.True(t, strings.HasPrefix(got, "ERR "),
			"Handle(%q) (%s) should reply \"ERR <reason>\", got %q", b.req, b.why, got)
	}
	require.Equal(t, "VALUE red", handle(t, s, "GET color"), "bad requests must not change the store")
}

// ANCHOR_END: badrequests

func TestStoreHandle_CopiesTheRequestAndTheReply(t *testing.T) {
	s := NewStore()
	// A server reuses its read buffer for the next request: Handle must not
	// keep a slice of req.
	req := []byte("SET k original")
	_ = testkit.Returns(t, "Store.Handle", "", func() []byte { return s.Handle(req) })
	copy(req, "SET k XXXXXXXX")
	require.Equal(t, "VALUE original", handle(t, s, "GET k"),
		"the caller changed its request buffer after SET, and the stored value changed too: store a copy (bytes.Clone), the buffer is not yours")

	// The caller may keep or change the reply.
	reply := testkit.Returns(t, "Store.Handle", "", func() []byte { return s.Handle([]byte("GET k")) })
	require.Equal(t, "VALUE original", string(reply))
	copy(reply, "VALUE CHANGED!")
	require.Equal(t, "VALUE original", handle(t, s, "GET k"),
		"the caller changed the reply of a GET, and the stored value changed too: build a new slice for the reply")
}

func TestStoreHandle_IsSafeForConcurrentUse(t *testing.T) {
	// Run with -race (make check-lesson does): a map used by several
	// goroutines without a lock is a data race, and Go may also stop the
	// program with "concurrent map writes".
	s := NewStore()
	const workers, rounds = 8, 200
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	testkit.Call(t, "Store.Handle from 8 goroutines at once", "lock a sync.Mutex around every use of the map (defer Unlock)", func() {
		for w := range workers {
			wg.Go(func() {
				for i := range rounds {
					own := fmt.Sprintf("w%d-%d", w, i)
					want := fmt.Sprintf("value %d of worker %d", i, w)
					if r := string(s.Handle([]byte("SET " + own + " " + want))); r != "OK" {
						errs <- fmt.Sprintf("SET %s got %q", own, r)
						return
					}
					s.Handle([]byte("SET shared " + want))
					s.Handle([]byte("GET shared"))
					if r := string(s.Handle([]byte("GET " + own))); r != "VALUE "+want {
						errs <- fmt.Sprintf("GET %s right after SET got %q, want %q", own, r, "VALUE "+want)
						return
					}
					if r := string(s.Handle([]byte("DEL " + own))); r != "OK" {
						errs <- fmt.Sprintf("DEL %s got %q", own, r)
						return
					}
				}
			})
		}
		wg.Wait()
	})
	close(errs)
	for e := range errs {
		t.Errorf("with 8 goroutines using the store at once: %s", e)
	}
	got := handle(t, s, "GET shared")
	require.True(t, strings.HasPrefix(got, "VALUE value "), "GET shared after the workers: got %q", got)
}
