package topology

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/vlab-sim/vlab/vnet/flowlog"
	"github.com/vlab-sim/vlab/vnet/limits"
)

func (c *checker) loadBalancer(i int) {
	lb := &c.t.LoadBalancers[i]
	p := fmt.Sprintf("LoadBalancers[%d]", i)
	for j := 0; j < i; j++ {
		if c.t.LoadBalancers[j].Name == lb.Name && lb.Name != "" {
			c.add(p+".Name", "a load balancer named %q is already defined", lb.Name)
		}
	}
	internal := lb.Scheme == "internal"
	vi, zones := -1, map[string]string{}
	for j, m := range lb.SubnetMappings {
		mp := fmt.Sprintf("%s.SubnetMappings[%d]", p, j)
		s, ok := c.subnets[m.SubnetId]
		if !ok {
			if m.SubnetId != "" {
				c.add(mp+".SubnetId", "no subnet named %q", m.SubnetId)
			}
			continue
		}
		if vi < 0 {
			vi = s.vpc
		} else if s.vpc != vi {
			c.add(mp+".SubnetId", "subnet %s is in VPC %s; the load balancer's first subnet is in %s", m.SubnetId, c.t.Vpcs[s.vpc].Name, c.t.Vpcs[vi].Name)
			continue
		}
		// ELB User Guide, "Availability Zones": one subnet per zone.
		if prev, ok := zones[s.s.AvailabilityZone]; ok {
			c.add(mp+".SubnetId", "the load balancer already has a subnet in %s (%s): one subnet per zone", s.s.AvailabilityZone, prev)
		}
		zones[s.s.AvailabilityZone] = m.SubnetId
		c.inSubnet(mp+".PrivateIPv4Address", m.PrivateIPv4Address, s)
		c.address(mp+".PrivateIPv4Address", m.PrivateIPv4Address)
		switch {
		case internal && m.PublicIPv4Address.IsValid():
			c.add(mp+".PublicIPv4Address", "an internal load balancer has no public address")
		default:
			if c.public(mp+".PublicIPv4Address", m.PublicIPv4Address) {
				c.address(mp+".PublicIPv4Address", m.PublicIPv4Address)
			}
		}
	}
	if vi < 0 {
		return
	}
	v := c.t.Vpcs[vi]
	// ELB API Reference, CreateLoadBalancer (InvalidSubnet): an
	// internet-facing load balancer's VPC has an internet gateway.
	if !internal && v.InternetGateway == "" {
		c.add(p+".Scheme", "VPC %s has no internet gateway: an internet-facing load balancer needs one", v.Name)
	}
	for j, g := range lb.SecurityGroups {
		if g != "default" && !slices.ContainsFunc(v.SecurityGroups, func(s SecurityGroup) bool { return s.GroupName == g }) {
			c.add(fmt.Sprintf("%s.SecurityGroups[%d]", p, j), "no security group named %q in VPC %s", g, v.Name)
		}
	}
	ports := map[int]bool{}
	for j, l := range lb.Listeners {
		lp := fmt.Sprintf("%s.Listeners[%d]", p, j)
		if ports[l.Port] && l.Port != 0 {
			c.add(lp+".Port", "the load balancer already listens on %d", l.Port)
		}
		ports[l.Port] = true
		for _, tg := range c.t.TargetGroups {
			if tg.Name != l.TargetGroupName {
				continue
			}
			if tg.VpcId != "" && tg.VpcId != v.Name {
				c.add(lp+".TargetGroupName", "target group %s is in VPC %s, the load balancer in %s", tg.Name, tg.VpcId, v.Name)
			}
			// ELB User Guide, "Create a target group for your Network Load
			// Balancer": listeners sharing a target group are one load
			// balancer's.
			if prev, ok := c.tgUsedBy[tg.Name]; ok && prev != lb.Name {
				c.add(lp+".TargetGroupName", "target group %s is already used by load balancer %s (a target group serves one load balancer)", tg.Name, prev)
			}
			c.tgUsedBy[tg.Name] = lb.Name
		}
	}
}

func (c *checker) targetGroup(i int) {
	tg := &c.t.TargetGroups[i]
	p := fmt.Sprintf("TargetGroups[%d]", i)
	vi, ok := c.vpcs[tg.VpcId]
	if !ok {
		if tg.VpcId != "" {
			c.add(p+".VpcId", "no VPC named %q%s", tg.VpcId, known(c.vpcs))
		}
		return
	}
	v := c.t.Vpcs[vi]
	if hp := tg.HealthCheckPort; hp != "" && hp != "traffic-port" {
		if n, err := strconv.Atoi(hp); err != nil || n < 1 || n > 65535 {
			c.add(p+".HealthCheckPort", "%q is not traffic-port or a port (1-65535)", hp)
		}
	}
	if tg.HealthCheckProtocol != "HTTP" && (tg.HealthCheckPath != "" || tg.Matcher.HttpCode != "") {
		c.add(p+".HealthCheckProtocol", "HealthCheckPath and Matcher apply to HTTP health checks only")
	}
	seen := map[string]bool{}
	for j, tr := range tg.Targets {
		tp := fmt.Sprintf("%s.Targets[%d].Id", p, j)
		key := tr.Id + ":" + strconv.Itoa(tr.Port)
		if seen[key] {
			c.add(tp, "%s is already registered on this port", tr.Id)
		}
		seen[key] = true
		if tg.TargetType == "ip" {
			a, err := netip.ParseAddr(tr.Id)
			switch {
			case err != nil:
				c.add(tp, "%q is not an IPv4 address (ip targets are registered by address)", tr.Id)
			case !limits.IsPrivate(a):
				// ELB User Guide, "Target type": publicly routable addresses
				// cannot be registered.
				c.add(tp, "%s is a public address: ip targets are private (%s)", a, privateList())
			case !v.CidrBlock.Contains(a):
				c.add(tp, "%s is outside the target group's VPC %s (%s): AWS takes it for a peered VPC or an on-premises network, which the lab does not have", a, v.Name, v.CidrBlock)
			}
			continue
		}
		in, ok := c.instances[tr.Id]
		switch {
		case !ok:
			c.add(tp, "no instance named %q (instance targets are registered by name)", tr.Id)
		case in.vpc != vi:
			c.add(tp, "instance %s is in VPC %s, outside the target group's VPC %s", tr.Id, c.t.Vpcs[in.vpc].Name, v.Name)
		}
	}
}

func (c *checker) flowLog(i int) {
	f := c.t.FlowLogs[i]
	p := fmt.Sprintf("FlowLogs[%d]", i)
	for j, id := range f.ResourceIds {
		if _, ok := c.vpcs[id]; ok {
			continue
		}
		if _, ok := c.subnets[id]; ok {
			continue
		}
		if _, ok := c.instances[id]; ok {
			continue
		}
		if slices.ContainsFunc(c.t.LoadBalancers, func(lb LoadBalancer) bool { return lb.Name == id }) {
			continue
		}
		c.add(fmt.Sprintf("%s.ResourceIds[%d]", p, j), "no VPC, subnet, instance or load balancer named %q", id)
	}
	if f.LogFormat != "" {
		if _, err := flowlog.ParseFields(f.LogFormat); err != nil {
			c.add(p+".LogFormat", "%v", err)
		}
	}
}

// privateList names the ranges ip targets may be in.
func privateList() string {
	var s []string
	for _, p := range limits.PrivateRanges {
		s = append(s, p.String())
	}
	return strings.Join(s, ", ")
}
