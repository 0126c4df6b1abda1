package e2e

import (
	"encoding/binary"
	"net/netip"
)

// TCP flags as a segment carries them.
const (
	flagRST uint8 = 0x04
	flagSYN uint8 = 0x02
	flagACK uint8 = 0x10
)

// segment is a TCP segment as a capture tap sees it.
type segment struct {
	src, dst netip.AddrPort
	flags    uint8
}

// tcpSegment reads the addresses, ports and flags of b, an IPv4 packet
// from a tap; ok is false for anything but TCP.
func tcpSegment(b []byte) (s segment, ok bool) {
	if len(b) < 20 || b[9] != 6 {
		return s, false
	}
	ihl := int(b[0]&0x0f) * 4
	if len(b) < ihl+14 {
		return s, false
	}
	s.src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[12:16])), binary.BigEndian.Uint16(b[ihl:]))
	s.dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[16:20])), binary.BigEndian.Uint16(b[ihl+2:]))
	s.flags = b[ihl+13]
	return s, true
}
