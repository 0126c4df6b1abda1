package vnet

import (
	"github.com/vlab-sim/vlab/vnet/packet"
)

// internetWhere names the internet segment in drop counters.
const internetWhere = "internet"

// send is the path of every packet a host writes (DESIGN.md, "One packet's
// way"). It runs on the writer's goroutine up to the destination's queue and
// never holds n.mu while delivering.
func (n *Network) send(from *ENI, p *packet.Packet) {
	if from.subnet != nil {
		n.mu.RLock()
		hooks := n.hooks
		n.mu.RUnlock()
		for _, h := range hooks {
			if h.ReturnPath(from, p) {
				return
			}
		}
	}
	n.egress(from, p)
}

// egress routes p as leaving from: by its subnet's route table in a VPC, or
// across the internet segment.
func (n *Network) egress(from *ENI, p *packet.Packet) {
	if from.subnet == nil {
		n.internetDeliver(p)
		return
	}
	dst := p.Dst()
	n.mu.RLock()
	rt := from.subnet.table
	r, ok := rt.lookupLocked(dst)
	if !ok {
		n.mu.RUnlock()
		n.Drop(rt.id, DropNoRoute, p)
		return
	}
	switch t := r.Target.(type) {
	case localTarget:
		to := from.subnet.vpc.byAddr[dst]
		n.mu.RUnlock()
		if to == nil {
			n.Drop(rt.id, DropNoInterface, p)
			return
		}
		n.deliver(to, p)
	case *InternetGateway:
		// The gateway maps the packet's source, whichever interface it came
		// from, to that address's public IPv4 address.
		owner := t.vpc.byAddr[p.Src()]
		n.mu.RUnlock()
		if owner == nil || !owner.public.IsValid() {
			n.Drop(t.id, DropNoPublicIP, p)
			return
		}
		p.SetSrcAddr(owner.public)
		n.internetDeliver(p)
	default:
		n.mu.RUnlock()
		n.Drop(rt.id, DropNoRoute, p)
	}
}

// internetDeliver carries p across the internet segment: to an internet
// host, or through an internet gateway to the interface that owns the public
// destination address.
func (n *Network) internetDeliver(p *packet.Packet) {
	dst := p.Dst()
	n.mu.RLock()
	if e := n.public[dst]; e != nil {
		igw := e.subnet.vpc.igw
		n.mu.RUnlock()
		if igw == nil {
			n.Drop(internetWhere, DropNoRoute, p)
			return
		}
		p.SetDstAddr(e.addr.Addr())
		n.deliver(e, p)
		return
	}
	e := n.internet[dst]
	n.mu.RUnlock()
	if e == nil {
		n.Drop(internetWhere, DropNoRoute, p)
		return
	}
	n.deliver(e, p)
}

// deliver hands p to the interface to: its interceptor first, then its
// host's stack.
func (n *Network) deliver(to *ENI, p *packet.Packet) {
	if ic := to.intercept.Load(); ic != nil && (*ic)(p) {
		return
	}
	to.Deliver(p)
}
