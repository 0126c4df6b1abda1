package topology

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

func (c *checker) subnet(vi, si int) {
	v := &c.t.Vpcs[vi]
	s := &v.Subnets[si]
	p := fmt.Sprintf("Vpcs[%d].Subnets[%d]", vi, si)
	if s.Name != "" {
		if prev, ok := c.subnets[s.Name]; ok {
			c.add(p+".Name", "a subnet named %q is already defined at %s", s.Name, prev.path)
		} else {
			c.subnets[s.Name] = subnetRef{vpc: vi, s: s, path: p}
		}
	}
	if c.block(p+".CidrBlock", s.CidrBlock) && v.CidrBlock.IsValid() {
		if !v.CidrBlock.Contains(s.CidrBlock.Addr()) || s.CidrBlock.Bits() < v.CidrBlock.Bits() {
			c.add(p+".CidrBlock", "%s is outside the VPC's block %s", s.CidrBlock, v.CidrBlock)
		}
		for j := 0; j < si; j++ {
			if o := v.Subnets[j]; o.CidrBlock.IsValid() && o.CidrBlock.Overlaps(s.CidrBlock) {
				c.add(p+".CidrBlock", "%s overlaps subnet %s (%s)", s.CidrBlock, o.Name, o.CidrBlock)
			}
		}
	}
	if s.AvailabilityZone != "" && !slices.Contains(Zones, s.AvailabilityZone) {
		c.add(p+".AvailabilityZone", "%q is not a zone of %s (%s)", s.AvailabilityZone, Region, strings.Join(Zones, ", "))
	}
	if s.RouteTable != "" && !slices.ContainsFunc(v.RouteTables, func(r RouteTable) bool { return r.Name == s.RouteTable }) {
		c.add(p+".RouteTable", "no route table named %q in VPC %s", s.RouteTable, v.Name)
	}
	if s.NetworkAcl != "" && !slices.ContainsFunc(v.NetworkAcls, func(a NetworkAcl) bool { return a.Name == s.NetworkAcl }) {
		c.add(p+".NetworkAcl", "no network ACL named %q in VPC %s", s.NetworkAcl, v.Name)
	}
}

// subnetIn finds a subnet by name in VPC vi.
func (c *checker) subnetIn(path, name string, vi int) (subnetRef, bool) {
	s, ok := c.subnets[name]
	if !ok {
		if name != "" {
			c.add(path, "no subnet named %q", name)
		}
		return s, false
	}
	if s.vpc != vi {
		c.add(path, "subnet %s is in VPC %s, not %s", name, c.t.Vpcs[s.vpc].Name, c.t.Vpcs[vi].Name)
		return s, false
	}
	return s, true
}

func (c *checker) vpc(vi int) {
	v := &c.t.Vpcs[vi]
	p := fmt.Sprintf("Vpcs[%d]", vi)
	nats := map[string]int{}
	for i, n := range v.NatGateways {
		np := fmt.Sprintf("%s.NatGateways[%d]", p, i)
		c.unique(nats, n.Name, i, np+".Name", "NAT gateway")
		if s, ok := c.subnetIn(np+".Subnet", n.Subnet, vi); ok {
			c.inSubnet(np+".PrivateIpAddress", n.PrivateIpAddress, s)
		}
		c.address(np+".PrivateIpAddress", n.PrivateIpAddress)
		if c.public(np+".PublicIp", n.PublicIp) {
			c.address(np+".PublicIp", n.PublicIp)
		}
	}
	rts := map[string]int{}
	for i, rt := range v.RouteTables {
		rp := fmt.Sprintf("%s.RouteTables[%d]", p, i)
		c.unique(rts, rt.Name, i, rp+".Name", "route table")
		dests := map[netip.Prefix]bool{}
		for j, r := range rt.Routes {
			c.route(vi, fmt.Sprintf("%s.Routes[%d]", rp, j), r, nats, dests)
		}
	}
	groups := map[string]int{"default": -1}
	for i, g := range v.SecurityGroups {
		gp := fmt.Sprintf("%s.SecurityGroups[%d]", p, i)
		if g.GroupName == "default" {
			c.add(gp+".GroupName", "default is the VPC's own default group; give this group another name")
			continue
		}
		c.unique(groups, g.GroupName, i, gp+".GroupName", "security group")
	}
	for i, g := range v.SecurityGroups {
		gp := fmt.Sprintf("%s.SecurityGroups[%d]", p, i)
		for j, r := range g.SecurityGroupIngress {
			c.sgRule(fmt.Sprintf("%s.SecurityGroupIngress[%d]", gp, j), r, false, groups, v.Name)
		}
		for j, r := range g.SecurityGroupEgress {
			c.sgRule(fmt.Sprintf("%s.SecurityGroupEgress[%d]", gp, j), r, true, groups, v.Name)
		}
	}
	acls := map[string]int{}
	for i, a := range v.NetworkAcls {
		ap := fmt.Sprintf("%s.NetworkAcls[%d]", p, i)
		c.unique(acls, a.Name, i, ap+".Name", "network ACL")
		numbers := map[[2]int]bool{}
		for j, e := range a.Entries {
			ep := fmt.Sprintf("%s.Entries[%d]", ap, j)
			key := [2]int{e.RuleNumber, 0}
			if e.Egress {
				key[1] = 1
			}
			if numbers[key] && e.RuleNumber != 0 {
				c.add(ep+".RuleNumber", "rule %d is already defined in this direction", e.RuleNumber)
			}
			numbers[key] = true
			c.ports(ep+".PortRange", e.Protocol, e.PortRange.From, e.PortRange.To)
		}
	}
	for i, in := range v.Instances {
		ip := fmt.Sprintf("%s.Instances[%d]", p, i)
		if in.Name != "" {
			if prev, ok := c.instances[in.Name]; ok {
				c.add(ip+".Name", "an instance named %q is already defined at %s", in.Name, prev.path)
			} else {
				c.instances[in.Name] = instanceRef{vpc: vi, path: ip}
			}
		}
		if s, ok := c.subnetIn(ip+".Subnet", in.Subnet, vi); ok {
			c.inSubnet(ip+".PrivateIpAddress", in.PrivateIpAddress, s)
		}
		c.address(ip+".PrivateIpAddress", in.PrivateIpAddress)
		for j, g := range in.SecurityGroups {
			if _, ok := groups[g]; !ok {
				c.add(fmt.Sprintf("%s.SecurityGroups[%d]", ip, j), "no security group named %q in VPC %s%s", g, v.Name, known(groups))
			}
		}
		c.services(ip+".Services", in.Services)
	}
}

