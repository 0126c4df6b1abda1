package vnet

import (
	"fmt"
	"net/netip"
	"sync"

	"github.com/vlab-sim/vlab/vnet/packet"
)

// DropNoTranslation: a packet reached a NAT gateway's public side with no
// connection of its own to belong to; a NAT gateway only lets replies in
// (VPC User Guide, "NAT gateways").
const DropNoTranslation DropReason = "no-translation"

// NATGateway is a public NAT gateway: instances in private subnets whose
// route table sends 0.0.0.0/0 to it reach the internet with its public
// address as their source; nothing on the internet can open a connection
// to them through it. It has its own ENI in a public subnet, whose private
// address the internet gateway maps to its public one.
type NATGateway struct {
	vpc  *VPC
	id   string
	name string
	eni  *ENI

	mu       sync.Mutex
	out      map[natKey]uint16 // inside flow -> allocated port
	back     map[natBack]netip.AddrPort
	nextPort uint16
}

// natKey is an inside connection: protocol, inside source, remote.
type natKey struct {
	proto  uint8
	inside netip.AddrPort
	remote netip.AddrPort
}

// natBack finds the inside source of a reply: protocol, the gateway's port,
// remote.
type natBack struct {
	proto  uint8
	port   uint16
	remote netip.AddrPort
}

// AddNATGateway creates a NAT gateway in subnet s (a public one) with its
// private address and the public IPv4 address (an Elastic IP) the internet
// gateway maps to it.
func (v *VPC) AddNATGateway(name string, s *Subnet, private, public netip.Addr) (*NATGateway, error) {
	if s.vpc != v {
		return nil, fmt.Errorf("NAT gateway %s: subnet %s is in another VPC", name, s.name)
	}
	if !public.IsValid() {
		return nil, fmt.Errorf("NAT gateway %s: a public NAT gateway needs an Elastic IP address", name)
	}
	h, err := v.net.NewHost(name)
	if err != nil {
		return nil, fmt.Errorf("NAT gateway: %w", err)
	}
	g := &NATGateway{vpc: v, id: v.net.ids.Next("nat"), name: name, out: map[natKey]uint16{}, back: map[natBack]netip.AddrPort{}, nextPort: 1024}
	// NAT gateways take no security groups (VPC User Guide, "NAT gateway
	// basics"); their subnet's network ACL applies.
	g.eni, err = h.AttachSubnet(s, private, ENIOptions{PublicIP: public, Unfiltered: true, Description: "Interface for NAT Gateway " + g.id})
	if err != nil {
		return nil, fmt.Errorf("NAT gateway %s: %w", name, err)
	}
	g.eni.SetInterceptor(g.intercept)
	return g, nil
}

// ID returns the gateway id (nat-…).
func (g *NATGateway) ID() string { return g.id }

// TargetID implements RouteTarget.
func (g *NATGateway) TargetID() string { return g.id }

// Name returns the gateway's name (its host's name).
func (g *NATGateway) Name() string { return g.name }

// ENI returns the gateway's network interface.
func (g *NATGateway) ENI() *ENI { return g.eni }

// PublicAddr returns the gateway's public address.
func (g *NATGateway) PublicAddr() netip.Addr { return g.eni.public }

// PrivateAddr returns the gateway's private address.
func (g *NATGateway) PrivateAddr() netip.Addr { return g.eni.addr.Addr() }

// intercept translates what reaches the gateway's interface: inside
// traffic on its way out (destination elsewhere), and replies coming back
// (destination the gateway's own address).
func (g *NATGateway) intercept(p *packet.Packet) bool {
	f := p.Flow()
	if f.Proto != packet.TCP && f.Proto != packet.UDP {
		g.vpc.net.DropWithDetail(g.eni.id, DropNoTranslation, p, fmt.Sprintf("NAT gateway %s translates TCP and UDP only", g.id))
		return true
	}
	self := g.eni.addr.Addr()
	if f.Dst.Addr() != self {
		port, err := g.allocate(natKey{f.Proto, f.Src, f.Dst})
		if err != nil {
			g.vpc.net.DropWithDetail(g.eni.id, DropNoTranslation, p, err.Error())
			return true
		}
		p.SetSrc(netip.AddrPortFrom(self, port))
		g.eni.Forward(p)
		return true
	}
	g.mu.Lock()
	inside, ok := g.back[natBack{f.Proto, f.Dst.Port(), f.Src}]
	g.mu.Unlock()
	if !ok {
		g.vpc.net.DropWithDetail(g.eni.id, DropNoTranslation, p, fmt.Sprintf("NAT gateway %s has no connection for %s: it lets only replies in", g.id, f))
		return true
	}
	p.SetDst(inside)
	g.eni.Forward(p)
	return true
}

func (g *NATGateway) allocate(k natKey) (uint16, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p, ok := g.out[k]; ok {
		return p, nil
	}
	for i := 0; i < 64512; i++ {
		p := g.nextPort
		g.nextPort++
		if g.nextPort == 0 {
			g.nextPort = 1024
		}
		b := natBack{k.proto, p, k.remote}
		if _, used := g.back[b]; !used {
			g.out[k], g.back[b] = p, k.inside
			return p, nil
		}
	}
	// VPC User Guide: a NAT gateway supports 55,000 simultaneous
	// connections to each unique destination; the lab's limit is its ports.
	return 0, fmt.Errorf("NAT gateway %s: no port left for connections to %s (ErrorPortAllocation)", g.id, k.remote)
}
