package topology

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/vlab-sim/vlab/vnet/flowlog"
)

// Region is the region every lab is in (SCENARIO.md).
const Region = "ap-northeast-1"

// Zones are the region's availability zones.
var Zones = []string{"ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"}

type issue struct{ path, msg string }

// Validate checks a topology built in Go, as Parse checks a file; the error,
// when not nil, is Problems (with field paths but no file positions).
func Validate(t *Topology) error {
	var ps Problems
	for _, is := range check(t) {
		ps = append(ps, Problem{Path: is.path, Message: is.msg})
	}
	if len(ps) > 0 {
		return ps
	}
	return nil
}

// checker holds what a check needs to resolve names: every resource by
// name, with the path it was defined at.
type checker struct {
	t      *Topology
	issues []issue
	vpcs   map[string]int
	// subnets, instances and the rest are keyed by name across VPCs, as
	// the load balancers and target groups refer to them without a VPC.
	subnets   map[string]subnetRef
	instances map[string]instanceRef
	addrs     map[netip.Addr]string // every address in use -> the path that has it
	tgUsedBy  map[string]string     // target group -> the load balancer using it
}

type subnetRef struct {
	vpc  int
	s    *Subnet
	path string
}

type instanceRef struct {
	vpc  int
	path string
}

func (c *checker) add(path, format string, args ...any) {
	c.issues = append(c.issues, issue{path, fmt.Sprintf(format, args...)})
}

func check(t *Topology) []issue {
	var issues []issue
	required(reflect.ValueOf(t).Elem(), "", func(path string) { issues = append(issues, issue{path, "required, and missing"}) })
	return append(issues, checkRefs(t)...)
}

// required reports every field tagged required left at its zero value
// (an empty list included), in a file or in Go.
func required(v reflect.Value, path string, missing func(path string)) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == prefixType || v.Type() == addrType {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			f, fv := v.Type().Field(i), v.Field(i)
			fp := join(path, f.Tag.Get("yaml"))
			if f.Tag.Get("required") == "true" && (fv.IsZero() || fv.Kind() == reflect.Slice && fv.Len() == 0) {
				missing(fp)
			}
			required(fv, fp, missing)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			required(v.Index(i), fmt.Sprintf("%s[%d]", path, i), missing)
		}
	}
}

func checkRefs(t *Topology) []issue {
	c := &checker{t: t, vpcs: map[string]int{}, subnets: map[string]subnetRef{}, instances: map[string]instanceRef{}, addrs: map[netip.Addr]string{}, tgUsedBy: map[string]string{}}
	igws := map[string]string{}
	for i := range t.Vpcs {
		v := &t.Vpcs[i]
		p := fmt.Sprintf("Vpcs[%d]", i)
		c.unique(c.vpcs, v.Name, i, p+".Name", "VPC")
		if v.InternetGateway != "" {
			if prev, ok := igws[v.InternetGateway]; ok {
				c.add(p+".InternetGateway", "%q is already attached to %s (an internet gateway attaches to one VPC)", v.InternetGateway, prev)
			}
			igws[v.InternetGateway] = v.Name
		}
		if c.block(p+".CidrBlock", v.CidrBlock) {
			for j := 0; j < i; j++ {
				if o := t.Vpcs[j]; o.CidrBlock.IsValid() && o.CidrBlock.Overlaps(v.CidrBlock) {
					c.add(p+".CidrBlock", "%s overlaps VPC %s (%s): the lab's VPCs share one address plan", v.CidrBlock, o.Name, o.CidrBlock)
				}
			}
		}
		for j := range v.Subnets {
			c.subnet(i, j)
		}
	}
	for i := range t.Vpcs {
		c.vpc(i)
	}
	c.internet()
	for i := range t.LoadBalancers {
		c.loadBalancer(i)
	}
	tgs := map[string]int{}
	for i := range t.TargetGroups {
		c.unique(tgs, t.TargetGroups[i].Name, i, fmt.Sprintf("TargetGroups[%d].Name", i), "target group")
		c.targetGroup(i)
	}
	for i, lb := range t.LoadBalancers {
		for j, l := range lb.Listeners {
			if _, ok := tgs[l.TargetGroupName]; !ok && l.TargetGroupName != "" {
				c.add(fmt.Sprintf("LoadBalancers[%d].Listeners[%d].TargetGroupName", i, j), "no target group named %q%s", l.TargetGroupName, known(tgs))
			}
		}
	}
	for i := range t.FlowLogs {
		c.flowLog(i)
	}
	return c.issues
}

// unique records name as defined at index i, or reports it defined twice.
func (c *checker) unique(seen map[string]int, name string, i int, path, what string) {
	if name == "" {
		return
	}
	if _, ok := seen[name]; ok {
		c.add(path, "a %s named %q is already defined", what, name)
		return
	}
	seen[name] = i
}

