package wschat_test

import (
	"maps"
	"net/http"
	"slices"
	"strconv"

	ws "netlings/lessons/16_websocket"
	chat "netlings/lessons/17_websocket_chat"
)

func itoa(i int) string { return strconv.Itoa(i) }

func quote(s string) string { return strconv.QuoteToASCII(s) }

func sortedKeys(m map[string]string) []string {
	return slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		return compareIDs(a, b)
	})
}

// compareIDs orders "6.10.1" after "6.9.1".
func compareIDs(a, b string) int {
	pa, pb := splitID(a), splitID(b)
	return slices.Compare(pa, pb)
}

func splitID(id string) []int {
	var out []int
	n := 0
	for _, r := range id + "." {
		if r == '.' {
			out = append(out, n)
			n = 0
			continue
		}
		n = n*10 + int(r-'0')
	}
	return out
}

// connHandler upgrades each request to WebSocket and hands handle the
// connection as a chat.Conn with the given read limit; the connection is
// closed when handle returns.
func connHandler(limit int64, handle func(c *chat.Conn)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wc, err := ws.Upgrade(w, r)
		if err != nil {
			return
		}
		defer wc.Close()
		handle(chat.NewConn(wc, limit))
	})
}
