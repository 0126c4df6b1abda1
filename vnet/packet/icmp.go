package packet

import (
	"encoding/binary"
	"net/netip"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// ICMP echo types (RFC 792).
const (
	ICMPEchoReply   = uint8(header.ICMPv4EchoReply)
	ICMPEchoRequest = uint8(header.ICMPv4Echo)
)

// icmp returns the ICMP header and data, nil when p is not ICMP or too short
// to hold an echo header (8 bytes).
func (p *Packet) icmp() header.ICMPv4 {
	if p.Protocol() != ICMP {
		return nil
	}
	pl := p.ip().Payload()
	if len(pl) < header.ICMPv4MinimumSize {
		return nil
	}
	return header.ICMPv4(pl)
}

// ICMPEcho returns an ICMP echo request's or reply's type, identifier and
// sequence number; ok is false for anything else.
func (p *Packet) ICMPEcho() (typ uint8, ident, seq uint16, ok bool) {
	h := p.icmp()
	if h == nil || h.Code() != 0 {
		return 0, 0, 0, false
	}
	switch t := uint8(h.Type()); t {
	case ICMPEchoRequest, ICMPEchoReply:
		return t, h.Ident(), h.Sequence(), true
	}
	return 0, 0, 0, false
}

// SetICMPIdent rewrites an ICMP echo's identifier, updating its checksum
// incrementally (ICMP's checksum covers no pseudo-header, so address
// rewrites leave it alone). It does nothing to other packets.
func (p *Packet) SetICMPIdent(ident uint16) {
	if _, _, _, ok := p.ICMPEcho(); !ok {
		return
	}
	h := p.icmp()
	old := h.Ident()
	h.SetIdent(ident)
	h.SetChecksum(^update16(^h.Checksum(), old, ident))
}

// ICMPEchoPacket describes an ICMP echo for NewICMPEcho.
type ICMPEchoPacket struct {
	Src, Dst   netip.Addr
	Reply      bool // an echo reply; a request otherwise
	Ident, Seq uint16
	Payload    []byte
}

// NewICMPEcho builds the echo e describes, with valid checksums: tests and
// tools build packets with it instead of a stack.
func NewICMPEcho(e ICMPEchoPacket) (*Packet, error) {
	b := make([]byte, header.IPv4MinimumSize+header.ICMPv4MinimumSize+len(e.Payload))
	ip := header.IPv4(b)
	ip.Encode(&header.IPv4Fields{TotalLength: uint16(len(b)), TTL: 64, Protocol: uint8(header.ICMPv4ProtocolNumber),
		SrcAddr: tcpip.AddrFrom4(e.Src.As4()), DstAddr: tcpip.AddrFrom4(e.Dst.As4())})
	ip.SetChecksum(^ip.CalculateChecksum())
	h := header.ICMPv4(b[header.IPv4MinimumSize:])
	h.SetType(header.ICMPv4Echo)
	if e.Reply {
		h.SetType(header.ICMPv4EchoReply)
	}
	binary.BigEndian.PutUint16(h[4:], e.Ident)
	binary.BigEndian.PutUint16(h[6:], e.Seq)
	copy(h[header.ICMPv4MinimumSize:], e.Payload)
	h.SetChecksum(0)
	h.SetChecksum(^checksum.Checksum(h, 0))
	return FromView(buffer.NewViewWithData(b))
}
