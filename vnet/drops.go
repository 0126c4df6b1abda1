package vnet

import (
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/vlab-sim/vlab/vnet/packet"
	"github.com/vlab-sim/vlab/vnet/wire"
)

// DropReason says why the fabric dropped a packet.
type DropReason string

// Reasons a packet is dropped. Every drop is counted; none is silent.
const (
	// DropNoRoute: the route table of the sender's subnet (or the internet
	// segment) has no route for the destination.
	DropNoRoute DropReason = "no-route"
	// DropNoInterface: a route matched (local, say) but no interface has
	// the destination address.
	DropNoInterface DropReason = "no-interface"
	// DropNoPublicIP: a packet left through an internet gateway from an
	// interface with no public IPv4 address; the gateway cannot translate
	// it (VPC User Guide, "Internet gateways").
	DropNoPublicIP DropReason = "no-public-ip"
	// DropNoListener: a packet reached a load balancer node on a port with
	// no listener; NLBs drop these silently.
	DropNoListener DropReason = "no-listener"
	// DropNoTarget: a load balancer had no target to send a new flow to.
	DropNoTarget DropReason = "no-target"
	// DropSecurityGroup: no rule of the ENI's security groups admits the
	// packet, and it belongs to no tracked flow.
	DropSecurityGroup DropReason = "security-group"
	// DropNetworkACL: the subnet's network ACL denies the packet.
	DropNetworkACL DropReason = "network-acl"
	// DropMartian: a packet arrived with the receiving interface's own
	// address as its source.
	DropMartian DropReason = "martian"
	// DropMalformed: a frame that is not a whole IPv4 packet.
	DropMalformed DropReason = "malformed"
	// DropDetached: the destination interface's host is closed or
	// powered off (Host.SetDown).
	DropDetached DropReason = "detached"
	// DropSourceCheck: a host wrote a packet whose source is not its
	// interface's address, and the interface's source/destination check
	// is on (EC2 User Guide, "Source/destination checking").
	DropSourceCheck DropReason = "source-dest-check"
	// DropSpoofedSource: a packet from the internet with a private, VPC or
	// special-purpose source address reached an internet gateway. An
	// assumption: AWS documents no figure, but the internet does not carry
	// such packets.
	DropSpoofedSource DropReason = "spoofed-source"
)

// DropEvent is one dropped packet: the one record of a drop that every
// consumer reads (the counters, live logs, the errors of a dial the fabric
// refused, explanations).
type DropEvent struct {
	// At is the lab time of the drop.
	At time.Time
	// Where is the place the packet was dropped: an ENI id, a subnet id
	// (network ACLs), a route table id, a gateway id, or "internet".
	Where  string
	Reason DropReason
	// Resource is what decided, when it is not the place itself: the
	// security groups ("sg-… (ssh-target)"), the network ACL, the NAT
	// gateway, the load balancer's target group.
	Resource string
	// Rule is the rule at fault, in words: "no inbound rule allows
	// 203.0.113.10 to TCP 22", "rule 100 denies"; empty when no rule is
	// involved (no route, no listener).
	Rule string
	// Flow is the packet's 5-tuple as it was at the place (the zero Flow
	// for a malformed frame).
	Flow packet.Flow
	// Detail says why in one sentence a user searches for.
	Detail string
}

