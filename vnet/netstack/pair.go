package netstack

import (
	"net/netip"

	"github.com/vlab-sim/vlab/vnet/packet"
)

// directSink delivers every packet straight to the other end's link.
type directSink struct{ peer **Interface }

func (d directSink) Send(p *packet.Packet) {
	if !(*d.peer).Link.Deliver(p) {
		p.Release()
	}
}

func (directSink) Malformed() {}

// NewPair returns two stacks whose interfaces are wired to each other
// directly, with no fabric in between: the reference that benchmarks
// compare the fabric's paths against.
func NewPair(a, b netip.Prefix) (*Stack, *Stack, error) {
	sa, sb := New(), New()
	var ia, ib *Interface
	var err error
	if ia, err = sa.AddInterface("eth0", a, netip.Addr{}, directSink{&ib}); err != nil {
		return nil, nil, err
	}
	if ib, err = sb.AddInterface("eth0", b, netip.Addr{}, directSink{&ia}); err != nil {
		return nil, nil, err
	}
	return sa, sb, nil
}
