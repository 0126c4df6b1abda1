package vnet

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vlab-sim/vlab/vnet/limits"
	"github.com/vlab-sim/vlab/vnet/packet"
	"github.com/vlab-sim/vlab/vnet/wire"
)

// ctKeyOf is p's flow with its two ends in the canonical order, so that a
// packet and its reply share the key, and whether p goes in that order.
func ctKeyOf(p *packet.Packet) (wire.Flow, bool) { return p.Flow().Canonical() }

// ctState is where a tracked flow is in its life; each state has its idle
// timeout (ConnectionTracking.timeout).
type ctState uint8

const (
	ctEmbryonic   ctState = iota // TCP: SYN seen, handshake not complete
	ctEstablished                // TCP: handshake complete
	ctClosing                    // TCP: a FIN seen
	ctClosed                     // TCP: RST, or the ACK after both FINs
	ctUDP                        // UDP (and ICMP)
	ctUDPStream                  // UDP with more than one request-response
	ctOther                      // other IP protocols
)

var ctStateNames = [...]string{"embryonic", "established", "closing", "closed", "udp", "udp-stream", "other"}

func (s ctState) String() string { return ctStateNames[s] }

type ctEntry struct {
	state     ctState
	ending    wire.Ending // a TCP flow's FINs and end, from the opener's side
	initFwd   bool        // the direction (in key order) of the first packet
	seenReply bool        // a packet from the responder has been seen
	lastReply bool        // the last packet came from the responder
	exchanges uint8       // UDP: request-response turns seen (to 2)
	expires   int64       // the epoch at which the entry is forgotten
}

// ConnectionTracking is an interface's idle connection-tracking timeouts,
// AWS's ConnectionTrackingSpecification (EC2 User Guide, "Idle connection
// tracking timeout"). Zero fields take AWS's defaults.
type ConnectionTracking struct {
	// TcpEstablishedTimeout: idle established TCP flows, 60-432000 s;
	// 432000 (5 days) by default.
	TcpEstablishedTimeout int
	// UdpStreamTimeout: idle UDP flows that have seen more than one
	// request-response transaction, 60-180 s; 180 by default.
	UdpStreamTimeout int
	// UdpTimeout: other idle UDP flows, 30-60 s; 30 by default.
	UdpTimeout int
}

// AWS's defaults (limits.Settings: EC2 User Guide, "Idle connection
// tracking timeout").
var (
	defaultTcpEstablishedTimeout = limits.Get("TcpEstablishedTimeout").Default
	defaultUdpStreamTimeout      = limits.Get("UdpStreamTimeout").Default
	defaultUdpTimeout            = limits.Get("UdpTimeout").Default
)

// Timeouts AWS does not document, chosen by the lab (assumptions, in the
// README): Linux conntrack's figures for the same states.
const (
	// ctEmbryonicTimeout: a TCP flow whose handshake never completed
	// (nf_conntrack_tcp_timeout_syn_sent).
	ctEmbryonicTimeout = 120 * time.Second
	// ctClosingTimeout: a TCP flow after a FIN
	// (nf_conntrack_tcp_timeout_fin_wait, _time_wait).
	ctClosingTimeout = 120 * time.Second
	// ctClosedTimeout: after an RST or the last ACK (wire.ClosedLinger).
	ctClosedTimeout = wire.ClosedLinger
	// ctOtherTimeout: protocols other than TCP, UDP and ICMP; AWS accepts
	// their replies for 600 s (EC2 User Guide, "Security group connection
	// tracking").
	ctOtherTimeout = 600 * time.Second
)

// ctTick is the lab-time step of connection-tracking expiry: an entry is
// forgotten within a tick after its timeout.
const ctTick = time.Second

// Check reports a field outside AWS's range, naming it.
func (c ConnectionTracking) Check() error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"TcpEstablishedTimeout", c.TcpEstablishedTimeout},
		{"UdpStreamTimeout", c.UdpStreamTimeout},
		{"UdpTimeout", c.UdpTimeout},
	} {
		if f.v == 0 {
			continue // AWS's default
		}
		if err := limits.Get(f.name).Check(f.v); err != nil {
			return fmt.Errorf("ConnectionTrackingSpecification.%w", err)
		}
	}
	return nil
}

func (c ConnectionTracking) withDefaults() ConnectionTracking {
	if c.TcpEstablishedTimeout == 0 {
		c.TcpEstablishedTimeout = defaultTcpEstablishedTimeout
	}
	if c.UdpStreamTimeout == 0 {
		c.UdpStreamTimeout = defaultUdpStreamTimeout
	}
	if c.UdpTimeout == 0 {
		c.UdpTimeout = defaultUdpTimeout
	}
	return c
}

// timeout is how long an idle entry in state s is kept.
func (c *ConnectionTracking) timeout(s ctState) time.Duration {
	switch s {
	case ctEmbryonic:
		return ctEmbryonicTimeout
	case ctEstablished:
		return time.Duration(c.TcpEstablishedTimeout) * time.Second
	case ctClosing:
		return ctClosingTimeout
	case ctClosed:
		return ctClosedTimeout
	case ctUDP:
		return time.Duration(c.UdpTimeout) * time.Second
	case ctUDPStream:
		return time.Duration(c.UdpStreamTimeout) * time.Second
	}
	return ctOtherTimeout
}

