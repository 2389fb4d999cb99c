package layers

import (
	"encoding/binary"
	"fmt"
	"net"
)

// Decode peels one Ethernet frame, as Linux captures it (on loopback too),
// layer by layer: the 14-byte Ethernet header (destination MAC, source
// MAC, EtherType), the IPv4 packet it carries (ParseIPv4), and the TCP
// segment the packet carries (ParseTCP on the IPv4 payload, so IP options
// and padding after the packet are skipped).
//
// The errors: a frame shorter than 14 bytes is ErrShort; an EtherType
// other than 0x0800 is ErrNotIPv4; a protocol other than 6 is ErrNotTCP;
// a fragment (MF set or a fragment offset) is ErrFragment, since one
// fragment does not hold a whole segment; ParseIPv4's and ParseTCP's
// errors are returned as they are (or wrapped). Decode checks no
// checksum: on loopback the TCP checksums are never finished (see the
// chapter).
func Decode(frame []byte) (Packet, error) {
	var p Packet
	if len(frame) < 14 {
		return p, fmt.Errorf("Ethernet header: %w: %d bytes, it needs 14", ErrShort, len(frame))
	}
	p.Ethernet = Ethernet{
		Dst:       net.HardwareAddr(frame[0:6]),
		Src:       net.HardwareAddr(frame[6:12]),
		EtherType: binary.BigEndian.Uint16(frame[12:14]),
	}
	if p.Ethernet.EtherType != 0x0800 {
		return p, fmt.Errorf("%w: EtherType %#04x", ErrNotIPv4, p.Ethernet.EtherType)
	}

	ip, err := ParseIPv4(frame[14:])
	if err != nil {
		return p, err
	}
	p.IP = ip
	if ip.Protocol != 6 {
		return p, fmt.Errorf("%w: protocol %d", ErrNotTCP, ip.Protocol)
	}
	if ip.Flags&IPv4MoreFragments != 0 || ip.FragOff != 0 {
		return p, fmt.Errorf("%w: offset %d×8, flags %03b", ErrFragment, ip.FragOff, ip.Flags)
	}

	tcp, err := ParseTCP(ip.Payload)
	if err != nil {
		return p, err
	}
	p.TCP = tcp
	return p, nil
}
