package netstack

import (
	"sync"
	"sync/atomic"

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

// queueSoftLimit is how many packets may wait for a stack before senders
// are made to wait. It only bounds memory: TCP's windows already bound what
// is in flight, and nothing is ever dropped for lack of room.
const queueSoftLimit = 1024

// Sink receives the packets a stack writes to one of its interfaces, on the
// writer's goroutine.
type Sink interface {
	// Send takes ownership of p.
	Send(p *packet.Packet)
	// Malformed counts a frame that was not a whole IPv4 packet.
	Malformed()
}

// Link is a point-to-point link endpoint: what the stack writes goes to a
// Sink, and Deliver queues a packet for the stack as if it arrived on the
// wire.
//
// Delivery is asynchronous so that a sender and its receiver run on two
// cores, and lossless: a full queue makes the sender wait (backpressure)
// instead of dropping, as gVisor's channel endpoint does. One exception
// keeps the fabric free of deadlock: a packet a stack writes while a packet
// is being delivered to it (an RST or ICMP reply produced synchronously)
// never waits, since the delivery it would wait for might be waiting for
// this one.
type Link struct {
	sink Sink
	mtu  uint32

	mu         sync.RWMutex
	dispatcher stack.NetworkDispatcher

	qmu    sync.Mutex
	qcond  *sync.Cond // signalled when the queue gains packets, room, or closes
	queue  []*packet.Packet
	spare  []*packet.Packet
	closed bool
	busy   bool // a batch or an inline packet is being delivered
	done   chan struct{}
	inside atomic.Int32 // deliveries in progress inside the stack
}

var _ stack.LinkEndpoint = (*Link)(nil)

func newLink(sink Sink) *Link {
	l := &Link{sink: sink, mtu: DefaultMTU, done: make(chan struct{})}
	l.qcond = sync.NewCond(&l.qmu)
	go l.worker()
	return l
}

// Deliver hands p to the stack, which takes ownership. It reports false,
// leaving p to the caller, when the link is closed.
//
// When nothing is queued or being delivered, a sender that may wait
// delivers p itself, on its own goroutine: a lone packet (a handshake, a
// keystroke) then costs no goroutine switch. Otherwise p joins the queue,
// waiting for room when the queue is full and p.MayWait(). Either way the
// stack receives packets in the order they reached the link.
func (l *Link) Deliver(p *packet.Packet) bool {
	mayWait := p.MayWait()
	l.qmu.Lock()
	if l.closed {
		l.qmu.Unlock()
		return false
	}
	if mayWait && !l.busy && len(l.queue) == 0 {
		l.busy = true
		l.qmu.Unlock()
		l.deliver([]*packet.Packet{p})
		l.qmu.Lock()
		l.busy = false
		if len(l.queue) > 0 || l.closed {
			l.qcond.Broadcast()
		}
		l.qmu.Unlock()
		return true
	}
	for mayWait && len(l.queue) >= queueSoftLimit && !l.closed {
		l.qcond.Wait()
	}
	if l.closed {
		l.qmu.Unlock()
		return false
	}
	l.queue = append(l.queue, p)
	if len(l.queue) == 1 {
		l.qcond.Broadcast()
	}
	l.qmu.Unlock()
	return true
}

// deliver hands a batch to the stack. While it runs, whatever the stack
// writes is marked as not allowed to wait (see Link).
func (l *Link) deliver(batch []*packet.Packet) {
	l.mu.RLock()
	d := l.dispatcher
	l.mu.RUnlock()
	l.inside.Add(1)
	for i, p := range batch {
		if d == nil {
			p.Release()
		} else {
			pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithView(p.TakeView())})
			d.DeliverNetworkPacket(ipv4.ProtocolNumber, pkt)
			pkt.DecRef()
		}
		batch[i] = nil
	}
	l.inside.Add(-1)
}

func (l *Link) worker() {
	defer close(l.done)
	for {
		l.qmu.Lock()
		for (len(l.queue) == 0 || l.busy) && !l.closed {
			l.qcond.Wait()
		}
		if l.closed {
			for _, p := range l.queue {
				p.Release()
			}
			l.queue = nil
			l.qmu.Unlock()
			return
		}
		batch := l.queue
		l.queue, l.spare = l.spare[:0], nil
		l.busy = true
		l.qcond.Broadcast() // room for waiting senders
		l.qmu.Unlock()

		l.deliver(batch)

		l.qmu.Lock()
		l.busy = false
		if l.spare == nil {
			l.spare = batch[:0]
		}
		if len(l.queue) > 0 {
			l.qcond.Broadcast()
		}
		l.qmu.Unlock()
	}
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
		// A packet written while this link's worker is inside the stack
		// (a synchronous reply) must not wait on another queue.
		p.SetMayWait(l.inside.Load() == 0)
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

// Wait implements stack.NetworkLinkEndpoint: it waits for the worker to
// stop after Close.
func (l *Link) Wait() {
	l.qmu.Lock()
	closed := l.closed
	l.qmu.Unlock()
	if closed {
		<-l.done
	}
}

// ARPHardwareType implements stack.NetworkLinkEndpoint.
func (*Link) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareNone }

// AddHeader implements stack.NetworkLinkEndpoint.
func (*Link) AddHeader(*stack.PacketBuffer) {}

// ParseHeader implements stack.NetworkLinkEndpoint.
func (*Link) ParseHeader(*stack.PacketBuffer) bool { return true }

// Close implements stack.NetworkLinkEndpoint: it stops the worker and
// releases what is still queued.
func (l *Link) Close() {
	l.Attach(nil)
	l.qmu.Lock()
	l.closed = true
	l.qcond.Broadcast()
	l.qmu.Unlock()
}

// SetOnCloseAction implements stack.NetworkLinkEndpoint.
func (*Link) SetOnCloseAction(func()) {}
