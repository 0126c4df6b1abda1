package vnet

import (
	"fmt"
	"net/netip"
	"sync/atomic"

	"github.com/vlab-sim/vlab/vnet/netstack"
	"github.com/vlab-sim/vlab/vnet/packet"
)

// ENI is an elastic network interface: a host's attachment to a subnet (or,
// for hosts on the internet, to the internet segment), with its private
// address and, optionally, a public IPv4 address that the VPC's internet
// gateway maps to it.
type ENI struct {
	net         *Network
	host        *Host
	id          string
	name        string // the interface name inside the host: eth0
	description string
	instanceID  string
	subnet      *Subnet // nil on the internet segment
	addr        netip.Prefix
	public      netip.Addr
	iface       *netstack.Interface
	intercept   atomic.Pointer[Interceptor]
	linkLocal   linkLocal

	// unfiltered ENIs (internet hosts, load balancer nodes without
	// security groups) skip security groups and connection tracking.
	unfiltered bool
	// noSrcDstCheck turns the source/destination check off (a NAT
	// instance's ENI).
	noSrcDstCheck atomic.Bool
	groups        atomic.Pointer[[]*SecurityGroup]
	ct            conntrack
	taps          taps
}

// ID returns the interface id (eni-…).
func (e *ENI) ID() string { return e.id }

// Name returns the interface's name inside its host (eth0).
func (e *ENI) Name() string { return e.name }

// Description returns the interface's description (an NLB node's is
// "ELB net/<name>/<id>", as in AWS).
func (e *ENI) Description() string { return e.description }

// Host returns the host the interface is attached to.
func (e *ENI) Host() *Host { return e.host }

// Subnet returns the interface's subnet, or nil on the internet segment.
func (e *ENI) Subnet() *Subnet { return e.subnet }

// PrivateAddr returns the interface's primary private IPv4 address (for
// internet hosts, their address on the internet segment).
func (e *ENI) PrivateAddr() netip.Addr { return e.addr.Addr() }

// Prefix returns the address with the subnet's prefix length.
func (e *ENI) Prefix() netip.Prefix { return e.addr }

// PublicAddr returns the public IPv4 address mapped to the interface, if
// any.
func (e *ENI) PublicAddr() (netip.Addr, bool) { return e.public, e.public.IsValid() }

// SetInterceptor installs f to see packets arriving at the interface before
// its host's stack does (nil removes it).
func (e *ENI) SetInterceptor(f Interceptor) {
	if f == nil {
		e.intercept.Store(nil)
		return
	}
	e.intercept.Store(&f)
}

// Forward sends p out of this interface as if its host had written it, but
// without consulting return-path hooks: the path a load balancer node uses
// for packets it has already translated. The interface's outbound rules
// apply, and the receiving interface knows this one forwarded p.
func (e *ENI) Forward(p *packet.Packet) { e.net.leave(e, p, e) }

// InstanceID returns the id of the instance the interface belongs to, if
// any.
func (e *ENI) InstanceID() string { return e.instanceID }

// Deliver queues p for the interface's stack as if it had arrived from the
// fabric, bypassing the interceptor: a load balancer node uses it for
// packets its own stack must see.
func (e *ENI) Deliver(p *packet.Packet) {
	if !e.iface.Link.Deliver(p) {
		e.net.Drop(e.id, DropDetached, p)
	}
}

// eniSink adapts an ENI to netstack.Sink without giving ENI exported Send
// methods that would bypass the path's rules.
type eniSink struct{ e *ENI }

func (s eniSink) Send(p *packet.Packet) {
	if s.e.host.down.Load() {
		// A stopped host writes nothing: the last packets of a stack
		// powered off mid-connection (a FIN, a RST) never leave it.
		s.e.net.DropWithDetail(s.e.id, DropDetached, p, fmt.Sprintf("%s of %s: its host is stopped", s.e.id, s.e.host.name))
		return
	}
	s.e.net.send(s.e, p)
}

func (s eniSink) Malformed() { s.e.net.recordDrop(DropEvent{Where: s.e.id, Reason: DropMalformed}) }

// SecurityGroups returns the groups attached to the interface.
func (e *ENI) SecurityGroups() []*SecurityGroup {
	if g := e.groups.Load(); g != nil {
		return append([]*SecurityGroup(nil), (*g)...)
	}
	return nil
}