func (e DropEvent) String() string {
	s := fmt.Sprintf("dropped at %s (%s): %s", e.Where, e.Reason, e.Flow)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Drop counts the packets dropped for one reason at one place.
type Drop struct {
	Where  string
	Reason DropReason
	Count  uint64
	// Last is the most recent of them.
	Last DropEvent
}

func (d Drop) String() string {
	s := fmt.Sprintf("%s at %s: %d packets, the last %s", d.Reason, d.Where, d.Count, d.Last.Flow)
	if d.Last.Detail != "" {
		s += ": " + d.Last.Detail
	}
	return s
}

// RecentDrops is how many drop events the network keeps as examples,
// whatever the traffic: counts are kept by place and reason, so that a
// storm of distinct flows (2 M random frames) costs no memory.
const RecentDrops = 1024

type placeReason struct {
	where  string
	reason DropReason
}

// FlowOrigin is implemented by return-path hooks that rewrite flows (a load
// balancer node): it names the client end of the connection a packet of
// flow f belongs to, so a drop past the rewrite reaches the watcher of the
// client's own connection.
type FlowOrigin interface {
	Origin(f packet.Flow) (client netip.AddrPort, ok bool)
}

type dropTable struct {
	mu     sync.Mutex
	counts map[placeReason]*Drop
	ring   [RecentDrops]DropEvent
	next   uint64 // events ever recorded; ring[next%RecentDrops] is the oldest
	// watchers see every drop; flowWatchers the drops of one connection,
	// by the client end's address and port.
	watchers     []*func(DropEvent)
	flowWatchers map[netip.AddrPort][]*func(DropEvent)
}

func (n *Network) recordDrop(e DropEvent) { n.recordDropFlags(e, 0) }

// recordDropFlags records e, a drop of a packet with TCP flags flags.
func (n *Network) recordDropFlags(e DropEvent, flags wire.TCPFlags) {
	e.At = n.clock.Now()
	if n.tracing.Load() != 0 {
		ev := e
		n.traceFlow(TraceStep{Kind: StepDrop, Flow: e.Flow, Flags: flags, Where: e.Where, Rule: e.Rule, Drop: &ev})
	}
	t := &n.drops
	t.mu.Lock()
	if t.counts == nil {
		t.counts = map[placeReason]*Drop{}
	}
	k := placeReason{e.Where, e.Reason}
	d := t.counts[k]
	if d == nil {
		d = &Drop{Where: e.Where, Reason: e.Reason}
		t.counts[k] = d
	}
	d.Count++
	d.Last = e
	t.ring[t.next%RecentDrops] = e
	t.next++
	ws := t.watchers
	var fws []*func(DropEvent)
	anyFlow := len(t.flowWatchers) > 0
	if anyFlow {
		fws = append(fws, t.flowWatchers[e.Flow.Src]...)
		fws = append(fws, t.flowWatchers[e.Flow.Dst]...)
	}
	t.mu.Unlock()
	if anyFlow && len(fws) == 0 {
		fws = n.originWatchers(e.Flow)
	}
	for _, w := range ws {
		(*w)(e)
	}
	for _, w := range fws {
		(*w)(e)
	}
}

// originWatchers finds the watchers of the client connection a rewritten
// flow belongs to.
func (n *Network) originWatchers(f packet.Flow) []*func(DropEvent) {
	c := n.originOf(f)
	if !c.IsValid() {
		return nil
	}
	n.drops.mu.Lock()
	defer n.drops.mu.Unlock()
	return append([]*func(DropEvent){}, n.drops.flowWatchers[c]...)
}

// Drops returns the drop counters of the network by place and reason,
// sorted.
func (n *Network) Drops() []Drop { return n.dropsWhere("") }

// DropsAt returns the drop counters of one place (an ENI or route table id,
// or "internet").
func (n *Network) DropsAt(where string) []Drop { return n.dropsWhere(where) }

func (n *Network) dropsWhere(where string) []Drop {
	t := &n.drops
	t.mu.Lock()
	var out []Drop
	for k, d := range t.counts {
		if where == "" || k.where == where {
			out = append(out, *d)
		}
	}
	t.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Where != out[j].Where {
			return out[i].Where < out[j].Where
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

// RecentDropEvents returns the last RecentDrops drop events, oldest first.
// A storm of other drops overwrites them: to learn of one connection's
// drops, watch it (WatchConnection).
func (n *Network) RecentDropEvents() []DropEvent {
	t := &n.drops
	t.mu.Lock()
	defer t.mu.Unlock()
	start := uint64(0)
	if t.next > RecentDrops {
		start = t.next - RecentDrops
	}
	out := make([]DropEvent, 0, t.next-start)
	for i := start; i < t.next; i++ {
		out = append(out, t.ring[i%RecentDrops])
	}
	return out
}

// DropCount returns how many packets were dropped at where for reason.
func (n *Network) DropCount(where string, reason DropReason) uint64 {
	n.drops.mu.Lock()
	defer n.drops.mu.Unlock()
	if d := n.drops.counts[placeReason{where, reason}]; d != nil {
		return d.Count
	}
	return 0
}

// OnDrop registers f to be called for every drop, on the goroutine that sent
// the packet; f must not block. The returned function unregisters f.
func (n *Network) OnDrop(f func(DropEvent)) (stop func()) {
	w := &f
	n.drops.mu.Lock()
	n.drops.watchers = append(append([]*func(DropEvent){}, n.drops.watchers...), w)
	n.drops.mu.Unlock()
	return func() {
		n.drops.mu.Lock()
		defer n.drops.mu.Unlock()
		n.drops.watchers = without(n.drops.watchers, w)
	}
}

// WatchConnection registers f to be called for every drop of a packet of
// the connection whose client end is client (an address and port): its
// own packets and the replies, and, past a load balancer that rewrote
// them, its packets on the target's side. f runs on the goroutine that
// sent the packet and must not block. The returned function unregisters f.
func (n *Network) WatchConnection(client netip.AddrPort, f func(DropEvent)) (stop func()) {
	w := &f
	n.drops.mu.Lock()
	if n.drops.flowWatchers == nil {
		n.drops.flowWatchers = map[netip.AddrPort][]*func(DropEvent){}
	}
	n.drops.flowWatchers[client] = append(n.drops.flowWatchers[client], w)
	n.drops.mu.Unlock()
	return func() {
		n.drops.mu.Lock()
		defer n.drops.mu.Unlock()
		ws := without(n.drops.flowWatchers[client], w)
		if len(ws) == 0 {
			delete(n.drops.flowWatchers, client)
		} else {
			n.drops.flowWatchers[client] = ws
		}
	}
}

func without(ws []*func(DropEvent), w *func(DropEvent)) []*func(DropEvent) {
	for i, o := range ws {
		if o == w {
			return append(append([]*func(DropEvent){}, ws[:i]...), ws[i+1:]...)
		}
	}
	return ws
}

// ProtocolName names an IP protocol as flow tuples print it (tcp, udp…).
func ProtocolName(p uint8) string { return packet.ProtoName(p) }

// Drop counts p as dropped at where for reason and releases it. Extensions
// (the load balancer) use it so their drops show with the fabric's.
func (n *Network) Drop(where string, reason DropReason, p *packet.Packet) {
	n.DropPacket(DropEvent{Where: where, Reason: reason}, p)
}

// DropWithDetail is Drop with words that say why.
func (n *Network) DropWithDetail(where string, reason DropReason, p *packet.Packet, detail string) {
	n.DropPacket(DropEvent{Where: where, Reason: reason, Detail: detail}, p)
}

// DropPacket records e for p (its Flow and At filled in) and releases p.
func (n *Network) DropPacket(e DropEvent, p *packet.Packet) {
	e.Flow = p.Flow()
	n.recordDropFlags(e, p.TCPFlags())
	p.Release()
}
