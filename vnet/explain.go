package vnet

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/vlab-sim/vlab/vnet/packet"
)

// probe builds a bare packet of flow f (a TCP SYN, or an empty UDP or ICMP
// packet) for asking the rules what they would do with it.
func probe(f packet.Flow) *packet.Packet {
	hl := map[uint8]int{packet.TCP: 20, packet.UDP: 8}[f.Proto]
	if hl == 0 {
		hl = 8
	}
	b := make([]byte, 20+hl)
	b[0], b[8], b[9] = 0x45, 64, f.Proto
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	copy(b[12:], f.Src.Addr().AsSlice())
	copy(b[16:], f.Dst.Addr().AsSlice())
	if f.Proto == packet.TCP || f.Proto == packet.UDP {
		binary.BigEndian.PutUint16(b[20:], f.Src.Port())
		binary.BigEndian.PutUint16(b[22:], f.Dst.Port())
	}
	if f.Proto == packet.TCP {
		b[32], b[33] = 5<<4, 0x02
	}
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(b[10:], ^uint16(sum))
	p, err := packet.FromBytes(b)
	if err != nil {
		panic(err) // a well-formed header by construction
	}
	return p
}

// AdmittingRule names the security-group rule of e that admits flow f
// leaving (outbound) or arriving at e, forwarded by via (a load balancer
// node's ENI) if not nil: "sg-… (name) inbound: tcp 22 203.0.113.10/32". It
// reports false, with the reason, when no rule does.
func (e *ENI) AdmittingRule(outbound bool, f packet.Flow, via *ENI) (string, bool) {
	if e.unfiltered || e.subnet == nil {
		return "no security group", true
	}
	p := probe(f)
	defer p.Release()
	dir, peer := "inbound", f.Src.Addr()
	if outbound {
		dir, peer = "outbound", f.Dst.Addr()
	}
	gs := e.SecurityGroups()
	for _, g := range gs {
		g.mu.RLock()
		rules := g.inbound
		if outbound {
			rules = g.outbound
		}
		g.mu.RUnlock()
		for _, r := range rules {
			if !matchProtoPort(r.proto, r.Ports, p) {
				continue
			}
			if (r.Group != nil && r.Group.has(peer, via)) || (r.Group == nil && r.CIDR.Contains(peer)) {
				return fmt.Sprintf("%s (%s) %s: %s", g.id, g.name, dir, r), true
			}
		}
	}
	return fmt.Sprintf("security group %s: no %s rule allows %s to %s", groupNames(gs), dir, peer, describeDst(p)), false
}

// ACLRule names the network-ACL rule of subnet s that decides flow f
// leaving (egress) or entering the subnet, and whether it allows it.
func (s *Subnet) ACLDecision(egress bool, f packet.Flow) (string, bool) {
	acl := s.NetworkACL()
	p := probe(f)
	defer p.Release()
	ok, r := acl.evaluate(egress, p)
	dir := "inbound"
	if egress {
		dir = "outbound"
	}
	if r == nil {
		return fmt.Sprintf("%s (%s) %s rule *: deny", acl.id, acl.name, dir), false
	}
	return fmt.Sprintf("%s (%s) %s rule %s", acl.id, acl.name, dir, r), ok
}

// RouteFor names the route subnet s's table uses for dst, or says there is
// none.
func (s *Subnet) RouteFor(dst netip.Addr) (string, bool) {
	rt := s.RouteTable()
	r, ok := rt.Lookup(dst)
	if !ok {
		return fmt.Sprintf("%s (%s): no route to %s", rt.id, rt.name, dst), false
	}
	return fmt.Sprintf("%s (%s): %s -> %s", rt.id, rt.name, r.Destination, r.Target.TargetID()), true
}
