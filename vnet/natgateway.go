package vnet

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"sync"
	"time"

	"github.com/vlab-sim/vlab/vnet/packet"
	"github.com/vlab-sim/vlab/vnet/wire"
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

	mu                  sync.Mutex
	out                 map[wire.Flow]*natConn // inside flow -> its translation
	back                map[wire.Flow]*natConn // reply at the gateway -> the same
	portStart, portTurn uint32
	epoch               int64 // lab seconds counted by sweep while connections exist
	armed               bool  // sweep is scheduled
	resets              uint64
}

// natConn is one translated connection.
type natConn struct {
	key     wire.Flow // the inside flow
	port    uint16
	touched int64 // g.epoch at its last packet
}

// NATIdleTimeout is how long a NAT gateway keeps an idle connection: it
// then forgets it, and answers a resource behind it that continues it with
// an RST (VPC User Guide, "NAT gateways": 350 seconds).
const NATIdleTimeout = 350 * time.Second

// A NAT gateway's ports: 1024-65535, visited by a stride prime to their
// count.
const (
	natPorts  = 64512
	natStride = 7919
)

// natTick is the lab-time step of the idle sweep.
const natTick = time.Second

// The gateway's tables are keyed by wire.Flow: out by the inside
// connection (inside source -> remote), back by its replies as they reach
// the gateway (remote -> the gateway's private address and port).

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
	g := &NATGateway{vpc: v, id: v.net.ids.Next("nat"), name: name, out: map[wire.Flow]*natConn{}, back: map[wire.Flow]*natConn{}}
	// NAT gateways take no security groups (VPC User Guide, "NAT gateway
	// basics"); their subnet's network ACL applies.
	g.eni, err = h.AttachSubnet(s, private, ENIOptions{PublicIP: public, Unfiltered: true, Description: "Interface for NAT Gateway " + g.id})
	if err != nil {
		return nil, fmt.Errorf("NAT gateway %s: %w", name, err)
	}
	h32 := fnv.New32a()
	h32.Write([]byte(g.id))
	g.portStart = h32.Sum32() % natPorts
	g.eni.SetInterceptor(g.intercept)
	v.net.addOrigin(g)
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
	if f.Proto == packet.ICMP {
		return g.interceptEcho(p)
	}
	if f.Proto != packet.TCP && f.Proto != packet.UDP {
		g.vpc.net.DropWithDetail(g.eni.id, DropNoTranslation, p, fmt.Sprintf("NAT gateway %s translates TCP, UDP and ICMP echo only", g.id))
		return true
	}
	self := g.eni.addr.Addr()
	if f.Dst.Addr() != self {
		// Only a SYN opens a TCP connection: any other segment of one the
		// gateway does not know (forgotten after NATIdleTimeout) is
		// answered with an RST, not a FIN (VPC User Guide, "NAT gateways").
		opens := f.Proto != packet.TCP || p.TCPFlags().IsSYN()
		port, ok, err := g.translate(f, opens)
		if err != nil {
			g.vpc.net.DropWithDetail(g.eni.id, DropNoTranslation, p, err.Error())
			return true
		}
		if !ok {
			g.reset(p)
			return true
		}
		p.SetSrc(netip.AddrPortFrom(self, port))
		if g.vpc.net.Tracing() {
			g.vpc.net.TraceRewrite(g.eni, f, p, "NAT gateway "+g.id, fmt.Sprintf("source %s -> %s", f.Src, p.Flow().Src))
		}
		g.eni.Forward(p)
		return true
	}
	g.mu.Lock()
	c, ok := g.back[f]
	var inside netip.AddrPort
	if ok {
		c.touched = g.epoch
		inside = c.key.Src
	}
	g.mu.Unlock()
	if !ok {
		g.vpc.net.DropWithDetail(g.eni.id, DropNoTranslation, p, fmt.Sprintf("NAT gateway %s has no connection for %s: it lets only replies in", g.id, f))
		return true
	}
	p.SetDst(inside)
	if g.vpc.net.Tracing() {
		g.vpc.net.TraceRewrite(g.eni, f, p, "NAT gateway "+g.id, fmt.Sprintf("destination %s -> %s", f.Dst, inside))
	}
	g.eni.Forward(p)
	return true
}

// interceptEcho translates an ICMP echo, its identifier playing the part
// of a port (VPC User Guide, "NAT gateways": they support ICMP). Its
// connections are keyed as a port's would be: out by the inside address and
// identifier and the remote address, back by the remote address and the
// gateway's identifier.
func (g *NATGateway) interceptEcho(p *packet.Packet) bool {
	n := g.vpc.net
	typ, ident, _, ok := p.ICMPEcho()
	if !ok {
		n.DropWithDetail(g.eni.id, DropNoTranslation, p, fmt.Sprintf("NAT gateway %s translates TCP, UDP and ICMP echo only", g.id))
		return true
	}
	self := g.eni.addr.Addr()
	if p.Dst() != self {
		if typ != packet.ICMPEchoRequest {
			n.DropWithDetail(g.eni.id, DropNoTranslation, p, fmt.Sprintf("NAT gateway %s translates ICMP echo requests from inside, not replies", g.id))
			return true
		}
		k := wire.Flow{Proto: packet.ICMP, Src: netip.AddrPortFrom(p.Src(), ident), Dst: netip.AddrPortFrom(p.Dst(), 0)}
		id, _, err := g.translate(k, true)
		if err != nil {
			n.DropWithDetail(g.eni.id, DropNoTranslation, p, err.Error())
			return true
		}
		before := p.Flow()
		p.SetSrcAddr(self)
		p.SetICMPIdent(id)
		if n.Tracing() {
			n.TraceRewrite(g.eni, before, p, "NAT gateway "+g.id, fmt.Sprintf("source %s id %d -> %s id %d", k.Src.Addr(), ident, self, id))
		}
		g.eni.Forward(p)
		return true
	}
	b := wire.Flow{Proto: packet.ICMP, Src: netip.AddrPortFrom(p.Src(), 0), Dst: netip.AddrPortFrom(self, ident)}
	g.mu.Lock()
	c, ok := g.back[b]
	var inside netip.AddrPort
	if ok {
		c.touched = g.epoch
		inside = c.key.Src
	}
	g.mu.Unlock()
	if !ok || typ != packet.ICMPEchoReply {
		n.DropWithDetail(g.eni.id, DropNoTranslation, p, fmt.Sprintf("NAT gateway %s has no echo with id %d to %s: it lets only replies in", g.id, ident, p.Src()))
		return true
	}
	before := p.Flow()
	p.SetDstAddr(inside.Addr())
	p.SetICMPIdent(inside.Port())
	if n.Tracing() {
		n.TraceRewrite(g.eni, before, p, "NAT gateway "+g.id, fmt.Sprintf("destination %s id %d -> %s id %d", self, ident, inside.Addr(), inside.Port()))
	}
	g.eni.Forward(p)
	return true
}

