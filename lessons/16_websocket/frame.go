package websocket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Opcode says what a frame carries (RFC 6455, section 5.2).
type Opcode byte

// The opcodes RFC 6455 defines. 0x3-0x7 and 0xB-0xF are reserved: a peer
// that receives one must fail the connection.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

// IsControl reports whether op is a control opcode: the high bit of the
// four is set (close, ping, pong and the reserved 0xB-0xF).
func (op Opcode) IsControl() bool { return op&0x8 != 0 }

// IsReserved reports whether RFC 6455 leaves op undefined.
func (op Opcode) IsReserved() bool {
	switch op {
	case OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong:
		return false
	}
	return true
}

func (op Opcode) String() string {
	switch op {
	case OpContinuation:
		return "continuation"
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	case OpClose:
		return "close"
	case OpPing:
		return "ping"
	case OpPong:
		return "pong"
	}
	return fmt.Sprintf("reserved(0x%X)", byte(op))
}

// Frame is one WebSocket frame. Payload always holds the unmasked bytes:
// ReadFrame unmasks, WriteFrame masks on the wire when Masked is set.
type Frame struct {
	Fin     bool   // last frame of a message
	RSV     byte   // the three reserved bits: RSV1 = 0b100, RSV2 = 0b010, RSV3 = 0b001
	Opcode  Opcode // what the payload is
	Masked  bool   // the payload is masked on the wire (every client-to-server frame)
	MaskKey [4]byte
	Payload []byte
}

// MaxControlPayload is the largest payload of a close, ping or pong frame.
const MaxControlPayload = 125

// Close codes (RFC 6455, section 7.4.1) used by this lesson and the next.
const (
	CloseNormal          uint16 = 1000
	CloseGoingAway       uint16 = 1001
	CloseProtocolError   uint16 = 1002
	CloseUnsupportedData uint16 = 1003
	CloseNoStatus        uint16 = 1005 // never sent: "the close frame had no code"
	CloseAbnormal        uint16 = 1006 // never sent: "the TCP connection just ended"
	CloseInvalidPayload  uint16 = 1007
	ClosePolicyViolation uint16 = 1008
	CloseMessageTooBig   uint16 = 1009
	CloseMandatoryExt    uint16 = 1010
	CloseInternalError   uint16 = 1011
)

// CloseError is a reason to fail the connection (or a close frame the peer
// sent): Code is the close code to send, Reason a short text for humans.
type CloseError struct {
	Code   uint16
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("websocket: close %d: %s", e.Code, e.Reason)
}

// ReadFrame reads one frame from r and returns it with the payload unmasked.
//
// limit is the largest payload ReadFrame accepts. Check the length before
// reading the payload, so a hostile header claiming 2^63 bytes costs
// nothing: return a *CloseError with CloseMessageTooBig (1009).
//
// A frame that breaks RFC 6455 for any peer gets a *CloseError with
// CloseProtocolError (1002): RSV bits set (no extension is ever negotiated
// here), a reserved opcode, a control frame that is fragmented or carries
// more than 125 bytes, a 64-bit length with its top bit set.
//
// ReadFrame returns io.EOF if r ends before the first byte, and
// io.ErrUnexpectedEOF if it ends inside a frame. It does not check masking:
// whether a frame must be masked depends on who sent it (see Conn.ReadFrame).
func ReadFrame(r io.Reader, limit int64) (Frame, error) {
	// TODO: read the 2-byte header (FIN, RSV, opcode, MASK, 7-bit length),
	// the 16- or 64-bit extended length for 126 and 127, check the header,
	// read the mask key if MASK is set, then the payload, and unmask it.
	return Frame{}, errors.New("TODO: ReadFrame")
}

// WriteFrame writes f to w with a single Write call: the header with the
// shortest length encoding that fits (7 bits up to 125, 16 bits up to 65535,
// 64 bits beyond), the mask key if f.Masked, then the payload, masked with
// f.MaskKey if f.Masked. f.Payload itself is left unchanged.
//
// WriteFrame does not check the frame against the rules ReadFrame enforces:
// the caller decides what to send.
func WriteFrame(w io.Writer, f Frame) error {
	// TODO: build the header bytes, append the mask key and the (masked copy
	// of the) payload, and write it all at once.
	return errors.New("TODO: WriteFrame")
}

// ClosePayload builds the payload of a close frame: the code as two bytes,
// big-endian, then the UTF-8 reason (RFC 6455, section 5.5.1).
func ClosePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}
