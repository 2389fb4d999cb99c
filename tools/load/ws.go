package load

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// MaxMessage caps Options.Message in WebSocket mode.
const MaxMessage = 16 << 20

// runWebSocket runs the load of o against a ws:// URL: o.Conns connections,
// each echoing one message of o.Message bytes at a time, until o.Duration has
// passed, o.Requests messages were echoed, or ctx is done.
//
// Run has already checked that o.URL is a loopback ws:// URL and applied the
// defaults and caps to o (see normalize).
//
// Like HTTP mode, it speaks the protocol itself over raw TCP (RFC 6455: the
// opening handshake, masked binary frames out, unmasked frames back), so
// what it measures is the server. A message counts as a request; it is an
// error when the echo is not a binary message of the same length, or on an
// I/O error or a failed handshake (the worker then redials). It returns every
// latency, so that Compare computes exact percentiles over several runs.
func runWebSocket(ctx context.Context, o Options) (stats, error) {
	t, err := parseTarget(o.URL)
	if err != nil {
		return stats{}, fmt.Errorf("load: %w", err)
	}
	if o.Message < 0 || o.Message > MaxMessage {
		return stats{}, fmt.Errorf("load: message size %d out of range [0, %d]", o.Message, MaxMessage)
	}
	return drive(ctx, o, t.addr, func() exchanger { return &wsWorker{target: t, size: o.Message} }), nil
}

// wsWorker owns one WebSocket connection and has one message in flight on it.
type wsWorker struct {
	target target
	size   int

	link
	frame []byte // the masked frame sent every time, built once per connection
	buf   []byte // reused for the echoed payload
}

var (
	errHandshake = errors.New("websocket handshake failed")
	errEcho      = errors.New("bad echo")
)

// roundTrip sends one message and reads its echo, connecting first if
// needed. After any error the connection is dropped: its framing can no
// longer be trusted, and the next message redials.
func (w *wsWorker) roundTrip(ctx context.Context) (gotEcho bool, err error) {
	gotEcho, err = w.echo(ctx)
	if err != nil && ctx.Err() == nil { // at the end of the run, drive hangs up
		w.hangUp()
	}
	return gotEcho, err
}

func (w *wsWorker) echo(ctx context.Context) (gotEcho bool, err error) {
	if err := w.ready(ctx, w.dial); err != nil {
		return false, err
	}
	if _, err := w.conn.Write(w.frame); err != nil {
		return false, err
	}
	op, n, err := w.readMessage()
	if err != nil {
		return false, err
	}
	if op != 0x2 || n != w.size {
		return true, fmt.Errorf("%w: opcode %d, %d bytes (want binary, %d bytes)", errEcho, op, n, w.size)
	}
	return true, nil
}

// dial connects and runs the opening handshake.
func (w *wsWorker) dial(ctx context.Context) error {
	if err := w.open(ctx, w.target.addr, 64<<10); err != nil {
		return err
	}
	w.conn.SetDeadline(time.Now().Add(IOTimeout))
	if err := w.handshake(); err != nil {
		w.hangUp()
		return err
	}
	w.frame = maskedFrame(0x2, make([]byte, w.size))
	return nil
}

func (w *wsWorker) handshake() error {
	var k [16]byte
	rand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	req := "GET " + w.target.path + " HTTP/1.1\r\n" +
		"Host: " + w.target.host + "\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"User-Agent: netlings-load\r\n\r\n"
	if _, err := io.WriteString(w.conn, req); err != nil {
		return err
	}
	resp, err := http.ReadResponse(w.br, nil)
	if err != nil {
		return err
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	switch {
	case resp.StatusCode != http.StatusSwitchingProtocols:
		return fmt.Errorf("%w: status %d", errHandshake, resp.StatusCode)
	case !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket"):
		return fmt.Errorf("%w: no Upgrade: websocket", errHandshake)
	case resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]):
		return fmt.Errorf("%w: wrong Sec-WebSocket-Accept", errHandshake)
	}
	return nil
}

// maskedFrame is a final client frame with payload, masked with a random key.
func maskedFrame(op byte, payload []byte) []byte {
	var key [4]byte
	rand.Read(key[:])
	n := len(payload)
	b := []byte{0x80 | op}
	switch {
	case n <= 125:
		b = append(b, 0x80|byte(n))
	case n <= 0xFFFF:
		b = binary.BigEndian.AppendUint16(append(b, 0x80|126), uint16(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, 0x80|127), uint64(n))
	}
	b = append(b, key[:]...)
	for i, c := range payload {
		b = append(b, c^key[i%4])
	}
	return b
}

// readMessage reads one data message (reassembling fragments and skipping
// pings and pongs) and returns its opcode and length. The payload is read
// into a reused buffer and not looked at: the length is what we check.
func (w *wsWorker) readMessage() (op byte, n int, err error) {
	for {
		var h [2]byte
		if _, err := io.ReadFull(w.br, h[:]); err != nil {
			return 0, 0, err
		}
		fin, fop := h[0]&0x80 != 0, h[0]&0x0F
		length := uint64(h[1] & 0x7F)
		switch length {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(w.br, b[:]); err != nil {
				return 0, 0, err
			}
			length = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(w.br, b[:]); err != nil {
				return 0, 0, err
			}
			length = binary.BigEndian.Uint64(b[:])
		}
		if h[1]&0x80 != 0 {
			return 0, 0, fmt.Errorf("%w: the server masked a frame", errEcho)
		}
		if length > MaxMessage || n+int(length) > MaxMessage {
			return 0, 0, fmt.Errorf("%w: a frame of %d bytes", errEcho, length)
		}
		if cap(w.buf) < int(length) {
			w.buf = make([]byte, length)
		}
		if _, err := io.ReadFull(w.br, w.buf[:length]); err != nil {
			return 0, 0, err
		}
		switch {
		case fop == 0x8:
			return 0, 0, fmt.Errorf("%w: the server closed the connection", errEcho)
		case fop == 0x9: // a server's heartbeat: answer it, or be dropped
			if _, err := w.conn.Write(maskedFrame(0xA, w.buf[:length])); err != nil {
				return 0, 0, err
			}
			continue
		case fop == 0xA:
			continue
		case fop != 0x0:
			op = fop
		}
		n += int(length)
		if fin {
			return op, n, nil
		}
	}
}

// hangUp sends a close frame (best effort) and closes the connection.
func (w *wsWorker) hangUp() {
	if w.conn == nil {
		return
	}
	w.conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	w.conn.Write(maskedFrame(0x8, []byte{0x03, 0xE8}))
	w.close()
}
