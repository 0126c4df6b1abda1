package packet

import (
	"errors"
	"fmt"
	"net/netip"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"

	"github.com/vlab-sim/vlab/vnet/wire"
)

// IP protocol numbers, as flow logs and security-group rules name them
// (wire's: the one vocabulary).
const (
	ICMP = wire.ICMP
	TCP  = wire.TCP
	UDP  = wire.UDP
)

// ErrMalformed is returned by Parse for bytes that are not a whole IPv4
// packet with a readable transport header.
var ErrMalformed = errors.New("malformed IPv4 packet")

// Packet is one IPv4 packet owned by the fabric between the moment a link
// endpoint hands it over and the moment it is delivered or dropped. Its bytes
// are private to it: rewriting them never touches a sender's retransmit
// queue.
//
// Invariant: b holds a valid IPv4 header whose TotalLength fits in b, and
// when the protocol is TCP or UDP, the transport header is complete.
type Packet struct {
	view   *buffer.View
	b      []byte
	noWait bool
}

// MayWait reports whether whoever delivers p may wait for room in the
// receiver's queue; see netstack.Link.
func (p *Packet) MayWait() bool { return !p.noWait }

// SetMayWait sets what MayWait reports.
func (p *Packet) SetMayWait(ok bool) { p.noWait = !ok }

// FromView takes ownership of v (as built by a link endpoint) and parses it.
// On error v is released.
func FromView(v *buffer.View) (*Packet, error) {
	p := &Packet{view: v, b: v.AsSlice()}
	if err := p.check(); err != nil {
		v.Release()
		return nil, err
	}
	return p, nil
}

// FromBytes copies b into a new Packet; tests and tools use it to build
// packets by hand.
func FromBytes(b []byte) (*Packet, error) {
	return FromView(buffer.NewViewWithData(b))
}

func (p *Packet) check() error {
	ip, ok := wire.ParseIPv4(p.b)
	if !ok || ip.Truncated() {
		return ErrMalformed
	}
	p.b = ip
	switch ip.Protocol() {
	case wire.TCP:
		if len(ip.Payload()) < header.TCPMinimumSize {
			return fmt.Errorf("%w: short TCP header", ErrMalformed)
		}
	case wire.UDP:
		if len(ip.Payload()) < header.UDPMinimumSize {
			return fmt.Errorf("%w: short UDP header", ErrMalformed)
		}
	}
	return nil
}

// TakeView hands the packet's buffer to the caller (a link endpoint about to
// deliver it); p must not be used afterwards.
func (p *Packet) TakeView() *buffer.View {
	v := p.view
	p.view, p.b = nil, nil
	return v
}

// Release frees a packet that is dropped.
func (p *Packet) Release() {
	if p.view != nil {
		p.view.Release()
		p.view, p.b = nil, nil
	}
}

// Bytes returns the packet's bytes from the IPv4 header on. Callers may read
// them; to change addresses or ports use the Set methods, which keep the
// checksums valid.
func (p *Packet) Bytes() []byte { return p.b }

// Len is the packet's size in bytes, IPv4 header included (what flow logs
// count).
func (p *Packet) Len() int { return len(p.b) }

func (p *Packet) ip() header.IPv4 { return header.IPv4(p.b) }

// ipv4 is the packet's bytes as wire's IPv4 view: the one reading of a
// header (gVisor's is used here only to write: checksums, rewrites).
func (p *Packet) ipv4() wire.IPv4 { return wire.IPv4(p.b) }

// Protocol returns the IP protocol number (6 for TCP, 17 for UDP, 1 for ICMP).
func (p *Packet) Protocol() uint8 { return p.ipv4().Protocol() }

// TTL returns the IPv4 time-to-live.
func (p *Packet) TTL() uint8 { return p.ipv4().TTL() }

// Src returns the source address.
func (p *Packet) Src() netip.Addr { return p.ipv4().Src() }

// Dst returns the destination address.
func (p *Packet) Dst() netip.Addr { return p.ipv4().Dst() }