// conntrack is an ENI's connection tracking table: the flows its security
// groups admitted, whose packets then pass both ways whatever the rules say
// (VPC User Guide, "Security group connection tracking"). Idle entries are
// forgotten after their state's timeout, on the lab clock: the network's
// sweeper counts lab seconds (epochs) and drops what has expired.
type conntrack struct {
	net  *Network
	spec atomic.Pointer[ConnectionTracking]

	mu sync.Mutex
	m  map[wire.Flow]*ctEntry
	// next is a lower bound of the entries' earliest expiry: a sweep of a
	// table whose next is ahead costs nothing.
	next int64
}

// seen reports whether p belongs to a tracked flow, and notes it.
func (c *conntrack) seen(p *packet.Packet) bool {
	k, fwd := ctKeyOf(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[k]
	if e == nil {
		return false
	}
	c.noteLocked(k, e, fwd, p)
	return true
}

func (c *conntrack) track(p *packet.Packet) {
	k, fwd := ctKeyOf(p)
	c.mu.Lock()
	if c.m == nil {
		c.m = map[wire.Flow]*ctEntry{}
	}
	e := c.m[k]
	fresh := e == nil
	if fresh {
		e = &ctEntry{state: ctOther, initFwd: fwd}
		switch k.Proto {
		case packet.TCP:
			e.state = ctEstablished
			if p.TCPFlags().IsSYN() {
				e.state = ctEmbryonic
			}
		case packet.UDP, packet.ICMP:
			e.state = ctUDP
		}
		c.m[k] = e
	}
	c.noteLocked(k, e, fwd, p)
	c.mu.Unlock()
	if fresh {
		c.net.ctArm()
	}
}

func (c *conntrack) noteLocked(k wire.Flow, e *ctEntry, fwd bool, p *packet.Packet) {
	if e.state == ctClosed {
		return // forgotten ctClosedTimeout after it ended, whatever follows
	}
	reply := fwd != e.initFwd
	if reply {
		e.seenReply = true
	}
	switch k.Proto {
	case packet.TCP:
		f := p.TCPFlags()
		e.ending = e.ending.Note(f, !reply)
		switch {
		case e.ending.IsClosed():
			e.state = ctClosed
		case e.ending.Closing():
			e.state = ctClosing
		case e.state == ctEmbryonic && e.seenReply && f&wire.ACK != 0 && f&wire.SYN == 0:
			e.state = ctEstablished
		}
	case packet.UDP:
		// A reply after a request is one exchange; more than one makes a
		// stream.
		if !e.lastReply && reply && e.exchanges < 2 {
			e.exchanges++
			if e.exchanges >= 2 {
				e.state = ctUDPStream
			}
		}
	}
	e.lastReply = reply
	// The epoch is the last tick's and the packet came up to a tick
	// later: one more tick keeps the entry for its whole timeout.
	e.expires = c.net.ctEpoch.Load() + int64(c.timeouts().timeout(e.state)/ctTick) + 1
	if e.expires < c.next || len(c.m) == 1 {
		c.next = e.expires
	}
}

func (c *conntrack) timeouts() *ConnectionTracking {
	if t := c.spec.Load(); t != nil {
		return t
	}
	return &defaultTracking
}

var defaultTracking = ConnectionTracking{}.withDefaults()

// sweep forgets the entries expired at epoch and reports whether any are
// left.
func (c *conntrack) sweep(epoch int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) == 0 {
		return false
	}
	if c.next > epoch {
		return true
	}
	next := int64(1<<63 - 1)
	for k, e := range c.m {
		if e.expires <= epoch {
			delete(c.m, k)
			continue
		}
		next = min(next, e.expires)
	}
	c.next = next
	if len(c.m) == 0 {
		c.m = nil // a map keeps its buckets: let a storm's go
		return false
	}
	return true
}

func (c *conntrack) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// ctArm starts the network's conntrack sweeper if it is not running: it
// runs only while some interface tracks a flow.
func (n *Network) ctArm() {
	if n.ctArmed.CompareAndSwap(false, true) {
		n.clock.AfterFunc(ctTick, n.ctSweep)
	}
}

// ctSweep advances the conntrack epoch by one tick of lab time and forgets
// every expired entry.
func (n *Network) ctSweep() {
	epoch := n.ctEpoch.Add(1)
	left := n.ctSweepAll(epoch)
	n.mu.RLock()
	closed := n.closed
	n.mu.RUnlock()
	if closed {
		return
	}
	if left {
		n.clock.AfterFunc(ctTick, n.ctSweep)
		return
	}
	n.ctArmed.Store(false)
	// An entry tracked between the sweep and the store above armed
	// nothing: look again.
	if n.ctSweepAll(epoch) {
		n.ctArm()
	}
}

func (n *Network) ctSweepAll(epoch int64) bool {
	n.mu.RLock()
	hosts := n.hosts
	n.mu.RUnlock()
	left := false
	for _, h := range hosts {
		for _, e := range h.ENIs() {
			if e.ct.sweep(epoch) {
				left = true
			}
		}
	}
	return left
}
