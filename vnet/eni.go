package vnet

import (
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
	subnet      *Subnet // nil on the internet segment
	addr        netip.Prefix
	public      netip.Addr
	iface       *netstack.Interface
	intercept   atomic.Pointer[Interceptor]
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
// for packets it has already translated.
func (e *ENI) Forward(p *packet.Packet) { e.net.egress(e, p) }

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

func (s eniSink) Send(p *packet.Packet) { s.e.net.send(s.e, p) }

func (s eniSink) Malformed() { s.e.net.drops.add(s.e.id, DropMalformed, packet.Flow{}) }
