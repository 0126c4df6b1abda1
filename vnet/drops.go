package vnet

import (
	"fmt"
	"net/netip"
	"sort"
	"sync"

	"github.com/vlab-sim/vlab/vnet/packet"
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
	// DropDetached: the destination interface's host is closed.
	DropDetached DropReason = "detached"
)

// Drop counts the packets dropped for one reason at one place between one
// source and one destination address and port (source ports, which change
// with every connection, are not told apart).
type Drop struct {
	// Where is the resource at which the packets were dropped: an ENI id,
	// a subnet id (network ACLs), a route table id, a gateway id, or
	// "internet" for the internet segment.
	Where  string
	Reason DropReason
	Proto  uint8
	Src    netip.Addr
	Dst    netip.AddrPort
	Count  uint64
	// Detail says why, in words a user searches for (the last drop's).
	Detail string
}

func (d Drop) String() string {
	s := fmt.Sprintf("%s at %s: %s %s > %s (%d packets)", d.Reason, d.Where, packet.ProtoName(d.Proto), d.Src, d.Dst, d.Count)
	if d.Detail != "" {
		s += ": " + d.Detail
	}
	return s
}

// DropEvent describes one dropped packet, for live logs.
type DropEvent struct {
	Where  string
	Reason DropReason
	Flow   packet.Flow
	Detail string
}

func (e DropEvent) String() string {
	s := fmt.Sprintf("dropped at %s (%s): %s", e.Where, e.Reason, e.Flow)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

type dropKey struct {
	where  string
	reason DropReason
	proto  uint8
	src    netip.Addr
	dst    netip.AddrPort
}

type dropCount struct {
	n      uint64
	detail string
}

type dropTable struct {
	mu       sync.Mutex
	counts   map[dropKey]*dropCount
	watchers []*func(DropEvent)
}

func (t *dropTable) add(where string, reason DropReason, f packet.Flow, detail string) {
	k := dropKey{where, reason, f.Proto, f.Src.Addr(), f.Dst}
	t.mu.Lock()
	if t.counts == nil {
		t.counts = map[dropKey]*dropCount{}
	}
	c := t.counts[k]
	if c == nil {
		c = &dropCount{}
		t.counts[k] = c
	}
	c.n++
	c.detail = detail
	ws := t.watchers
	t.mu.Unlock()
	for _, w := range ws {
		(*w)(DropEvent{Where: where, Reason: reason, Flow: f, Detail: detail})
	}
}

func (t *dropTable) list(where string) []Drop {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Drop
	for k, c := range t.counts {
		if where == "" || k.where == where {
			out = append(out, Drop{Where: k.where, Reason: k.reason, Proto: k.proto, Src: k.src, Dst: k.dst, Count: c.n, Detail: c.detail})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Where != b.Where {
			return a.Where < b.Where
		}
		if a.Reason != b.Reason {
			return a.Reason < b.Reason
		}
		if c := a.Src.Compare(b.Src); c != 0 {
			return c < 0
		}
		return a.Dst.Compare(b.Dst) < 0
	})
	return out
}

// Drops returns every drop counter of the network, sorted by place and
// reason.
func (n *Network) Drops() []Drop { return n.drops.list("") }

// DropsAt returns the drop counters of one place (an ENI or route table id,
// or "internet").
func (n *Network) DropsAt(where string) []Drop { return n.drops.list(where) }

// DropCount returns how many packets were dropped at where for reason.
func (n *Network) DropCount(where string, reason DropReason) uint64 {
	n.drops.mu.Lock()
	defer n.drops.mu.Unlock()
	var sum uint64
	for k, c := range n.drops.counts {
		if k.where == where && k.reason == reason {
			sum += c.n
		}
	}
	return sum
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
		for i, o := range n.drops.watchers {
			if o == w {
				n.drops.watchers = append(append([]*func(DropEvent){}, n.drops.watchers[:i]...), n.drops.watchers[i+1:]...)
				return
			}
		}
	}
}

// ProtocolName names an IP protocol as flow tuples print it (tcp, udp…).
func ProtocolName(p uint8) string { return packet.ProtoName(p) }

// Drop counts p as dropped at where for reason and releases it. Extensions
// (the load balancer) use it so their drops show with the fabric's.
func (n *Network) Drop(where string, reason DropReason, p *packet.Packet) {
	n.DropWithDetail(where, reason, p, "")
}

// DropWithDetail is Drop with words that say why.
func (n *Network) DropWithDetail(where string, reason DropReason, p *packet.Packet, detail string) {
	n.drops.add(where, reason, p.Flow(), detail)
	p.Release()
}
