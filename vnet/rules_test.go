package vnet

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/vnet/packet"
)

// pkt builds a TCP or UDP packet (proto 6 or 17) or an ICMP one (1).
func pkt(t *testing.T, proto uint8, src, dst string) *packet.Packet {
	t.Helper()
	s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
	hl := map[uint8]int{packet.TCP: 20, packet.UDP: 8, packet.ICMP: 8}[proto]
	b := make([]byte, 20+hl)
	b[0], b[8], b[9] = 0x45, 64, proto
	b[2], b[3] = byte(len(b)>>8), byte(len(b))
	copy(b[12:16], s.Addr().AsSlice())
	copy(b[16:20], d.Addr().AsSlice())
	if proto != packet.ICMP {
		b[20], b[21], b[22], b[23] = byte(s.Port()>>8), byte(s.Port()), byte(d.Port()>>8), byte(d.Port())
	}
	if proto == packet.TCP {
		b[32] = 5 << 4
	}
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	b[10], b[11] = byte(^sum>>8), byte(^sum)
	p, err := packet.FromBytes(b)
	require.NoError(t, err)
	return p
}

func newTestVPC(t *testing.T) *VPC {
	t.Helper()
	n := New(Options{})
	t.Cleanup(func() { n.Close() })
	v, err := n.AddVPC("v", netip.MustParsePrefix("10.0.0.0/16"))
	require.NoError(t, err)
	return v
}

func TestSecurityGroupRuleMatching(t *testing.T) {
	v := newTestVPC(t)
	g, err := v.AddSecurityGroup("g", "")
	require.NoError(t, err)
	other, err := v.AddSecurityGroup("other", "")
	require.NoError(t, err)
	member := &ENI{addr: netip.MustParsePrefix("10.0.5.5/20")}
	other.members[member] = true
	for _, r := range []SGRule{
		{Protocol: "tcp", Ports: PortRange{From: 1000, To: 2000}, CIDR: netip.MustParsePrefix("203.0.113.0/24")},
		{Protocol: "udp", Ports: PortRange{From: 53, To: 53}, CIDR: netip.MustParsePrefix("0.0.0.0/0")},
		{Protocol: "tcp", Ports: PortRange{From: 22, To: 22}, CIDR: netip.MustParsePrefix("198.51.100.7/32")},
		{Protocol: "icmp", CIDR: netip.MustParsePrefix("10.0.0.0/16")},
		{Protocol: "tcp", Ports: PortRange{From: 443, To: 443}, Group: other},
	} {
		require.NoError(t, g.AuthorizeIngress(r))
	}
	for _, c := range []struct {
		proto    uint8
		src, dst string
		want     bool
	}{
		{packet.TCP, "203.0.113.9:5000", "10.0.0.10:1000", true},  // lower bound
		{packet.TCP, "203.0.113.9:5000", "10.0.0.10:2000", true},  // upper bound
		{packet.TCP, "203.0.113.9:5000", "10.0.0.10:2001", false}, // one past
		{packet.TCP, "203.0.113.9:5000", "10.0.0.10:999", false},  // one before
		{packet.TCP, "203.0.114.9:5000", "10.0.0.10:1500", false}, // outside the /24
		{packet.UDP, "8.8.8.8:9", "10.0.0.10:53", true},           // /0
		{packet.TCP, "8.8.8.8:9", "10.0.0.10:53", false},          // the /0 rule is UDP only
		{packet.TCP, "198.51.100.7:1", "10.0.0.10:22", true},      // /32
		{packet.TCP, "198.51.100.8:1", "10.0.0.10:22", false},     // next to the /32
		{packet.ICMP, "10.0.9.9:0", "10.0.0.10:0", true},          // icmp, no ports
		{packet.ICMP, "11.0.0.1:0", "10.0.0.10:0", false},         // icmp from outside
		{packet.TCP, "10.0.5.5:40000", "10.0.0.10:443", true},     // a member of the referenced group
		{packet.TCP, "10.0.5.6:40000", "10.0.0.10:443", false},    // not a member
	} {
		p := pkt(t, c.proto, c.src, c.dst)
		_, ok := g.allows(false, p, nil)
		assert.Equal(t, c.want, ok, "%s %s > %s", packet.ProtoName(c.proto), c.src, c.dst)
		p.Release()
	}
	// Traffic a member forwards matches the group whatever its source.
	p := pkt(t, packet.TCP, "203.0.113.200:40000", "10.0.0.10:443")
	_, viaMember := g.allows(false, p, member)
	_, direct := g.allows(false, p, nil)
	assert.True(t, viaMember)
	assert.False(t, direct)
	p.Release()
}

