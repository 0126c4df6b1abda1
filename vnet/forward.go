package vnet

import (
	"fmt"
	"net/netip"

	"github.com/vlab-sim/vlab/vnet/limits"
	"github.com/vlab-sim/vlab/vnet/packet"
)

// internetWhere names the internet segment in drop counters.
const internetWhere = "internet"

// send is the path of every packet a host writes (ARCHITECTURE.md, "One packet's
// way"): the sender's outbound security-group rules, the return-path hooks,
// then the route. It runs on the writer's goroutine up to the destination's
// queue and never holds n.mu while delivering.
func (n *Network) send(from *ENI, p *packet.Packet) { n.leave(from, p, nil) }

// leave is the one prologue of a packet leaving an interface, whether its
// host's stack wrote it (send) or a node or gateway forwarded it (via, the
// forwarding ENI, ENI.Forward): the capture, the interface's outbound
// rules, then, for what a stack wrote, the return-path hooks, then the
// route.
func (n *Network) leave(from *ENI, p *packet.Packet, via *ENI) {
	// The host's capture sees what it sent, whatever happens next.
	from.tap(Out, p)
	if via == nil && from.toLinkLocal(p) {
		return // the instance metadata service, below the VPC
	}
	by := "sent by "
	if via != nil {
		by = "forwarded by "
	}
	if n.Tracing() {
		n.trace(p, TraceStep{Kind: StepSend, Host: from.host.name, ENI: from.id, Rule: by + from.host.name})
	}
	if from.subnet == nil {
		n.trace(p, TraceStep{Kind: StepRoute, Where: internetWhere, Rule: "one segment: every internet address is reachable"})
		n.internetDeliver(p)
		return
	}
	if via == nil && p.Src() != from.addr.Addr() && from.SourceDestCheck() {
		n.DropPacket(DropEvent{Where: from.id, Reason: DropSourceCheck, Resource: from.id,
			Detail: fmt.Sprintf("%s of %s wrote a packet from %s, not its own address %s, and its source/destination check is on", from.id, from.host.name, p.Src(), from.addr.Addr())}, p)
		return
	}
	if d := from.admit(true, p, nil); d != nil {
		n.verdict(from, true, false, p)
		n.DropPacket(*d, p)
		return
	}
	n.verdict(from, true, true, p)
	if via == nil {
		n.mu.RLock()
		hooks := n.hooks
		n.mu.RUnlock()
		for _, h := range hooks {
			to := h.ReturnPath(from, p)
			if to == nil {
				continue
			}
			// Carried to the node that owns the flow, the packet still
			// crosses the subnets' ACLs and is delivered as any other.
			if n.Tracing() {
				n.trace(p, TraceStep{Kind: StepReturnPath, Where: hookName(h), Rule: "taken to " + to.host.name + " (" + to.id + ") before any route lookup"})
			}
			if n.crossACL(from, to, p) {
				n.arrive(to, p, nil)
			}
			return
		}
	}
	n.egress(from, p, via)
}

// egress routes p as leaving from: by its subnet's route table in a VPC, or
// across the internet segment. via is the load balancer node ENI that
// forwarded p, if any.
func (n *Network) egress(from *ENI, p *packet.Packet, via *ENI) {
	dst := p.Dst()
	n.mu.RLock()
	rt := from.subnet.table
	r, ok := rt.lookupLocked(dst)
	if !ok {
		n.mu.RUnlock()
		n.DropWithDetail(rt.id, DropNoRoute, p, fmt.Sprintf("route table %s (%s) of subnet %s has no route to %s", rt.id, rt.name, from.subnet.name, dst))
		return
	}
	if n.Tracing() {
		n.trace(p, TraceStep{Kind: StepRoute, Where: rt.id + " (" + rt.name + ")", Rule: r.Destination.String() + " -> " + r.Target.TargetID()})
	}
	switch t := r.Target.(type) {
	case localTarget:
		to := from.subnet.vpc.byAddr[dst]
		n.mu.RUnlock()
		if to == nil {
			n.DropWithDetail(rt.id, DropNoInterface, p, fmt.Sprintf("no interface has address %s", dst))
			return
		}
		if !n.crossACL(from, to, p) {
			return
		}
		n.arrive(to, p, via)
	case *InternetGateway:
		// The gateway maps the packet's source, whichever interface it came
		// from, to that address's public IPv4 address.
		owner := t.vpc.byAddr[p.Src()]
		n.mu.RUnlock()
		if !n.crossACL(from, nil, p) {
			return
		}
		if owner == nil || !owner.public.IsValid() {
			n.DropWithDetail(t.id, DropNoPublicIP, p, fmt.Sprintf("%s has no public IPv4 address for internet gateway %s to map", p.Src(), t.id))
			return
		}
		before := p.Flow()
		p.SetSrcAddr(owner.public)
		n.traceGateway(t.id, before, p)
		n.internetDeliver(p)
	case *NATGateway:
		n.mu.RUnlock()
		if !n.crossACL(from, t.eni, p) {
			return
		}
		n.arrive(t.eni, p, nil)
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
		why := n.spoofedLocked(p.Src())
		n.mu.RUnlock()
		if igw == nil {
			n.DropWithDetail(internetWhere, DropNoRoute, p, fmt.Sprintf("%s belongs to a VPC with no internet gateway", dst))
			return
		}
		if why != "" {
			n.DropPacket(DropEvent{Where: igw.id, Reason: DropSpoofedSource, Resource: igw.id,
				Detail: fmt.Sprintf("internet gateway %s dropped a packet from the internet with source %s: %s", igw.id, p.Src(), why)}, p)
			return
		}
		before := p.Flow()
		p.SetDstAddr(e.addr.Addr())
		n.traceGateway(igw.id, before, p)
		if !n.crossACL(nil, e, p) {
			return
		}
		n.arrive(e, p, nil)
		return
	}
	e := n.internet[dst]
	n.mu.RUnlock()
	if e == nil {
		n.DropWithDetail(internetWhere, DropNoRoute, p, fmt.Sprintf("no host on the internet has address %s", dst))
		return
	}
	n.arrive(e, p, nil)
}

