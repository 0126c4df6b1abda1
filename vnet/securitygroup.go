package vnet

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/vlab-sim/vlab/vnet/packet"
)

// SecurityGroup is a stateful, allow-only firewall attached to ENIs (VPC
// User Guide, "Security groups"): inbound and outbound rules, no deny rules,
// and replies of an allowed flow always pass (connection tracking, see
// conntrack.go). A new group allows all outbound traffic and no inbound.
type SecurityGroup struct {
	vpc         *VPC
	id          string
	name        string
	description string

	mu       sync.RWMutex
	inbound  []SGRule
	outbound []SGRule
	members  map[*ENI]bool
}

// SGRule is one security-group rule. Exactly one of CIDR and Group names
// the peer: the source of inbound traffic, the destination of outbound.
type SGRule struct {
	// Protocol is tcp, udp, icmp or all.
	Protocol string
	// Ports applies to tcp and udp: the destination port range.
	Ports PortRange
	// CIDR matches peers by address.
	CIDR netip.Prefix
	// Group matches the private addresses of the group's members, and
	// traffic a load balancer in the group forwards.
	Group       *SecurityGroup
	Description string

	proto uint8
}

func (r SGRule) String() string {
	peer := r.CIDR.String()
	if r.Group != nil {
		peer = r.Group.id + " (" + r.Group.name + ")"
	}
	ports := ""
	if r.proto == packet.TCP || r.proto == packet.UDP {
		ports = " " + r.Ports.String()
	}
	return fmt.Sprintf("%s%s %s", protoName(r.proto), ports, peer)
}

func (r *SGRule) normalize() error {
	p, err := ParseProtocol(r.Protocol)
	if err != nil {
		return err
	}
	r.proto = p
	r.Protocol = protoName(p)
	if err := r.Ports.validate(); err != nil {
		return err
	}
	if (r.Group == nil) == !r.CIDR.IsValid() {
		return fmt.Errorf("rule %s: give exactly one of a CIDR and a security group", r.Protocol)
	}
	if r.CIDR.IsValid() {
		if !r.CIDR.Addr().Is4() {
			return fmt.Errorf("rule CIDR %s: only IPv4 is in scope", r.CIDR)
		}
		if r.CIDR.Masked() != r.CIDR {
			return fmt.Errorf("rule CIDR %s has host bits set (did you mean %s?)", r.CIDR, r.CIDR.Masked())
		}
	}
	return nil
}

// AddSecurityGroup creates a security group in the VPC, with AWS's default
// rules: all outbound traffic allowed, no inbound.
func (v *VPC) AddSecurityGroup(name, description string) (*SecurityGroup, error) {
	if name == "" {
		return nil, fmt.Errorf("security group: GroupName is required")
	}
	v.net.mu.Lock()
	defer v.net.mu.Unlock()
	for _, g := range v.groups {
		if g.name == name {
			return nil, fmt.Errorf("security group %s: a group with that name already exists in %s", name, v.id)
		}
	}
	g := &SecurityGroup{vpc: v, id: v.net.ids.Next("sg"), name: name, description: description, members: map[*ENI]bool{}}
	all := SGRule{Protocol: "all", CIDR: netip.MustParsePrefix("0.0.0.0/0")}
	all.normalize()
	g.outbound = []SGRule{all}
	v.groups = append(v.groups, g)
	return g, nil
}

// SecurityGroups returns the VPC's security groups in creation order.
func (v *VPC) SecurityGroups() []*SecurityGroup {
	v.net.mu.RLock()
	defer v.net.mu.RUnlock()
	return append([]*SecurityGroup(nil), v.groups...)
}

// ID returns the group id (sg-…).
func (g *SecurityGroup) ID() string { return g.id }

// Name returns the group's name.
func (g *SecurityGroup) Name() string { return g.name }

// Description returns the group's description.
func (g *SecurityGroup) Description() string { return g.description }

// VPC returns the group's VPC.
func (g *SecurityGroup) VPC() *VPC { return g.vpc }

// Inbound returns the inbound rules.
func (g *SecurityGroup) Inbound() []SGRule {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return append([]SGRule(nil), g.inbound...)
}