func TestSecurityGroupRulesAreValidated(t *testing.T) {
	v := newTestVPC(t)
	g, err := v.AddSecurityGroup("g", "")
	require.NoError(t, err)
	assert.ErrorContains(t, g.AuthorizeIngress(SGRule{Protocol: "tcp", Ports: PortRange{From: 30, To: 20}, CIDR: netip.MustParsePrefix("0.0.0.0/0")}), "FromPort is above ToPort")
	assert.ErrorContains(t, g.AuthorizeIngress(SGRule{Protocol: "gre2", CIDR: netip.MustParsePrefix("0.0.0.0/0")}), `protocol "gre2"`)
	assert.ErrorContains(t, g.AuthorizeIngress(SGRule{Protocol: "tcp"}), "exactly one of a CIDR and a security group")
	assert.ErrorContains(t, g.AuthorizeIngress(SGRule{Protocol: "tcp", CIDR: netip.MustParsePrefix("10.0.0.1/8")}), "host bits set")
	r := SGRule{Protocol: "tcp", Ports: PortRange{From: 22, To: 22}, CIDR: netip.MustParsePrefix("10.0.0.0/8")}
	require.NoError(t, g.AuthorizeIngress(r))
	assert.ErrorContains(t, g.AuthorizeIngress(r), "already exists")
	require.NoError(t, g.RevokeIngress(r))
	assert.ErrorContains(t, g.RevokeIngress(r), "no inbound rule")
	_, err = v.AddSecurityGroup("g", "")
	assert.ErrorContains(t, err, "already exists")
}

// Several groups on one ENI: the union of their rules.
func TestSeveralGroupsUnion(t *testing.T) {
	v := newTestVPC(t)
	a, _ := v.AddSecurityGroup("a", "")
	b, _ := v.AddSecurityGroup("b", "")
	require.NoError(t, a.AuthorizeIngress(SGRule{Protocol: "tcp", Ports: PortRange{From: 22, To: 22}, CIDR: netip.MustParsePrefix("0.0.0.0/0")}))
	require.NoError(t, b.AuthorizeIngress(SGRule{Protocol: "tcp", Ports: PortRange{From: 80, To: 80}, CIDR: netip.MustParsePrefix("0.0.0.0/0")}))
	s, err := v.AddSubnet(SubnetConfig{Name: "s", CIDR: netip.MustParsePrefix("10.0.0.0/24"), Zone: "z"})
	require.NoError(t, err)
	h, _ := v.net.NewHost("h")
	e, err := h.AttachSubnet(s, netip.MustParseAddr("10.0.0.10"), ENIOptions{SecurityGroups: []*SecurityGroup{a, b}})
	require.NoError(t, err)
	for port, want := range map[string]bool{"22": true, "80": true, "443": false} {
		p := pkt(t, packet.TCP, "1.2.3.4:1000", "10.0.0.10:"+port)
		assert.Equal(t, want, e.admit(false, p, nil) == nil, port)
		p.Release()
	}
	assert.ErrorContains(t, e.SetSecurityGroups(nil), "at least one")
}

