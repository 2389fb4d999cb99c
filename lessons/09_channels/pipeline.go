package channels

import (
	"errors"
	"net"
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
	// TODO: make two channels with room for depth, start the reader and
	// the processor in goroutines and run the writer here. Each stage
	// closes the channel it sends on when it is done, so the next stage's
	// range loop ends. If a write fails, close conn (that stops the
	// reader) and keep draining replies, so nobody blocks forever.
	return errors.New("TODO: RunPipeline is not written yet")
}

// ANCHOR_END: runpipeline
