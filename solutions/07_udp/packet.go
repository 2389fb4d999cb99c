package udp

// This file is given: the two packets of the stop-and-wait protocol and
// their encoding. Your work is in echo.go and transfer.go.
//
//netlings:given

import (
	"encoding/binary"
	"errors"
)

// ANCHOR: packet

// The protocol borrows TFTP's DATA and ACK packets (RFC 1350, section 5).
// Every field is big-endian ("network byte order"):
//
//	DATA  | opcode 3 (2 bytes) | block (2 bytes) | data (0 to BlockSize bytes) |
//	ACK   | opcode 4 (2 bytes) | block (2 bytes) |
//
// One packet is one UDP datagram: the datagram's length says where the
// data ends, so there is no length field.
const (
	OpData uint16 = 3
	OpAck  uint16 = 4

	// HeaderLen is the size of the opcode and block fields.
	HeaderLen = 4
	// MaxBlockSize is the most data a DATA packet can carry: the largest
	// UDP payload over IPv4 (65535 - 20 bytes of IP header - 8 bytes of
	// UDP header = 65507) minus HeaderLen.
	MaxBlockSize = 65507 - HeaderLen
)

// ErrMalformed is what ParsePacket returns for bytes that are not a DATA
// or ACK packet.
var ErrMalformed = errors.New("udp: malformed packet")

// AppendData appends a DATA packet for block carrying data to dst.
func AppendData(dst []byte, block uint16, data []byte) []byte {
	dst = binary.BigEndian.AppendUint16(dst, OpData)
	dst = binary.BigEndian.AppendUint16(dst, block)
	return append(dst, data...)
}

// AppendAck appends an ACK packet for block to dst.
func AppendAck(dst []byte, block uint16) []byte {
	dst = binary.BigEndian.AppendUint16(dst, OpAck)
	return binary.BigEndian.AppendUint16(dst, block)
}

// ParsePacket decodes one datagram. For a DATA packet, data is the part of
// p after the header (not a copy). It returns ErrMalformed for a datagram
// shorter than HeaderLen, an ACK with bytes after the block number, and
// any other opcode.
func ParsePacket(p []byte) (op, block uint16, data []byte, err error) {
	if len(p) < HeaderLen {
		return 0, 0, nil, ErrMalformed
	}
	op = binary.BigEndian.Uint16(p[0:2])
	block = binary.BigEndian.Uint16(p[2:4])
	switch {
	case op == OpData:
		return op, block, p[HeaderLen:], nil
	case op == OpAck && len(p) == HeaderLen:
		return op, block, nil, nil
	default:
		return 0, 0, nil, ErrMalformed
	}
}

// ANCHOR_END: packet