// Replies of an allowed flow pass whatever the rules; a tracked flow
// survives its rule's removal, an untracked one (rules open to all both
// ways) is cut at once.
func TestConnectionTracking(t *testing.T) {
	v := newTestVPC(t)
	s, _ := v.AddSubnet(SubnetConfig{Name: "s", CIDR: netip.MustParsePrefix("10.0.0.0/24"), Zone: "z"})
	g, _ := v.AddSecurityGroup("g", "")
	narrow := SGRule{Protocol: "tcp", Ports: PortRange{From: 22, To: 22}, CIDR: netip.MustParsePrefix("203.0.113.10/32")}
	require.NoError(t, g.AuthorizeIngress(narrow))
	h, _ := v.net.NewHost("h")
	e, err := h.AttachSubnet(s, netip.MustParseAddr("10.0.0.10"), ENIOptions{SecurityGroups: []*SecurityGroup{g}})
	require.NoError(t, err)
	in := func() *packet.Packet { return pkt(t, packet.TCP, "203.0.113.10:40000", "10.0.0.10:22") }
	reply := pkt(t, packet.TCP, "10.0.0.10:22", "203.0.113.10:40000")
	require.NoError(t, g.RevokeEgress(g.Outbound()[0]))
	assert.NotEmpty(t, e.admit(true, reply, nil), "no outbound rule and no tracked flow")
	assert.Empty(t, e.admit(false, in(), nil))
	assert.Empty(t, e.admit(true, reply, nil), "the reply of a tracked flow passes with no outbound rule")
	require.NoError(t, g.RevokeIngress(narrow))
	assert.Empty(t, e.admit(false, in(), nil), "a tracked flow survives the rule's removal")

	// Open to all both ways: not tracked, so removing the rule cuts it.
	g2, _ := v.AddSecurityGroup("open", "")
	openIn := SGRule{Protocol: "all", CIDR: netip.MustParsePrefix("0.0.0.0/0")}
	require.NoError(t, g2.AuthorizeIngress(openIn))
	h2, _ := v.net.NewHost("h2")
	e2, err := h2.AttachSubnet(s, netip.MustParseAddr("10.0.0.11"), ENIOptions{SecurityGroups: []*SecurityGroup{g2}})
	require.NoError(t, err)
	p := pkt(t, packet.TCP, "203.0.113.10:40000", "10.0.0.11:22")
	assert.Empty(t, e2.admit(false, p, nil))
	assert.Zero(t, e2.TrackedFlows(), "untracked")
	require.NoError(t, g2.RevokeIngress(openIn))
	assert.NotEmpty(t, e2.admit(false, p, nil), "cut at once")
	// Through a load balancer, always tracked.
	require.NoError(t, g2.AuthorizeIngress(openIn))
	assert.Empty(t, e2.admit(false, p, e))
	assert.Equal(t, 1, e2.TrackedFlows())
}

func TestNetworkACLOrderAndDefaults(t *testing.T) {
	v := newTestVPC(t)
	def := v.DefaultNetworkACL()
	p := pkt(t, packet.TCP, "203.0.113.10:40000", "10.0.0.10:22")
	ok, _ := def.evaluate(false, p)
	assert.True(t, ok, "the default ACL allows all")

	a := v.AddNetworkACL("custom")
	ok, rule := a.evaluate(false, p)
	assert.False(t, ok, "a new ACL denies all")
	assert.Nil(t, rule)
	all := netip.MustParsePrefix("0.0.0.0/0")
	require.NoError(t, a.AddRule(false, ACLRule{Number: 200, Protocol: "tcp", Ports: PortRange{From: 22, To: 22}, CIDR: all, Allow: true}))
	require.NoError(t, a.AddRule(false, ACLRule{Number: 100, Protocol: "tcp", Ports: PortRange{From: 22, To: 22}, CIDR: netip.MustParsePrefix("203.0.113.10/32"), Allow: false}))
	ok, rule = a.evaluate(false, p)
	assert.False(t, ok, "the lower number decides: deny before allow")
	assert.Equal(t, 100, rule.Number)
	q := pkt(t, packet.TCP, "203.0.113.11:40000", "10.0.0.10:22")
	ok, rule = a.evaluate(false, q)
	assert.True(t, ok)
	assert.Equal(t, 200, rule.Number)
	assert.ErrorContains(t, a.AddRule(false, ACLRule{Number: 100, Protocol: "all", CIDR: all}), "rule 100 already exists")
	assert.ErrorContains(t, a.AddRule(false, ACLRule{Number: 0, Protocol: "all", CIDR: all}), "must be 1-32766")
	assert.ErrorContains(t, a.AddRule(true, ACLRule{Number: 5, Protocol: "all"}), "is not an IPv4 network")
	// Stateless: the outbound reply needs its own rule.
	r := pkt(t, packet.TCP, "10.0.0.10:22", "203.0.113.11:40000")
	ok, _ = a.evaluate(true, r)
	assert.False(t, ok)
}
