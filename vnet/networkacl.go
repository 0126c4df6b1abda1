package vnet

import (
	"fmt"
	"net/netip"
	"sort"
	"sync"

	"github.com/vlab-sim/vlab/vnet/limits"
	"github.com/vlab-sim/vlab/vnet/packet"
)

// NetworkACL is a subnet's stateless firewall (VPC User Guide, "Control
// subnet traffic with network access control lists"): numbered rules,
// evaluated lowest number first, the first match deciding allow or deny,
// and a final deny (*) when none matches. Being stateless, replies need
// rules of their own (the ephemeral ports). The VPC's default ACL allows
// everything; a new one denies everything until rules are added.
type NetworkACL struct {
	vpc       *VPC
	id        string
	name      string
	isDefault bool

	mu       sync.RWMutex
	inbound  []ACLRule
	outbound []ACLRule
}

// ACLRule is one network-ACL rule.
type ACLRule struct {
	// Number orders evaluation, 1-32766; lowest first.
	Number   int
	Protocol string
	Ports    PortRange
	CIDR     netip.Prefix
	Allow    bool

	proto uint8
}

func (r ACLRule) String() string {
	act := "deny"
	if r.Allow {
		act = "allow"
	}
	ports := ""
	if r.proto == packet.TCP || r.proto == packet.UDP {
		ports = " " + r.Ports.String()
	}
	return fmt.Sprintf("%d %s%s %s %s", r.Number, protoName(r.proto), ports, r.CIDR, act)
}

func (v *VPC) newACLLocked(name string, isDefault bool) *NetworkACL {
	a := &NetworkACL{vpc: v, id: v.net.ids.Next("acl"), name: name, isDefault: isDefault}
	if isDefault {
		// The default network ACL allows all inbound and outbound traffic.
		all := ACLRule{Number: 100, Protocol: "all", CIDR: netip.MustParsePrefix("0.0.0.0/0"), Allow: true, proto: ProtoAll}
		a.inbound, a.outbound = []ACLRule{all}, []ACLRule{all}
	}
	v.acls = append(v.acls, a)
	return a
}

// AddNetworkACL creates a custom network ACL, which denies all traffic until
// rules are added.
func (v *VPC) AddNetworkACL(name string) *NetworkACL {
	v.net.mu.Lock()
	defer v.net.mu.Unlock()
	return v.newACLLocked(name, false)
}

// DefaultNetworkACL returns the VPC's default network ACL.
func (v *VPC) DefaultNetworkACL() *NetworkACL {
	v.net.mu.RLock()
	defer v.net.mu.RUnlock()
	return v.acls[0]
}

// NetworkACLs returns the VPC's network ACLs, the default first.
func (v *VPC) NetworkACLs() []*NetworkACL {
	v.net.mu.RLock()
	defer v.net.mu.RUnlock()
	return append([]*NetworkACL(nil), v.acls...)
}

// ID returns the ACL id (acl-…).
func (a *NetworkACL) ID() string { return a.id }

// Name returns the ACL's Name tag.
func (a *NetworkACL) Name() string { return a.name }

// IsDefault reports whether this is the VPC's default ACL.
func (a *NetworkACL) IsDefault() bool { return a.isDefault }

// Rules returns the rules of one direction, by number.
func (a *NetworkACL) Rules(egress bool) []ACLRule {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if egress {
		return append([]ACLRule(nil), a.outbound...)
	}
	return append([]ACLRule(nil), a.inbound...)
}

// AddRule adds a rule to the inbound (egress false) or outbound rules.
func (a *NetworkACL) AddRule(egress bool, r ACLRule) error {
	dir := map[bool]string{false: "inbound", true: "outbound"}[egress]
	r, err := a.checkRule(dir, r)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	rules := &a.inbound
	if egress {
		rules = &a.outbound
	}
	for _, o := range *rules {
		if o.Number == r.Number {
			return fmt.Errorf("network ACL %s: %s rule %d already exists", a.id, dir, r.Number)
		}
	}
	nr := append(append([]ACLRule(nil), *rules...), r)
	sort.Slice(nr, func(i, j int) bool { return nr[i].Number < nr[j].Number })
	*rules = nr
	return nil
}

// checkRule validates r and fills its parsed protocol.
func (a *NetworkACL) checkRule(dir string, r ACLRule) (ACLRule, error) {
	if err := limits.Get("RuleNumber").Check(r.Number); err != nil {
		return r, fmt.Errorf("network ACL %s: %s rule number %d: %w", a.id, dir, r.Number, err)
	}
	p, err := ParseProtocol(r.Protocol)
	if err != nil {
		return r, fmt.Errorf("network ACL %s: %s rule %d: %w", a.id, dir, r.Number, err)
	}
	r.proto, r.Protocol = p, protoName(p)
	if err := r.Ports.validate(); err != nil {
		return r, fmt.Errorf("network ACL %s: %s rule %d: %w", a.id, dir, r.Number, err)
	}
	if !r.CIDR.IsValid() || !r.CIDR.Addr().Is4() || r.CIDR.Masked() != r.CIDR {
		return r, fmt.Errorf("network ACL %s: %s rule %d: CidrBlock %s is not an IPv4 network", a.id, dir, r.Number, r.CIDR)
	}
	return r, nil
}

// ReplaceRule replaces the rule with r's number at once: no packet sees
// the ACL without it (EC2 API Reference, "ReplaceNetworkAclEntry").
func (a *NetworkACL) ReplaceRule(egress bool, r ACLRule) error {
	dir := map[bool]string{false: "inbound", true: "outbound"}[egress]
	r, err := a.checkRule(dir, r)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	rules := &a.inbound
	if egress {
		rules = &a.outbound
	}
	for i, o := range *rules {
		if o.Number == r.Number {
			nr := append([]ACLRule(nil), *rules...)
			nr[i] = r
			*rules = nr
			return nil
		}
	}
	return fmt.Errorf("network ACL %s: no %s rule %d", a.id, dir, r.Number)
}

// RemoveRule removes the rule with the given number.
func (a *NetworkACL) RemoveRule(egress bool, number int) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	rules := &a.inbound
	if egress {
		rules = &a.outbound
	}
	for i, o := range *rules {
		if o.Number == number {
			*rules = append(append([]ACLRule(nil), (*rules)[:i]...), (*rules)[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("network ACL %s: no rule %d", a.id, number)
}

// evaluate returns the verdict for p and the rule that decided it (nil for
// the final deny).
func (a *NetworkACL) evaluate(egress bool, p *packet.Packet) (bool, *ACLRule) {
	a.mu.RLock()
	rules := a.inbound
	peer := p.Src()
	if egress {
		rules, peer = a.outbound, p.Dst()
	}
	a.mu.RUnlock()
	for i := range rules {
		r := &rules[i]
		if r.CIDR.Contains(peer) && matchProtoPort(r.proto, r.Ports, p) {
			return r.Allow, r
		}
	}
	return false, nil
}