// SetSecurityGroups replaces the interface's groups (at least one, as in
// AWS). Tracked flows continue.
func (e *ENI) SetSecurityGroups(gs []*SecurityGroup) error {
	if e.subnet == nil || e.unfiltered {
		return fmt.Errorf("%s: this interface takes no security groups", e.id)
	}
	if len(gs) == 0 {
		return fmt.Errorf("%s: an interface needs at least one security group", e.id)
	}
	// EC2 User Guide: up to five security groups per network interface.
	if len(gs) > 5 {
		return fmt.Errorf("%s: %d security groups: at most 5 per network interface", e.id, len(gs))
	}
	for _, g := range gs {
		if g.vpc != e.subnet.vpc {
			return fmt.Errorf("%s: security group %s (%s) belongs to another VPC", e.id, g.id, g.name)
		}
	}
	if old := e.groups.Load(); old != nil {
		for _, g := range *old {
			g.mu.Lock()
			delete(g.members, e)
			g.mu.Unlock()
		}
	}
	cp := append([]*SecurityGroup(nil), gs...)
	for _, g := range cp {
		g.mu.Lock()
		g.members[e] = true
		g.mu.Unlock()
	}
	e.groups.Store(&cp)
	return nil
}

// TrackedFlows returns how many flows the interface's connection tracking
// holds.
func (e *ENI) TrackedFlows() int { return e.ct.len() }

// SetSourceDestCheck turns the interface's source/destination check on
// (AWS's default) or off, as ModifyNetworkInterfaceAttribute's
// SourceDestCheck does for a NAT instance: with it on, a packet the host
// writes with a source that is not the interface's own address is dropped
// (EC2 User Guide, "Source/destination checking").
func (e *ENI) SetSourceDestCheck(on bool) { e.noSrcDstCheck.Store(!on) }

// SourceDestCheck reports whether the interface's source/destination check
// is on.
func (e *ENI) SourceDestCheck() bool { return !e.noSrcDstCheck.Load() }

// SetConnectionTracking sets the interface's idle connection-tracking
// timeouts, as ModifyNetworkInterfaceAttribute's
// ConnectionTrackingSpecification does; zero fields take AWS's defaults.
// Tracked flows take the new timeouts at their next packet.
func (e *ENI) SetConnectionTracking(c ConnectionTracking) error {
	if err := c.Check(); err != nil {
		return fmt.Errorf("%s: %w", e.id, err)
	}
	t := c.withDefaults()
	e.ct.spec.Store(&t)
	return nil
}

// ConnectionTracking returns the interface's idle connection-tracking
// timeouts.
func (e *ENI) ConnectionTracking() ConnectionTracking { return *e.ct.timeouts() }

// admit applies the interface's security groups to p, leaving the
// interface (outbound) or arriving (inbound); via is the ENI of a load
// balancer node that forwarded p. It returns nil when p may pass, or the
// drop that says why not.
func (e *ENI) admit(outbound bool, p *packet.Packet, via *ENI) *DropEvent {
	dir := "inbound"
	if outbound {
		dir = "outbound"
	}
	if e.unfiltered {
		if e.subnet != nil {
			if e.net.Tracing() {
				e.net.trace(p, TraceStep{Kind: StepSecurityGroup, Host: e.host.name, ENI: e.id, Rule: "no security group (" + dir + " unfiltered)"})
			}
		}
		return nil
	}
	if e.ct.seen(p) {
		if e.net.Tracing() {
			e.net.trace(p, TraceStep{Kind: StepSecurityGroup, Host: e.host.name, ENI: e.id, Rule: dir + ": a tracked flow (connection tracking)"})
		}
		return nil
	}
	gp := e.groups.Load()
	if gp == nil {
		return nil
	}
	gs := *gp
	for _, g := range gs {
		if r, ok := g.allows(outbound, p, via); ok {
			if e.net.Tracing() {
				e.net.trace(p, TraceStep{Kind: StepSecurityGroup, Host: e.host.name, ENI: e.id, Where: g.id + " (" + g.name + ")", Rule: dir + ": " + r.String()})
			}
			// AWS does not track a TCP or UDP flow whose rules are open to
			// 0.0.0.0/0 on all ports both ways, so removing such a rule cuts
			// it at once; flows through a load balancer are always tracked
			// (EC2 User Guide, "Untracked connections").
			if via != nil || !e.untracked(gs, p.Protocol()) {
				e.ct.track(p)
			}
			return nil
		}
	}
	var rule string
	if outbound {
		rule = fmt.Sprintf("no outbound rule allows %s to %s", p.Dst(), describeDst(p))
	} else {
		rule = fmt.Sprintf("no inbound rule allows %s to %s", p.Src(), describeDst(p))
	}
	names := groupNames(gs)
	return &DropEvent{Where: e.id, Reason: DropSecurityGroup, Resource: names, Rule: rule,
		Detail: fmt.Sprintf("dropped by security group %s at %s of %s: %s", names, e.id, e.host.name, rule)}
}

func (e *ENI) untracked(gs []*SecurityGroup, proto uint8) bool {
	if proto != packet.TCP && proto != packet.UDP {
		return false
	}
	in, out := false, false
	for _, g := range gs {
		in = in || g.openToAll(false, proto)
		out = out || g.openToAll(true, proto)
	}
	return in && out
}
