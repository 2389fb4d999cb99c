package channels

import (
	"bufio"
	"errors"
	"net"
	"sync"
)

// MaxRequest is the longest request line RunPipeline accepts, in bytes:
// everything before the "\n" that ends it (a "\r" before the "\n" counts).
const MaxRequest = 1024

// ErrRequestTooLong is returned by RunPipeline when a request line is
// longer than MaxRequest bytes.
var ErrRequestTooLong = errors.New("channels: request line longer than MaxRequest")

// ANCHOR: runpipeline

// RunPipeline serves one connection as a pipeline of three goroutines
// joined by two channels, each with room for depth values (a depth below
// 1 counts as 1):
//
//	reader ──requests──▶ processor ──replies──▶ writer
//
// The reader reads request lines from conn (a line ends with "\n"; a
// trailing "\r" is removed, and a last line without "\n" before EOF is a
// request too) and sends each one, without its line end, on requests. The
// processor calls process for each request in turn and sends the result
// on replies. The writer writes each reply to conn followed by "\n". So
// the replies come back in the order of the requests, and the three stages
// work at the same time: the next request is read while the previous one
// is processed and the one before is written.
//
// Both channels are bounded, and nothing else buffers requests or replies:
// when the client stops reading, the writer blocks, replies fills up, the
// processor blocks, requests fills up, and the reader stops reading from
// conn. A client that does not read slows its own pipeline only.
//
// RunPipeline returns when every stage has ended, and closes conn before
// it returns. After the client's EOF it answers every request read so far
// and returns nil. A request line longer than MaxRequest bytes ends the
// pipeline too: the requests before it are answered, and RunPipeline
// returns ErrRequestTooLong. A read or write error ends every stage and is
// returned. Closing conn from another goroutine stops the pipeline.
func RunPipeline(conn net.Conn, depth int, process func(req string) string) error {
	defer conn.Close()
	depth = max(depth, 1)
	requests := make(chan string, depth)
	replies := make(chan string, depth)

	var wg sync.WaitGroup
	var readErr error
	wg.Go(func() { readErr = readRequests(conn, requests) })
	wg.Go(func() {
		defer close(replies)
		for req := range requests {
			replies <- process(req)
		}
	})
	writeErr := writeReplies(conn, replies)
	wg.Wait()

	// A write error often comes first and makes the reader fail too; the
	// write error is the cause, so it wins.
	if writeErr != nil {
		return writeErr
	}
	return readErr
}

// ANCHOR_END: runpipeline

// ANCHOR: stages

// readRequests is the reader stage. It closes requests when it stops, which
// ends the processor's loop once the queued requests are done.
func readRequests(conn net.Conn, requests chan<- string) error {
	defer close(requests)
	sc := bufio.NewScanner(conn)
	// Room for the longest line plus its "\n", and no more: a longer line
	// fails with bufio.ErrTooLong instead of growing the buffer.
	sc.Buffer(make([]byte, 0, MaxRequest+1), MaxRequest+1)
	for sc.Scan() {
		requests <- sc.Text() // bufio.ScanLines drops the "\n" and a "\r" before it
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return ErrRequestTooLong
	}
	return sc.Err() // nil at EOF
}

// writeReplies is the writer stage. After a failed write it closes conn, so
// the reader's Read fails and the reader stops, and it keeps receiving until
// the processor closes replies: a stage that quits early would leave the
// one before it blocked on a full channel forever.
func writeReplies(conn net.Conn, replies <-chan string) error {
	var err error
	for reply := range replies {
		if err != nil {
			continue // draining
		}
		if _, err = conn.Write([]byte(reply + "\n")); err != nil {
			conn.Close()
		}
	}
	return err
}

// ANCHOR_END: stages
