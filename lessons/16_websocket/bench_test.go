package websocket_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"

	ws "netlings/lessons/16_websocket"
	"netlings/tools/load"
)

// gorillaEcho is the peer: the same echo, built on github.com/gorilla/websocket.
func gorillaEcho(w http.ResponseWriter, r *http.Request) {
	up := gorilla.Upgrader{ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10}
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	c.SetReadLimit(ws.DefaultReadLimit)
	for {
		typ, p, err := c.ReadMessage()
		if err != nil {
			return
		}
		if err := c.WriteMessage(typ, p); err != nil {
			return
		}
	}
}

// BenchmarkVersusGorilla puts the same load on your EchoServer and on a
// gorilla/websocket echo (16 connections, one binary message in flight on
// each, 1 s per run, 2 rounds alternating who goes first) and reports both
// rates and the ratios yours/gorilla: a rate ratio of 1 means "as fast", a
// p99 ratio above 1 means "slower tail". Run it with `make bench-lesson N=16`.
func BenchmarkVersusGorilla(b *testing.B) {
	yours := httptest.NewServer(ws.EchoServer{})
	defer yours.Close()
	peer := httptest.NewServer(http.HandlerFunc(gorillaEcho))
	defer peer.Close()
	targets := []load.Target{
		{Name: "yours", URL: "ws" + yours.URL[len("http"):] + "/"},
		{Name: "gorilla", URL: "ws" + peer.URL[len("http"):] + "/"},
	}
	for _, size := range []int{1 << 10, 64 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			o := load.Options{Conns: 16, Duration: time.Second, Message: size}
			var res []load.Result
			for b.Loop() {
				var err error
				res, err = load.Compare(context.Background(), targets, o, 2)
				if err != nil {
					b.Fatal(err)
				}
			}
			for _, r := range res {
				b.Log(r)
				if r.Errors > 0 {
					b.Errorf("%s: %d of %d echoes failed: run `make check-lesson N=16` first", r.Name, r.Errors, r.Requests)
				}
			}
			b.ReportMetric(0, "ns/op") // one op is a whole comparison: not a useful number
			b.ReportMetric(res[0].PerSecond, "yours-msg/s")
			b.ReportMetric(res[1].PerSecond, "gorilla-msg/s")
			if res[1].PerSecond > 0 && res[1].P99 > 0 {
				b.ReportMetric(res[0].PerSecond/res[1].PerSecond, "rate-ratio")
				b.ReportMetric(float64(res[0].P99)/float64(res[1].P99), "p99-ratio")
			}
		})
	}
}