func (c *checker) route(vi int, path string, r Route, nats map[string]int, dests map[netip.Prefix]bool) {
	v := &c.t.Vpcs[vi]
	if r.DestinationCidrBlock.IsValid() {
		if r.DestinationCidrBlock != r.DestinationCidrBlock.Masked() {
			c.add(path+".DestinationCidrBlock", "%s has host bits set: the block is %s", r.DestinationCidrBlock, r.DestinationCidrBlock.Masked())
		}
		if dests[r.DestinationCidrBlock] {
			c.add(path+".DestinationCidrBlock", "the table already has a route for %s", r.DestinationCidrBlock)
		}
		dests[r.DestinationCidrBlock] = true
		if r.DestinationCidrBlock == v.CidrBlock {
			c.add(path+".DestinationCidrBlock", "%s is the VPC's block: the local route already covers it", r.DestinationCidrBlock)
		}
	}
	switch {
	case r.GatewayId != "" && r.NatGatewayId != "":
		c.add(path, "give one target: GatewayId or NatGatewayId, not both")
	case r.GatewayId != "":
		if r.GatewayId != v.InternetGateway {
			has := "it has none"
			if v.InternetGateway != "" {
				has = "its gateway is " + v.InternetGateway
			}
			c.add(path+".GatewayId", "no internet gateway named %q is attached to VPC %s (%s)", r.GatewayId, v.Name, has)
		}
	case r.NatGatewayId != "":
		if _, ok := nats[r.NatGatewayId]; !ok {
			c.add(path+".NatGatewayId", "no NAT gateway named %q in VPC %s%s", r.NatGatewayId, v.Name, known(nats))
		}
	default:
		c.add(path, "no target: give GatewayId (an internet gateway) or NatGatewayId")
	}
}

func (c *checker) sgRule(path string, r SGRule, egress bool, groups map[string]int, vpc string) {
	c.ports(path, r.IpProtocol, r.FromPort, r.ToPort)
	group := r.SourceSecurityGroupName
	wrong, want := "DestinationSecurityGroupName", "SourceSecurityGroupName"
	if egress {
		group = r.DestinationSecurityGroupName
		wrong, want = want, wrong
	}
	if (!egress && r.DestinationSecurityGroupName != "") || (egress && r.SourceSecurityGroupName != "") {
		c.add(path+"."+wrong, "this rule's peer is named by %s", want)
		return
	}
	switch {
	case r.CidrIp.IsValid() && group != "":
		c.add(path, "give one peer: CidrIp or %s, not both", want)
	case !r.CidrIp.IsValid() && group == "":
		c.add(path, "no peer: give CidrIp or %s", want)
	case group != "":
		if _, ok := groups[group]; !ok {
			c.add(path+"."+want, "no security group named %q in VPC %s%s", group, vpc, known(groups))
		}
	}
}

// ports checks a rule's port range for its protocol.
func (c *checker) ports(path, proto string, from, to int) {
	switch proto {
	case "tcp", "udp":
		if from < 0 || to < 0 {
			c.add(path, "ports -1 (all) go with protocol -1; for every %s port give 0-65535", proto)
		} else if from > to {
			c.add(path, "the range %d-%d is empty: the first port is above the last", from, to)
		}
	case "icmp", "-1", "all":
		if (from > 0 || to > 0) && proto != "icmp" {
			c.add(path, "protocol %s has no ports; leave them out", proto)
		}
	}
}