// SrcPort returns the TCP or UDP source port, 0 for other protocols.
func (p *Packet) SrcPort() uint16 {
	sp, _ := p.ipv4().Ports()
	return sp
}

// DstPort returns the TCP or UDP destination port, 0 for other protocols.
func (p *Packet) DstPort() uint16 {
	_, dp := p.ipv4().Ports()
	return dp
}

// TCPFlags returns the TCP flags, 0 for non-TCP.
func (p *Packet) TCPFlags() wire.TCPFlags { return p.ipv4().Flags() }

// Flow returns the packet's 5-tuple as seen on the wire.
func (p *Packet) Flow() Flow { return p.ipv4().Flow() }

// SetSrc rewrites the source address and, for TCP and UDP, the source port,
// updating the IPv4 and transport checksums incrementally.
func (p *Packet) SetSrc(a netip.AddrPort) {
	ip := p.ip()
	old, nw := ip.SourceAddress(), tcpip.AddrFrom4(a.Addr().As4())
	switch p.Protocol() {
	case TCP:
		t := header.TCP(ip.Payload())
		t.UpdateChecksumPseudoHeaderAddress(old, nw, true)
		t.SetSourcePortWithChecksumUpdate(a.Port())
	case UDP:
		u := header.UDP(ip.Payload())
		u.UpdateChecksumPseudoHeaderAddress(old, nw, true)
		u.SetSourcePortWithChecksumUpdate(a.Port())
	}
	ip.SetSourceAddressWithChecksumUpdate(nw)
}

// SetDst rewrites the destination address and, for TCP and UDP, the
// destination port, updating checksums incrementally.
func (p *Packet) SetDst(a netip.AddrPort) {
	ip := p.ip()
	old, nw := ip.DestinationAddress(), tcpip.AddrFrom4(a.Addr().As4())
	switch p.Protocol() {
	case TCP:
		t := header.TCP(ip.Payload())
		t.UpdateChecksumPseudoHeaderAddress(old, nw, true)
		t.SetDestinationPortWithChecksumUpdate(a.Port())
	case UDP:
		u := header.UDP(ip.Payload())
		u.UpdateChecksumPseudoHeaderAddress(old, nw, true)
		u.SetDestinationPortWithChecksumUpdate(a.Port())
	}
	ip.SetDestinationAddressWithChecksumUpdate(nw)
}

// SetSrcAddr rewrites only the source address (an internet gateway's 1:1
// mapping), keeping the port.
func (p *Packet) SetSrcAddr(a netip.Addr) { p.SetSrc(netip.AddrPortFrom(a, p.SrcPort())) }

// SetDstAddr rewrites only the destination address, keeping the port.
func (p *Packet) SetDstAddr(a netip.Addr) { p.SetDst(netip.AddrPortFrom(a, p.DstPort())) }

// ChecksumsValid reports whether the IPv4 header checksum and the TCP, UDP
// or ICMP checksum are correct; tests use it to prove rewrites keep them so.
func (p *Packet) ChecksumsValid() bool {
	ip := p.ip()
	if !ip.IsChecksumValid() {
		return false
	}
	src, dst := ip.SourceAddress(), ip.DestinationAddress()
	pl := ip.Payload()
	switch p.Protocol() {
	case TCP:
		t := header.TCP(pl)
		return t.IsChecksumValid(src, dst, payloadSum(t.Payload()), uint16(len(t.Payload())))
	case UDP:
		u := header.UDP(pl)
		return u.IsChecksumValid(src, dst, payloadSum(u.Payload()))
	case ICMP:
		return payloadSum(pl) == 0xffff
	}
	return true
}

// SetTTL rewrites the IPv4 time-to-live, updating the header checksum.
func (p *Packet) SetTTL(ttl uint8) {
	ip := p.ip()
	old := uint16(ip[8])<<8 | uint16(ip[9])
	ip.SetTTL(ttl)
	nw := uint16(ip[8])<<8 | uint16(ip[9])
	ip.SetChecksum(^update16(^ip.Checksum(), old, nw))
}