// Outbound returns the outbound rules.
func (g *SecurityGroup) Outbound() []SGRule {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return append([]SGRule(nil), g.outbound...)
}

// AuthorizeIngress adds an inbound rule.
func (g *SecurityGroup) AuthorizeIngress(r SGRule) error {
	return g.authorize(&g.inbound, r, "inbound")
}

// AuthorizeEgress adds an outbound rule.
func (g *SecurityGroup) AuthorizeEgress(r SGRule) error {
	return g.authorize(&g.outbound, r, "outbound")
}

// RevokeIngress removes an inbound rule equal to r.
func (g *SecurityGroup) RevokeIngress(r SGRule) error { return g.revoke(&g.inbound, r, "inbound") }

// RevokeEgress removes an outbound rule equal to r.
func (g *SecurityGroup) RevokeEgress(r SGRule) error { return g.revoke(&g.outbound, r, "outbound") }

func (g *SecurityGroup) authorize(rules *[]SGRule, r SGRule, dir string) error {
	if err := r.normalize(); err != nil {
		return fmt.Errorf("security group %s (%s): %s rule: %w", g.id, g.name, dir, err)
	}
	if r.Group != nil && r.Group.vpc != g.vpc {
		return fmt.Errorf("security group %s (%s): %s rule references %s of another VPC", g.id, g.name, dir, r.Group.id)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, o := range *rules {
		if o.String() == r.String() {
			return fmt.Errorf("security group %s (%s): the %s rule %s already exists", g.id, g.name, dir, r)
		}
	}
	*rules = append(append([]SGRule(nil), *rules...), r)
	return nil
}

func (g *SecurityGroup) revoke(rules *[]SGRule, r SGRule, dir string) error {
	if err := r.normalize(); err != nil {
		return fmt.Errorf("security group %s (%s): %s rule: %w", g.id, g.name, dir, err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, o := range *rules {
		if o.String() == r.String() {
			*rules = append(append([]SGRule(nil), (*rules)[:i]...), (*rules)[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("security group %s (%s): no %s rule %s", g.id, g.name, dir, r)
}

// has reports whether addr is a member's private address, or via (the ENI
// that forwarded the packet) is a member.
func (g *SecurityGroup) has(addr netip.Addr, via *ENI) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if via != nil && g.members[via] {
		return true
	}
	for e := range g.members {
		if e.addr.Addr() == addr {
			return true
		}
	}
	return false
}

// Members returns the ENIs the group is attached to.
func (g *SecurityGroup) Members() []*ENI {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]*ENI, 0, len(g.members))
	for e := range g.members {
		out = append(out, e)
	}
	return out
}

// allows reports whether one of the group's rules for the direction admits
// p, whose peer is the source (inbound) or destination (outbound), and
// which rule: the one definition of security-group rule matching.
func (g *SecurityGroup) allows(outbound bool, p *packet.Packet, via *ENI) (SGRule, bool) {
	g.mu.RLock()
	rules := g.inbound
	peer := p.Src()
	if outbound {
		rules, peer = g.outbound, p.Dst()
	}
	g.mu.RUnlock()
	for _, r := range rules {
		if !matchProtoPort(r.proto, r.Ports, p) {
			continue
		}
		if r.Group != nil {
			if r.Group.has(peer, via) {
				return r, true
			}
		} else if r.CIDR.Contains(peer) {
			return r, true
		}
	}
	return SGRule{}, false
}

// openToAll reports whether the direction has a rule admitting proto from
// or to 0.0.0.0/0 on every port: AWS's condition for not tracking a flow.
func (g *SecurityGroup) openToAll(outbound bool, proto uint8) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	rules := g.inbound
	if outbound {
		rules = g.outbound
	}
	for _, r := range rules {
		if r.CIDR.IsValid() && r.CIDR.Bits() == 0 && (r.proto == ProtoAll || (r.proto == proto && r.Ports.all())) {
			return true
		}
	}
	return false
}

func groupNames(gs []*SecurityGroup) string {
	var s []string
	for _, g := range gs {
		s = append(s, g.id+" ("+g.name+")")
	}
	return strings.Join(s, ", ")
}
