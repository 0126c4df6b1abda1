package netstack

import (
	"sync"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"

	"github.com/vlab-sim/vlab/vnet/packet"
)

// DefaultMTU is the MTU of every interface, as on an EC2 ENI whose traffic
// leaves the VPC through an internet gateway (EC2 User Guide, "Network MTU").
const DefaultMTU = 1500

// Sink receives the packets a stack writes to one of its interfaces. It is
// called synchronously on the writer's goroutine, which is how the fabric
// applies backpressure: a stack cannot send faster than the fabric forwards,
// and no queue between them can overflow and drop silently.
type Sink interface {
	// Send takes ownership of p.
	Send(p *packet.Packet)
	// Malformed counts a frame that was not a whole IPv4 packet.
	Malformed()
}

// Link is a point-to-point link endpoint: what the stack writes goes to a
// Sink, and Deliver hands a packet to the stack as if it arrived on the wire.
type Link struct {
	sink Sink
	mtu  uint32

	mu         sync.RWMutex
	dispatcher stack.NetworkDispatcher
}

var _ stack.LinkEndpoint = (*Link)(nil)

// Deliver hands p to the stack, which takes ownership. It reports false,
// leaving p to the caller, when the interface is detached (after Close).
func (l *Link) Deliver(p *packet.Packet) bool {
	l.mu.RLock()
	d := l.dispatcher
	l.mu.RUnlock()
	if d == nil {
		return false
	}
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithView(p.TakeView())})
	d.DeliverNetworkPacket(ipv4.ProtocolNumber, pkt)
	pkt.DecRef()
	return true
}

// WritePackets implements stack.LinkWriter.
func (l *Link) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	n := 0
	for _, pkt := range pkts.AsSlice() {
		n++
		if pkt.NetworkProtocolNumber != header.IPv4ProtocolNumber {
			l.sink.Malformed()
			continue
		}
		// ToView copies the packet into one contiguous view the fabric owns:
		// rewrites must not touch buffers the sender keeps for retransmission.
		p, err := packet.FromView(pkt.ToView())
		if err != nil {
			l.sink.Malformed()
			continue
		}
		l.sink.Send(p)
	}
	return n, nil
}

// Attach implements stack.NetworkLinkEndpoint.
func (l *Link) Attach(d stack.NetworkDispatcher) {
	l.mu.Lock()
	l.dispatcher = d
	l.mu.Unlock()
}

// IsAttached implements stack.NetworkLinkEndpoint.
func (l *Link) IsAttached() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.dispatcher != nil
}

// MTU implements stack.NetworkLinkEndpoint.
func (l *Link) MTU() uint32 { return l.mtu }

// SetMTU implements stack.NetworkLinkEndpoint.
func (l *Link) SetMTU(mtu uint32) { l.mtu = mtu }

// MaxHeaderLength implements stack.NetworkLinkEndpoint: the fabric carries
// bare IPv4 packets, with no link header.
func (*Link) MaxHeaderLength() uint16 { return 0 }

// LinkAddress implements stack.NetworkLinkEndpoint.
func (*Link) LinkAddress() tcpip.LinkAddress { return "" }

// SetLinkAddress implements stack.NetworkLinkEndpoint.
func (*Link) SetLinkAddress(tcpip.LinkAddress) {}

// Capabilities implements stack.NetworkLinkEndpoint. No checksum offload:
// every stack computes and verifies real checksums, so a rewrite that broke
// one would show as a dropped segment.
func (*Link) Capabilities() stack.LinkEndpointCapabilities { return 0 }

// Wait implements stack.NetworkLinkEndpoint; a Link owns no goroutine.
func (*Link) Wait() {}

// ARPHardwareType implements stack.NetworkLinkEndpoint.
func (*Link) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareNone }

// AddHeader implements stack.NetworkLinkEndpoint.
func (*Link) AddHeader(*stack.PacketBuffer) {}

// ParseHeader implements stack.NetworkLinkEndpoint.
func (*Link) ParseHeader(*stack.PacketBuffer) bool { return true }

// Close implements stack.NetworkLinkEndpoint.
func (l *Link) Close() { l.Attach(nil) }

// SetOnCloseAction implements stack.NetworkLinkEndpoint.
func (*Link) SetOnCloseAction(func()) {}