// crossACL applies the network ACLs of a packet leaving from's subnet and
// entering to's (nil for outside the VPC); traffic inside one subnet meets
// none. A denied packet is a REJECT in the flow log of the interface on the
// side of the ACL that denied it.
func (n *Network) crossACL(from, to *ENI, p *packet.Packet) bool {
	var fs, ts *Subnet
	if from != nil {
		fs = from.subnet
	}
	if to != nil {
		ts = to.subnet
	}
	if fs == ts {
		return true
	}
	if fs != nil && !n.aclAllows(fs, true, p, from) {
		return false
	}
	if ts != nil && !n.aclAllows(ts, false, p, to) {
		return false
	}
	return true
}

func (n *Network) aclAllows(s *Subnet, egress bool, p *packet.Packet, at *ENI) bool {
	n.mu.RLock()
	acl := s.acl
	n.mu.RUnlock()
	ok, rule := acl.evaluate(egress, p)
	if ok {
		if n.tracing.Load() != 0 {
			dir := "inbound"
			if egress {
				dir = "outbound"
			}
			words := dir + " rule *"
			if rule != nil {
				words = dir + " rule " + rule.String()
			}
			n.trace(p, TraceStep{Kind: StepNetworkACL, Where: acl.id + " (" + acl.name + ") of " + s.name, Rule: words})
		}
		return true
	}
	dir, peer := "inbound", p.Src().String()
	if egress {
		dir, peer = "outbound", p.Dst().String()
	}
	by := "no rule matches (rule *: deny)"
	if rule != nil {
		by = fmt.Sprintf("rule %d denies", rule.Number)
	}
	n.verdict(at, egress, false, p)
	words := fmt.Sprintf("%s %s %s to %s", dir, by, peer, describeDst(p))
	n.DropPacket(DropEvent{Where: s.id, Reason: DropNetworkACL, Resource: fmt.Sprintf("%s (%s)", acl.id, acl.name), Rule: words,
		Detail: fmt.Sprintf("dropped by network ACL %s (%s) of subnet %s: %s", acl.id, acl.name, s.name, words)}, p)
	return false
}

// admitIn applies to's inbound security-group rules.
func (n *Network) admitIn(to *ENI, p *packet.Packet, via *ENI) bool {
	if to.subnet == nil {
		return true
	}
	if d := to.admit(false, p, via); d != nil {
		n.verdict(to, false, false, p)
		n.DropPacket(*d, p)
		return false
	}
	n.verdict(to, false, true, p)
	return true
}

// arrive hands p to the interface to: its security groups, its interceptor,
// then its host's stack.
func (n *Network) arrive(to *ENI, p *packet.Packet, via *ENI) {
	if via != nil && p.Src() == to.addr.Addr() {
		// A packet forwarded to the interface carrying its own address as
		// source is a martian, and the instance's OS drops it: the hairpin
		// case of an NLB with client IP preservation sending a target its
		// own connection (ELB User Guide, "Troubleshoot your Network Load
		// Balancer").
		n.DropWithDetail(to.id, DropMartian, p, fmt.Sprintf("%s of %s received a packet with its own address %s as source (a martian: the hairpin of client IP preservation)", to.id, to.host.name, p.Src()))
		return
	}
	if to.host.down.Load() {
		n.DropWithDetail(to.id, DropDetached, p, fmt.Sprintf("%s of %s: its host is stopped and its stack answers nothing", to.id, to.host.name))
		return
	}
	if !n.admitIn(to, p, via) {
		return
	}
	to.tap(In, p)
	if ic := to.intercept.Load(); ic != nil {
		n.trace(p, TraceStep{Kind: StepIntercept, Host: to.host.name, ENI: to.id})
		if (*ic)(p) {
			return
		}
	}
	n.trace(p, TraceStep{Kind: StepDeliver, Host: to.host.name, ENI: to.id})
	to.Deliver(p)
}

// traceGateway records an internet gateway's 1:1 mapping of p.
func (n *Network) traceGateway(id string, before packet.Flow, p *packet.Packet) {
	if n.tracing.Load() == 0 {
		return
	}
	n.traceFlow(TraceStep{Kind: StepGateway, Flow: before, Flags: p.TCPFlags(), After: p.Flow(), Where: id, Rule: "1:1 mapping"})
}

// hookName names a return-path hook in traces.
func hookName(h ReturnPathHook) string {
	if s, ok := h.(interface{ Name() string }); ok {
		return s.Name()
	}
	return fmt.Sprintf("%T", h)
}

// bogons are source addresses no packet from the internet carries: private
// and shared ranges, "this network", loopback, link-local, multicast and
// reserved (RFC 6890).
var bogons = append([]netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
}, limits.PrivateRanges...)

// spoofedLocked says why src cannot be a source on the internet, or "";
// n.mu is held.
func (n *Network) spoofedLocked(src netip.Addr) string {
	for _, b := range bogons {
		if b.Contains(src) {
			return fmt.Sprintf("%s is a private or special-purpose address (%s)", src, b)
		}
	}
	for _, v := range n.vpcs {
		if v.cidr.Contains(src) {
			return fmt.Sprintf("%s is an address of VPC %s (%s)", src, v.name, v.cidr)
		}
	}
	return ""
}
