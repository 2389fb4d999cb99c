package testkit_test

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

func TestStuckListener_WritesWaitForTheDeadlineOnceStuck(t *testing.T) {
	halve := func(d time.Time) time.Time {
		if d.IsZero() {
			return d
		}
		return time.Now().Add(time.Until(d) / 2)
	}
	ln := testkit.StuckListener{Listener: testkit.Listen(t), Scale: halve}
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c
		}
	}()
	client := testkit.DialTCP(t, ln.Addr().String())
	defer client.Close()
	var conn net.Conn
	select {
	case conn = <-accepted:
	case <-time.After(testkit.IOTimeout):
		t.Fatal("no connection accepted")
	}
	defer conn.Close()
	sc := conn.(*testkit.StuckConn)
	_, err := conn.Write([]byte("before"))
	require.NoError(t, err, "a connection writes normally until Stick")

	sc.Stick()
	require.NoError(t, conn.SetWriteDeadline(time.Now().Add(400*time.Millisecond)))
	start := time.Now()
	_, err = conn.Write([]byte("after"))
	took := time.Since(start)
	assert.True(t, errors.Is(err, os.ErrDeadlineExceeded), "a stuck write fails at its deadline: %v", err)
	assert.Less(t, took, 380*time.Millisecond, "Scale halved the 400 ms deadline (took %v)", took)
	assert.Equal(t, 1, sc.Attempts())

	require.NoError(t, conn.SetWriteDeadline(time.Time{}))
	go func() { time.Sleep(50 * time.Millisecond); conn.Close() }()
	_, err = conn.Write([]byte("until close"))
	assert.ErrorIs(t, err, net.ErrClosed, "without a deadline, a stuck write waits for Close")
}