// translate returns the gateway's port for the inside connection k,
// allocating one when opens; ok is false for a connection the gateway does
// not know and that this packet cannot open.
func (g *NATGateway) translate(k wire.Flow, opens bool) (port uint16, ok bool, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.out[k]; ok {
		c.touched = g.epoch
		return c.port, true, nil
	}
	if !opens {
		return 0, false, nil
	}
	// Ports 1024-65535 in a pseudo-random order the gateway's id (so the
	// lab's seed) fixes: a run repeats, and a port is not reused at once.
	for range natPorts {
		p := uint16(1024 + (g.portStart+g.portTurn*natStride)%natPorts)
		g.portTurn = (g.portTurn + 1) % natPorts // start+turn*stride stays in uint32
		b := g.replyKey(k, p)
		if _, used := g.back[b]; !used {
			c := &natConn{key: k, port: p, touched: g.epoch}
			g.out[k], g.back[b] = c, c
			g.armLocked()
			return p, true, nil
		}
	}
	// VPC User Guide: a NAT gateway supports 55,000 simultaneous
	// connections to each unique destination; the lab's limit is its ports.
	return 0, false, fmt.Errorf("NAT gateway %s: no port left for connections to %s (ErrorPortAllocation)", g.id, k.Dst)
}

// replyKey is the key of the replies to inside flow k translated to port.
func (g *NATGateway) replyKey(k wire.Flow, port uint16) wire.Flow {
	return wire.Flow{Proto: k.Proto, Src: k.Dst, Dst: netip.AddrPortFrom(g.eni.addr.Addr(), port)}
}

// reset answers p, a segment of a connection the gateway has forgotten,
// with an RST to the resource behind it.
func (g *NATGateway) reset(p *packet.Packet) {
	rst, err := packet.NewReset(p)
	g.vpc.net.DropPacket(DropEvent{Where: g.eni.id, Reason: DropNoTranslation, Resource: g.id,
		Rule:   fmt.Sprintf("idle timeout %d s", int(NATIdleTimeout.Seconds())),
		Detail: fmt.Sprintf("NAT gateway %s forgot this connection after %d s idle: it answers with an RST", g.id, int(NATIdleTimeout.Seconds()))}, p)
	if err != nil {
		return // never answer an RST
	}
	g.mu.Lock()
	g.resets++
	g.mu.Unlock()
	g.eni.Forward(rst)
}

// Origin implements FlowOrigin: the inside end of the connection a packet
// on the gateway's outside (its private or public address) belongs to.
func (g *NATGateway) Origin(f packet.Flow) (netip.AddrPort, bool) {
	mine := func(a netip.Addr) bool { return a == g.eni.addr.Addr() || a == g.eni.public }
	var b wire.Flow
	switch {
	case mine(f.Src.Addr()):
		b = wire.Flow{Proto: f.Proto, Src: f.Dst, Dst: netip.AddrPortFrom(g.eni.addr.Addr(), f.Src.Port())}
	case mine(f.Dst.Addr()):
		b = wire.Flow{Proto: f.Proto, Src: f.Src, Dst: netip.AddrPortFrom(g.eni.addr.Addr(), f.Dst.Port())}
	default:
		return netip.AddrPort{}, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if c := g.back[b]; c != nil {
		return c.key.Src, true
	}
	return netip.AddrPort{}, false
}

// Resets returns how many RSTs the gateway sent to resources continuing a
// connection it had forgotten.
func (g *NATGateway) Resets() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.resets
}

// Connections returns how many connections the gateway is translating.
func (g *NATGateway) Connections() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.out)
}

func (g *NATGateway) armLocked() {
	if !g.armed {
		g.armed = true
		g.vpc.net.clock.AfterFunc(natTick, g.sweep)
	}
}

// sweep runs every natTick of lab time while the gateway translates
// connections, forgetting those idle for NATIdleTimeout.
func (g *NATGateway) sweep() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed = false
	g.epoch++
	idle := int64(NATIdleTimeout / natTick)
	for k, c := range g.out {
		if g.epoch-c.touched > idle { // touched up to a tick after its epoch
			delete(g.out, k)
			delete(g.back, g.replyKey(k, c.port))
		}
	}
	if len(g.out) > 0 {
		g.armLocked()
	} else {
		// Maps keep their buckets: let a storm's go.
		g.out, g.back = map[wire.Flow]*natConn{}, map[wire.Flow]*natConn{}
	}
}