// block checks a network's CIDR block: AWS's /16 to /28, no host bits.
// VPC User Guide, "VPC CIDR blocks".
func (c *checker) block(path string, p netip.Prefix) bool {
	if !p.IsValid() {
		return false
	}
	if p != p.Masked() {
		c.add(path, "%s has host bits set: the block is %s", p, p.Masked())
		return false
	}
	if p.Bits() < 16 || p.Bits() > 28 {
		c.add(path, "%s: the netmask must be between /16 and /28", p)
		return false
	}
	return true
}

// address claims a for path, or reports the address already in use.
func (c *checker) address(path string, a netip.Addr) {
	if !a.IsValid() {
		return
	}
	if prev, ok := c.addrs[a]; ok {
		c.add(path, "%s is already used by %s", a, prev)
		return
	}
	c.addrs[a] = path
}

// inSubnet checks that a is an address an ENI can take in s: inside it and
// not one of the five AWS reserves (VPC User Guide, "Subnet CIDR blocks").
func (c *checker) inSubnet(path string, a netip.Addr, s subnetRef) {
	p := s.s.CidrBlock
	if !a.IsValid() || !p.IsValid() {
		return
	}
	if !p.Contains(a) {
		c.add(path, "%s is outside subnet %s (%s)", a, s.s.Name, p)
		return
	}
	first := p.Masked().Addr()
	last := lastAddr(p)
	if a == last || a.Less(first.Next().Next().Next().Next()) {
		c.add(path, "%s is reserved by AWS in subnet %s (its first four addresses and the last)", a, s.s.Name)
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n |= 1<<(32-p.Bits()) - 1
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

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
		c.public(np+".PublicIp", n.PublicIp)
		c.address(np+".PublicIp", n.PublicIp)
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

// public checks an address meant for the internet segment lies outside
// every VPC.
func (c *checker) public(path string, a netip.Addr) {
	if !a.IsValid() {
		return
	}
	for _, v := range c.t.Vpcs {
		if v.CidrBlock.IsValid() && v.CidrBlock.Contains(a) {
			c.add(path, "%s is inside VPC %s (%s): want an address on the internet", a, v.Name, v.CidrBlock)
		}
	}
}

func (c *checker) services(path string, ss []Service) {
	ports := map[int]bool{}
	for i, s := range ss {
		sp := fmt.Sprintf("%s[%d]", path, i)
		if ports[s.Port] && s.Port != 0 {
			c.add(sp+".Port", "port %d is already served", s.Port)
		}
		ports[s.Port] = true
		if s.ProxyProtocol && s.Type != "ssh" {
			c.add(sp+".ProxyProtocol", "only an ssh service unwraps Proxy Protocol")
		}
		if s.Type == "ssh" && slices.ContainsFunc(ss[:i], func(o Service) bool { return o.Type == "ssh" }) {
			c.add(sp+".Type", "one ssh service a machine")
		}
	}
}

func (c *checker) internet() {
	names := map[string]int{}
	for name := range c.instances {
		names[name] = -1
	}
	for i, cl := range c.t.Internet.Clients {
		p := fmt.Sprintf("Internet.Clients[%d]", i)
		c.unique(names, cl.Name, i, p+".Name", "machine")
		c.public(p+".IpAddress", cl.IpAddress.Addr())
		c.address(p+".IpAddress", cl.IpAddress.Addr())
	}
	for i, s := range c.t.Internet.Servers {
		p := fmt.Sprintf("Internet.Servers[%d]", i)
		c.unique(names, s.Name, i, p+".Name", "machine")
		c.public(p+".IpAddress", s.IpAddress.Addr())
		c.address(p+".IpAddress", s.IpAddress.Addr())
		for j, sv := range s.Services {
			if sv.Type == "ssh" {
				c.add(fmt.Sprintf("%s.Services[%d].Type", p, j), "internet servers serve http-echo or tcp-echo; ssh runs on instances")
			}
		}
		c.services(p+".Services", s.Services)
	}
}

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
			c.public(mp+".PublicIPv4Address", m.PublicIPv4Address)
			c.address(mp+".PublicIPv4Address", m.PublicIPv4Address)
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
			case !privateTarget(a):
				// ELB User Guide, "Target type": publicly routable addresses
				// cannot be registered.
				c.add(tp, "%s is a public address: ip targets are private (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10)", a)
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

// privateTarget reports whether a is in a range AWS accepts for ip targets.
func privateTarget(a netip.Addr) bool {
	for _, p := range []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"} {
		if netip.MustParsePrefix(p).Contains(a) {
			return true
		}
	}
	return false
}

// known lists the names a reference could have used.
func known(m map[string]int) string {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	if len(names) == 0 {
		return " (none is defined)"
	}
	slices.Sort(names)
	return " (defined: " + strings.Join(names, ", ") + ")"
}
