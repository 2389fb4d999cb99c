package testkit_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

func TestSlowCloseListener_CountsReadsStillRunningAfterAClose(t *testing.T) {
	ln := &testkit.SlowCloseListener{Listener: testkit.Listen(t)}
	accepted := make(chan net.Conn, 1)
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			accepted <- conn
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
	done := make(chan struct{})
	go func() { defer close(done); conn.Read(make([]byte, 1)) }()
	require.Eventually(t, func() bool { return ln.Busy() == 1 }, testkit.IOTimeout, time.Millisecond)
	conn.Close()
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, int32(1), ln.Busy(), "a failed Read lingers 100 ms, like a goroutine still cleaning up")
	<-done
	assert.Zero(t, ln.Busy())

	_, ok := conn.(interface{ CloseWrite() error })
	assert.True(t, ok, "an accepted TCP connection keeps CloseWrite, so a server that half-closes works on this listener")
}

func TestSlowCloseListener_IOCopyReadsThroughTheSlowRead(t *testing.T) {
	ln := &testkit.SlowCloseListener{Listener: testkit.Listen(t)}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		io.Copy(conn, conn) // an echo server's loop: io.Copy looks for WriteTo first
	}()
	client := testkit.DialTCP(t, ln.Addr().String())
	defer client.Close()
	_, err := client.Write([]byte("hi"))
	require.NoError(t, err)
	_, err = io.ReadFull(client, make([]byte, 2))
	require.NoError(t, err)
	assert.Eventually(t, func() bool { return ln.Busy() == 1 }, testkit.IOTimeout, time.Millisecond,
		"io.Copy on an accepted connection must read through the counted Read, not *net.TCPConn's own WriteTo")
	client.Close()
	<-copied
}
