package wire

import (
	"encoding/binary"
	"net/netip"
)

// IPv4 is a read-only view of an IPv4 packet whose header ParseIPv4 has
// checked: version 4, a header of at least 20 bytes, all of it present, a
// total length covering the header. The view ends at the total length, or
// earlier when the packet was cut short (a capture's snap length): see
// Truncated.
type IPv4 []byte

// ParseIPv4 checks b's IPv4 header and returns the packet, cut to its
// total length when b is longer; ok is false when b is not an IPv4 packet
// whose whole header is present.
func ParseIPv4(b []byte) (IPv4, bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return nil, false
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if ihl < 20 || total < ihl || len(b) < ihl {
		return nil, false
	}
	return IPv4(b[:min(total, len(b))]), true
}

// Truncated reports a packet shorter than its total length says.
func (p IPv4) Truncated() bool { return len(p) < p.TotalLen() }

// HeaderLen is the header's length in bytes.
func (p IPv4) HeaderLen() int { return int(p[0]&0x0f) * 4 }

// TotalLen is the total length field.
func (p IPv4) TotalLen() int { return int(binary.BigEndian.Uint16(p[2:4])) }

// TOS, ID and TTL are the header's fields of those names.
func (p IPv4) TOS() uint8 { return p[1] }
func (p IPv4) ID() uint16 { return binary.BigEndian.Uint16(p[4:6]) }
func (p IPv4) TTL() uint8 { return p[8] }

// DF and MF are the don't-fragment and more-fragments bits; FragOffset is
// the fragment offset in 8-byte units.
func (p IPv4) DF() bool           { return p[6]&0x40 != 0 }
func (p IPv4) MF() bool           { return p[6]&0x20 != 0 }
func (p IPv4) FragOffset() uint16 { return binary.BigEndian.Uint16(p[6:8]) & 0x1fff }

// Protocol is the transport protocol number.
func (p IPv4) Protocol() uint8 { return p[9] }

// Src and Dst are the addresses.
func (p IPv4) Src() netip.Addr { return netip.AddrFrom4([4]byte(p[12:16])) }
func (p IPv4) Dst() netip.Addr { return netip.AddrFrom4([4]byte(p[16:20])) }

// Payload is what follows the header: the transport header and data.
func (p IPv4) Payload() []byte { return p[p.HeaderLen():] }

// TCP returns the TCP header view, ok when the protocol is TCP and the
// header is whole.
func (p IPv4) TCP() (TCPHeader, bool) {
	if p.Protocol() != TCP {
		return nil, false
	}
	return ParseTCP(p.Payload())
}

// UDP returns the UDP header view, ok when the protocol is UDP and the
// header is whole.
func (p IPv4) UDP() (UDPHeader, bool) {
	if p.Protocol() != UDP {
		return nil, false
	}
	return ParseUDP(p.Payload())
}

// Ports returns the transport ports of a TCP or UDP packet (zero for
// others, or when the transport header is cut short: its first four bytes
// suffice).
func (p IPv4) Ports() (src, dst uint16) {
	l4 := p.Payload()
	if (p.Protocol() != TCP && p.Protocol() != UDP) || len(l4) < 4 {
		return 0, 0
	}
	return binary.BigEndian.Uint16(l4[0:2]), binary.BigEndian.Uint16(l4[2:4])
}

// Flags returns a TCP packet's flags (zero for others, or when the header
// is too short to hold them).
func (p IPv4) Flags() TCPFlags {
	l4 := p.Payload()
	if p.Protocol() != TCP || len(l4) < 14 {
		return 0
	}
	return TCPFlags(l4[13])
}

// Flow returns the packet's 5-tuple.
func (p IPv4) Flow() Flow {
	sp, dp := p.Ports()
	return Flow{Proto: p.Protocol(), Src: netip.AddrPortFrom(p.Src(), sp), Dst: netip.AddrPortFrom(p.Dst(), dp)}
}

// TCPHeader is a read-only view of a TCP header and its data.
type TCPHeader []byte

// ParseTCP checks that b holds a whole TCP header (its data offset within
// b).
func ParseTCP(b []byte) (TCPHeader, bool) {
	if len(b) < 20 {
		return nil, false
	}
	off := int(b[12]>>4) * 4
	if off < 20 || off > len(b) {
		return nil, false
	}
	return TCPHeader(b), true
}

func (t TCPHeader) SrcPort() uint16  { return binary.BigEndian.Uint16(t[0:2]) }
func (t TCPHeader) DstPort() uint16  { return binary.BigEndian.Uint16(t[2:4]) }
func (t TCPHeader) Seq() uint32      { return binary.BigEndian.Uint32(t[4:8]) }
func (t TCPHeader) Ack() uint32      { return binary.BigEndian.Uint32(t[8:12]) }
func (t TCPHeader) DataOffset() int  { return int(t[12]>>4) * 4 }
func (t TCPHeader) Flags() TCPFlags  { return TCPFlags(t[13]) }
func (t TCPHeader) Window() uint16   { return binary.BigEndian.Uint16(t[14:16]) }
func (t TCPHeader) Checksum() uint16 { return binary.BigEndian.Uint16(t[16:18]) }
func (t TCPHeader) Urgent() uint16   { return binary.BigEndian.Uint16(t[18:20]) }
func (t TCPHeader) Options() []byte  { return t[20:t.DataOffset()] }
func (t TCPHeader) Payload() []byte  { return t[t.DataOffset():] }

// UDPHeader is a read-only view of a UDP header and its data.
type UDPHeader []byte

// ParseUDP checks that b holds a whole UDP header.
func ParseUDP(b []byte) (UDPHeader, bool) {
	if len(b) < 8 {
		return nil, false
	}
	return UDPHeader(b), true
}

func (u UDPHeader) SrcPort() uint16 { return binary.BigEndian.Uint16(u[0:2]) }
func (u UDPHeader) DstPort() uint16 { return binary.BigEndian.Uint16(u[2:4]) }
func (u UDPHeader) Payload() []byte { return u[8:] }
