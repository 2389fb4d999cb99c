package channels

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// upperSlowly is a processing stage that takes longer for the early
// requests than for the later ones: a pipeline that processes requests in
// parallel, or writes replies as they happen to finish, gets them out of order.
func upperSlowly(req string) string {
	if n := len(req) % 5; n > 0 {
		time.Sleep(time.Duration(5-n) * time.Millisecond)
	}
	return strings.ToUpper(req)
}

func TestRunPipeline_AnswersEveryRequestInOrder(t *testing.T) {
	for _, depth := range []int{0, 1, 4} {
		t.Run(fmt.Sprintf("depth=%d", depth), func(t *testing.T) {
			p := startPipeline(t, depth, upperSlowly, nil)
			var sent strings.Builder
			var want []string
			for i := range 40 {
				req := fmt.Sprintf("request %d%s", i, strings.Repeat("!", i%7))
				sent.WriteString(req + "\n")
				want = append(want, strings.ToUpper(req)+"\n")
			}
			_, err := p.client.Write([]byte(sent.String()))
			require.NoError(t, err)
			require.NoError(t, p.client.CloseWrite())

			got, err := io.ReadAll(p.r)
			require.NoError(t, err, "after the client's EOF, RunPipeline should answer every request and close the connection (got %d bytes)", len(got))
			require.Equal(t, strings.Join(want, ""), string(got),
				"one reply per request, each followed by \"\\n\", in the order of the requests: process them one at a time in a single processor goroutine")
			require.NoError(t, p.wait(t, "the client's EOF", "close requests at EOF, replies when the processor is done, and return when the writer is"),
				"the client's EOF is the normal end: RunPipeline should return nil")
		})
	}
}

func TestRunPipeline_ReadsLinesThatArriveInPieces(t *testing.T) {
	// One byte per Read: a line is never in one piece. Also a "\r\n" line,
	// an empty line, and a last line without "\n".
	p := startPipeline(t, 2, strings.ToUpper, func(c *pipeConn) { c.oneByte = true })
	_, err := p.client.Write([]byte("first\r\n\nsecond line\nno newline at the end"))
	require.NoError(t, err)
	require.NoError(t, p.client.CloseWrite())

	got, err := io.ReadAll(p.r)
	require.NoError(t, err, "reading every reply")
	require.Equal(t, "FIRST\n\nSECOND LINE\nNO NEWLINE AT THE END\n", string(got),
		"a request is a line without its \"\\n\" (and without a trailing \"\\r\"); an empty line is a request too, and so is a last line cut short by EOF; bufio.Scanner does all of this")
	require.NoError(t, p.wait(t, "the client's EOF", ""))
}

func TestRunPipeline_RepliesBeforeTheClientIsDone(t *testing.T) {
	p := startPipeline(t, 4, strings.ToUpper, nil)
	for _, req := range []string{"one", "two", "three"} {
		_, err := p.client.Write([]byte(req + "\n"))
		require.NoError(t, err)
		got := readLine(t, p.client, p.r, fmt.Sprintf("the reply to %q while the connection is still open", req))
		require.Equal(t, strings.ToUpper(req)+"\n", got)
	}
	require.False(t, p.run.Returned(), "RunPipeline returned although the client has not finished")
}

// ANCHOR: slowreader
func TestRunPipeline_ASlowReaderBlocksOnlyItsOwnPipeline(t *testing.T) {
	const depth, lines, size = 3, 1000, 1000 // 1 MB of requests
	var processed atomic.Int32
	count := func(req string) string { processed.Add(1); return fmt.Sprint(len(req)) }

	hold := make(chan struct{})
	slow := startPipeline(t, depth, count, func(c *pipeConn) { c.hold = hold })
	fast := startPipeline(t, depth, strings.ToUpper, nil)

	// The slow client sends 1 MB of requests and reads nothing: every
	// Write of its server blocks, as it does once the socket buffers are full.
	sent := make(chan error, 1)
	go func() {
		req := strings.Repeat("x", size) + "\n"
		var err error
		for i := 0; i < lines && err == nil; i++ {
			_, err = slow.client.Write([]byte(req))
		}
		sent <- err
	}()

	// Meanwhile the fast client is served as if nothing happened.
	for i := range 20 {
		req := fmt.Sprintf("fast %d", i)
		_, err := fast.client.Write([]byte(req + "\n"))
		require.NoError(t, err)
		require.Equal(t, strings.ToUpper(req)+"\n", readLine(t, fast.client, fast.r, "a reply to the fast client while another client does not read"),
			"a client that does not read must not slow anybody else down: is anything shared between pipelines?")
	}

	// The slow pipeline has filled up and stopped reading. It holds at
	// most: depth requests + 1 being sent by the reader + 1 in process +
	// depth replies + 1 in the writer, and what is in the reader's buffer.
	time.Sleep(300 * time.Millisecond)
	maxLines := 2*depth + 3
	allowed := int64(maxLines*(size+1) + 16<<10)
	consumed := slow.server.read.Load()
	require.LessOrEqual(t, consumed, allowed,
		"while its client read nothing, the server read %d bytes (%d requests) from it; a bounded pipeline with depth=%d stops after about %d requests: do not buffer requests or replies anywhere but the two channels of size depth", consumed, consumed/(size+1), depth, maxLines)
	require.LessOrEqual(t, int(processed.Load()), depth+2,
		"process was called %d times while the writer could not write: the replies channel must have room for depth replies only (depth=%d)", processed.Load(), depth)

	// The client reads again: every reply arrives, in order.
	close(hold)
	for i := range lines {
		got := readLine(t, slow.client, slow.r, fmt.Sprintf("reply %d of %d once the slow client reads", i+1, lines))
		require.Equal(t, fmt.Sprint(size)+"\n", got, "reply %d", i+1)
	}
	require.NoError(t, <-sent, "the slow client sending its requests")
	require.NoError(t, slow.client.CloseWrite())
	_, err := slow.client.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "after the client's EOF and the last reply, RunPipeline closes the connection")
	require.NoError(t, slow.wait(t, "the client's EOF", ""))
}

