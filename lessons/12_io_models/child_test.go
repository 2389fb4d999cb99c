package iomodels

import (
	"bufio"
	"context"
	"fmt"
	"netlings/tools/testkit"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The benchmark measures each server in a child process of its own (this
// test binary, started again with childEnv set), so that the memory it
// reads is the server's alone, not the load generator's too.
const childEnv = "NETLINGS_IOMODELS_SERVER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec))
	}
	testkit.Main(m) // plain go test first says how to get the checker's report
}

// runChild serves one model ("Pool:10000": the model and the number of
// connections it must hold) on 127.0.0.1:0 and answers the benchmark on
// stdin/stdout: it prints a "mem ..." line (the process before the server
// exists), then "addr HOST:PORT", then a "mem ..." line for each "mem" it
// reads; at "quit" or the end of stdin it stops the server.
func runChild(spec string) int {
	name, n, _ := strings.Cut(spec, ":")
	conns, _ := strconv.Atoi(n)
	raiseNoFile(uint64(conns + 256))
	fmt.Println(memLine())
	srv, err := newModel(name, conns)
	if err != nil {
		fmt.Printf("error %v\n", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	time.Sleep(200 * time.Millisecond) // let Serve start its goroutines
	fmt.Printf("addr %s\n", srv.Addr())

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() && in.Text() != "quit" {
		fmt.Println(memLine())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			fmt.Fprintln(os.Stderr, name+".Serve:", err)
			return 1
		}
		return 0
	case <-time.After(10 * time.Second):
		fmt.Fprintln(os.Stderr, name+".Serve did not return within 10s after its ctx was cancelled")
		return 1
	}
}

// newModel makes the named model's server for a benchmark step of conns
// connections. The pool gets a worker for every connection: a worker is
// held by its connection for as long as it lives, idle or not, so fewer
// workers would leave clients waiting in the queue, unserved. Its queue
// absorbs bursts of new connections while workers are busy starting.
func newModel(name string, conns int) (Server, error) {
	if name == "Pool" {
		return asServer(NewPool("127.0.0.1:0", conns+16, 1024))
	}
	for _, m := range Models() {
		if m.Name == name {
			return m.New("127.0.0.1:0")
		}
	}
	return nil, fmt.Errorf("no model %q", name)
}

// memLine collects garbage, hands freed memory back to the system, and
// reports the live Go memory (heap objects and goroutine stacks), the
// resident set size, the goroutines and the open file descriptors.
func memLine() string {
	debug.FreeOSMemory() // a GC, and freed pages back to the OS: RSS is what is live
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return fmt.Sprintf("mem heap=%d stack=%d rss=%d goroutines=%d fds=%d",
		ms.HeapAlloc, ms.StackInuse, rssBytes(), runtime.NumGoroutine(), openFDs())
}

// rssBytes is VmRSS from /proc/self/status (Linux); 0 elsewhere.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
