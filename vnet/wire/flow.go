package wire

import (
	"fmt"
	"net/netip"
)

// Flow is a 5-tuple: protocol, source and destination address and port.
// For ICMP the ports are zero. It is comparable: the one key the fabric's
// tables (flow table, connection tracking, flow logs) use.
type Flow struct {
	Proto uint8
	Src   netip.AddrPort
	Dst   netip.AddrPort
}

// Reverse returns the tuple of the replies to f.
func (f Flow) Reverse() Flow { return Flow{Proto: f.Proto, Src: f.Dst, Dst: f.Src} }

// Canonical returns f with its ends in a fixed order, so that a packet and
// its reply share it, and whether f was already in that order.
func (f Flow) Canonical() (Flow, bool) {
	if f.Src.Compare(f.Dst) <= 0 {
		return f, true
	}
	return f.Reverse(), false
}

func (f Flow) String() string {
	return fmt.Sprintf("%s %s > %s", ProtoName(f.Proto), f.Src, f.Dst)
}
