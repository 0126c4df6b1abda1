package vnet

import (
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
	// DropMalformed: a frame that is not a whole IPv4 packet.
	DropMalformed DropReason = "malformed"
	// DropDetached: the destination interface's host is closed.
	DropDetached DropReason = "detached"
)

// Drop is a count of packets dropped for one reason at one place.
type Drop struct {
	// Where is the resource at which the packet was dropped: an ENI id, a
	// route table id, or "internet" for the internet segment.
	Where  string
	Reason DropReason
	Count  uint64
}

// DropEvent describes one dropped packet, for live logs.
type DropEvent struct {
	Where  string
	Reason DropReason
	Flow   packet.Flow
}

type dropKey struct {
	where  string
	reason DropReason
}

type dropTable struct {
	mu       sync.Mutex
	counts   map[dropKey]uint64
	watchers []func(DropEvent)
}

func (t *dropTable) add(where string, reason DropReason, f packet.Flow) {
	t.mu.Lock()
	if t.counts == nil {
		t.counts = map[dropKey]uint64{}
	}
	t.counts[dropKey{where, reason}]++
	ws := t.watchers
	t.mu.Unlock()
	for _, w := range ws {
		w(DropEvent{Where: where, Reason: reason, Flow: f})
	}
}

func (t *dropTable) list(where string) []Drop {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Drop
	for k, n := range t.counts {
		if where == "" || k.where == where {
			out = append(out, Drop{Where: k.where, Reason: k.reason, Count: n})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Where != out[j].Where {
			return out[i].Where < out[j].Where
		}
		return out[i].Reason < out[j].Reason
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
	return n.drops.counts[dropKey{where, reason}]
}

// OnDrop registers f to be called for every drop, on the goroutine that sent
// the packet; f must not block.
func (n *Network) OnDrop(f func(DropEvent)) {
	n.drops.mu.Lock()
	n.drops.watchers = append(append([]func(DropEvent){}, n.drops.watchers...), f)
	n.drops.mu.Unlock()
}

// Drop counts p as dropped at where for reason and releases it. Extensions
// (the load balancer) use it so their drops show with the fabric's.
func (n *Network) Drop(where string, reason DropReason, p *packet.Packet) {
	n.drops.add(where, reason, p.Flow())
	p.Release()
}