// ANCHOR_END: slowreader

func TestRunPipeline_EndsOnARequestLongerThanMaxRequest(t *testing.T) {
	p := startPipeline(t, 2, func(req string) string { return fmt.Sprint(len(req)) }, nil)

	// MaxRequest bytes is the limit, and still fine.
	_, err := p.client.Write([]byte("ok\n" + strings.Repeat("a", MaxRequest) + "\n"))
	require.NoError(t, err)
	require.Equal(t, "2\n", readLine(t, p.client, p.r, "the reply to a short request"))
	require.Equal(t, fmt.Sprint(MaxRequest)+"\n", readLine(t, p.client, p.r, "the reply to a request of exactly MaxRequest bytes"),
		"a request of exactly MaxRequest bytes (plus \"\\n\") is allowed")

	// One byte more is not, and that is clear before any "\n" arrives.
	// The request before it, in the same Write, is still answered.
	_, err = p.client.Write([]byte("x\n" + strings.Repeat("b", MaxRequest+1)))
	require.NoError(t, err)
	err = p.wait(t, "a request line one byte longer than MaxRequest (without its \"\\n\" yet)",
		"limit the line length (bufio.Scanner's Buffer method): a line that does not fit is too long, whether its \"\\n\" comes later or never")
	require.ErrorIs(t, err, ErrRequestTooLong, "a request longer than MaxRequest bytes ends the pipeline with ErrRequestTooLong")
	requireClosedSoon(t, p.client, "1\n", "the client after its too-long request",
		"the requests before the too-long one are answered, then RunPipeline closes conn")
}

func TestRunPipeline_AWriteErrorStopsEveryStage(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := startPipeline(t, 2, strings.ToUpper, func(c *pipeConn) { c.failAfter = 2 })

	// More requests than the channels hold: after the failed write the
	// processor would block forever on a full replies channel unless the
	// writer keeps draining it, and the reader would wait for more
	// requests unless the connection is closed.
	var reqs strings.Builder
	for i := range 20 {
		fmt.Fprintf(&reqs, "request %d\n", i)
	}
	_, err := p.client.Write([]byte(reqs.String()))
	require.NoError(t, err)

	err = p.wait(t, "its third Write failed",
		"after a failed write, close conn (that stops the reader) and keep receiving from replies until it is closed, so the processor is never stuck")
	require.True(t, errors.Is(err, errWriteBroken), "RunPipeline should return the write's error, got %v", err)
	requireClosedSoon(t, p.client, "REQUEST 0\nREQUEST 1\n", "the client whose connection broke", "RunPipeline closes conn before it returns")
}

func TestRunPipeline_ClosingTheConnectionStopsIt(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var mu sync.Mutex
	p := startPipeline(t, 2, func(s string) string { mu.Lock(); defer mu.Unlock(); return s }, nil)
	_, err := p.client.Write([]byte("hello\n"))
	require.NoError(t, err)
	require.Equal(t, "hello\n", readLine(t, p.client, p.r, "the reply"))

	// The client is idle; the server's owner closes the connection.
	p.server.Close()
	p.wait(t, "its connection was closed by another goroutine",
		"the reader's Read fails: close requests, so the processor closes replies, so the writer's range loop ends")
}

func TestRunPipeline_ADepthBelowOneCountsAsOne(t *testing.T) {
	for _, depth := range []int{0, -3} {
		t.Run(fmt.Sprintf("depth=%d", depth), func(t *testing.T) {
			var processed atomic.Int32
			count := func(req string) string { processed.Add(1); return strings.ToUpper(req) }
			hold := make(chan struct{})
			p := startPipeline(t, depth, count, func(c *pipeConn) { c.hold = hold })

			// The client does not read (every Write of the server waits):
			// with room for 1 in each channel, process runs for the reply
			// the writer holds, the one in replies and the one the processor
			// is trying to send. No more, and no fewer.
			const n = 10
			var reqs strings.Builder
			for i := range n {
				fmt.Fprintf(&reqs, "r%d\n", i)
			}
			_, err := p.client.Write([]byte(reqs.String()))
			require.NoError(t, err)

			const want = 1 + 1 + 1 // writer + replies (room for 1) + processor
			deadline := time.Now().Add(ioTimeout)
			for processed.Load() < want && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(quiet)
			require.Equal(t, want, int(processed.Load()),
				"depth=%d counts as 1: each channel has room for exactly 1 value, so while the writer cannot write process runs %d times (1 in the writer, 1 in replies, 1 waiting to be sent), got %d: use max(depth, 1) as the capacity of both channels", depth, want, processed.Load())

			close(hold)
			for i := range n {
				require.Equal(t, fmt.Sprintf("R%d\n", i), readLine(t, p.client, p.r, fmt.Sprintf("reply %d once the client reads", i+1)))
			}
			require.NoError(t, p.client.CloseWrite())
			require.NoError(t, p.wait(t, "the client's EOF", ""))
		})
	}
}
