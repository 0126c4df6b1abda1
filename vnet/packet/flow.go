package packet

import (
	"fmt"
	"net/netip"
)

// Flow is a 5-tuple: protocol, source and destination address and port.
// For ICMP the ports are zero.
type Flow struct {
	Proto uint8
	Src   netip.AddrPort
	Dst   netip.AddrPort
}

// Reverse returns the tuple of the replies to f.
func (f Flow) Reverse() Flow { return Flow{Proto: f.Proto, Src: f.Dst, Dst: f.Src} }

// ProtoName names an IP protocol the way ss and tcpdump do.
func ProtoName(p uint8) string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	case ICMP:
		return "icmp"
	}
	return fmt.Sprintf("proto-%d", p)
}

func (f Flow) String() string {
	return fmt.Sprintf("%s %s > %s", ProtoName(f.Proto), f.Src, f.Dst)
}
