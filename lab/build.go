package lab

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/client"
	"github.com/vlab-sim/vlab/lab/topology"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/target"
	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/limits"
)

// builder turns a topology into running parts. Every error it returns is a
// *topology.PathError naming the field at fault, so that vlab validate can
// place it in the file.
type builder struct {
	l *Lab
	t *topology.Topology

	vpcs    map[string]*vnet.VPC
	subnets map[string]*vnet.Subnet
	groups  map[*vnet.VPC]map[string]*vnet.SecurityGroup
	lbs     map[string]*nlb.LoadBalancer
	tgs     map[string]*nlb.TargetGroup
}

func at(path string, err error) error {
	if err == nil {
		return nil
	}
	return &topology.PathError{Path: path, Err: err}
}

// atField places err at the field of path it is about: an attribute by the
// key its *limits.AttributeError names, or one its message names (a
// rule between attributes), or a setting by its AWS name
// (HealthCheckTimeoutSeconds).
func atField(path string, err error, attrField string, attrs map[string]string, fields ...string) error {
	// An attribute the table refuses names its key.
	var ae *limits.AttributeError
	if errors.As(err, &ae) {
		if _, ok := attrs[ae.Key]; ok {
			return at(path+"."+attrField+"."+ae.Key, err)
		}
	}
	msg := err.Error()
	best, where := path, len(msg)
	// The field the message names first is the one at fault.
	for k := range attrs {
		if i := strings.Index(msg, k); i >= 0 && i < where {
			best, where = path+"."+attrField+"."+k, i
		}
	}
	for _, f := range fields {
		if i := strings.Index(msg, f); i >= 0 && i < where {
			best, where = path+"."+f, i
		}
	}
	return at(best, err)
}

func (l *Lab) build(t *topology.Topology) (*builder, error) {
	b := &builder{l: l, t: t,
		vpcs: map[string]*vnet.VPC{}, subnets: map[string]*vnet.Subnet{},
		groups: map[*vnet.VPC]map[string]*vnet.SecurityGroup{},
		lbs:    map[string]*nlb.LoadBalancer{}, tgs: map[string]*nlb.TargetGroup{},
	}
	for i := range t.Vpcs {
		if err := b.vpc(i); err != nil {
			return nil, err
		}
	}
	if err := b.internet(); err != nil {
		return nil, err
	}
	for i := range t.LoadBalancers {
		if err := b.loadBalancer(i); err != nil {
			return nil, err
		}
	}
	for i := range t.TargetGroups {
		if err := b.targetGroup(i); err != nil {
			return nil, err
		}
	}
	for i, lb := range t.LoadBalancers {
		for j, ls := range lb.Listeners {
			p := fmt.Sprintf("LoadBalancers[%d].Listeners[%d]", i, j)
			tg, ok := b.tgs[ls.TargetGroupName]
			if !ok {
				return nil, at(p+".TargetGroupName", fmt.Errorf("no target group named %q", ls.TargetGroupName))
			}
			if _, err := b.lbs[lb.Name].AddListener(nlb.ListenerConfig{Protocol: "TCP", Port: uint16(ls.Port), TargetGroup: tg, Attributes: ls.ListenerAttributes}); err != nil {
				return nil, atField(p, err, "ListenerAttributes", ls.ListenerAttributes)
			}
		}
	}
	for i := range t.Vpcs {
		for j := range t.Vpcs[i].Instances {
			if err := b.instance(i, j); err != nil {
				return nil, err
			}
		}
	}
	for i := range t.TargetGroups {
		if err := b.register(i); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (b *builder) vpc(i int) error {
	tv := &b.t.Vpcs[i]
	p := fmt.Sprintf("Vpcs[%d]", i)
	v, err := b.l.Net.AddVPC(tv.Name, tv.CidrBlock)
	if err != nil {
		return at(p, err)
	}
	b.vpcs[tv.Name] = v
	b.l.VPCs = append(b.l.VPCs, v)
	if tv.InternetGateway != "" {
		if _, err := v.AttachInternetGateway(tv.InternetGateway); err != nil {
			return at(p+".InternetGateway", err)
		}
	}
	tables := map[string]*vnet.RouteTable{}
	for _, rt := range tv.RouteTables {
		tables[rt.Name] = v.AddRouteTable(rt.Name)
	}
	acls := map[string]*vnet.NetworkACL{}
	for j, a := range tv.NetworkAcls {
		acl := v.AddNetworkACL(a.Name)
		acls[a.Name] = acl
		for k, e := range a.Entries {
			r := vnet.ACLRule{Number: e.RuleNumber, Protocol: protocol(e.Protocol), Ports: vnet.PortRange{From: uint16(e.PortRange.From), To: uint16(e.PortRange.To)}, CIDR: e.CidrBlock, Allow: e.RuleAction == "allow"}
			if err := acl.AddRule(e.Egress, r); err != nil {
				return at(fmt.Sprintf("%s.NetworkAcls[%d].Entries[%d]", p, j, k), err)
			}
		}
	}
	for j, s := range tv.Subnets {
		sp := fmt.Sprintf("%s.Subnets[%d]", p, j)
		sn, err := v.AddSubnet(vnet.SubnetConfig{Name: s.Name, CIDR: s.CidrBlock, Zone: s.AvailabilityZone})
		if err != nil {
			return at(sp, err)
		}
		b.subnets[s.Name] = sn
		if s.RouteTable != "" {
			if err := sn.Associate(tables[s.RouteTable]); err != nil {
				return at(sp+".RouteTable", err)
			}
		}
		if s.NetworkAcl != "" {
			if err := sn.AssociateNetworkACL(acls[s.NetworkAcl]); err != nil {
				return at(sp+".NetworkAcl", err)
			}
		}
	}
	nats := map[string]*vnet.NATGateway{}
	for j, n := range tv.NatGateways {
		g, err := v.AddNATGateway(n.Name, b.subnets[n.Subnet], n.PrivateIpAddress, n.PublicIp)
		if err != nil {
			return at(fmt.Sprintf("%s.NatGateways[%d]", p, j), err)
		}
		nats[n.Name] = g
		b.l.NATGateways = append(b.l.NATGateways, g)
	}
	for j, rt := range tv.RouteTables {
		for k, r := range rt.Routes {
			var to vnet.RouteTarget
			if r.NatGatewayId != "" {
				to = nats[r.NatGatewayId]
			} else {
				to = v.InternetGateway()
			}
			if err := tables[rt.Name].AddRoute(r.DestinationCidrBlock, to); err != nil {
				return at(fmt.Sprintf("%s.RouteTables[%d].Routes[%d]", p, j, k), err)
			}
		}
	}
	return b.securityGroups(i, v)
}

// securityGroups creates a VPC's groups first and adds their rules after,
// as rules may reference any group of the VPC.
func (b *builder) securityGroups(i int, v *vnet.VPC) error {
	tv := &b.t.Vpcs[i]
	groups := map[string]*vnet.SecurityGroup{"default": v.DefaultSecurityGroup()}
	b.groups[v] = groups
	for j, g := range tv.SecurityGroups {
		sg, err := v.AddSecurityGroup(g.GroupName, g.GroupDescription)
		if err != nil {
			return at(fmt.Sprintf("Vpcs[%d].SecurityGroups[%d]", i, j), err)
		}
		groups[g.GroupName] = sg
	}
	for j, g := range tv.SecurityGroups {
		sg := groups[g.GroupName]
		gp := fmt.Sprintf("Vpcs[%d].SecurityGroups[%d]", i, j)
		for k, r := range g.SecurityGroupIngress {
			if err := sg.AuthorizeIngress(sgRule(r, groups[r.SourceSecurityGroupName])); err != nil {
				return at(fmt.Sprintf("%s.SecurityGroupIngress[%d]", gp, k), err)
			}
		}
		if g.SecurityGroupEgress == nil {
			continue // AWS's default egress rule stays
		}
		for _, r := range sg.Outbound() {
			if err := sg.RevokeEgress(r); err != nil {
				return at(gp+".SecurityGroupEgress", err)
			}
		}
		for k, r := range g.SecurityGroupEgress {
			if err := sg.AuthorizeEgress(sgRule(r, groups[r.DestinationSecurityGroupName])); err != nil {
				return at(fmt.Sprintf("%s.SecurityGroupEgress[%d]", gp, k), err)
			}
		}
	}
	return nil
}

func sgRule(r topology.SGRule, peer *vnet.SecurityGroup) vnet.SGRule {
	return vnet.SGRule{
		Protocol:    protocol(r.IpProtocol),
		Ports:       vnet.PortRange{From: uint16(max(r.FromPort, 0)), To: uint16(max(r.ToPort, 0))},
		CIDR:        r.CidrIp,
		Group:       peer,
		Description: r.Description,
	}
}

// protocol maps AWS's -1 (every protocol) to the fabric's name.
func protocol(p string) string {
	if p == "-1" {
		return "all"
	}
	return p
}

func (b *builder) internet() error {
	for i, c := range b.t.Internet.Clients {
		pc, err := client.New(b.l.Net, client.Config{Name: c.Name, Addr: c.IpAddress, Key: b.l.Config.ClientKey})
		if err != nil {
			return at(fmt.Sprintf("Internet.Clients[%d]", i), err)
		}
		b.l.Clients = append(b.l.Clients, pc)
	}
	for i, s := range b.t.Internet.Servers {
		p := fmt.Sprintf("Internet.Servers[%d]", i)
		h, err := b.l.Net.NewHost(s.Name)
		if err != nil {
			return at(p, err)
		}
		if _, err := h.AttachInternet(s.IpAddress); err != nil {
			return at(p+".IpAddress", err)
		}
		b.l.Servers = append(b.l.Servers, h)
		for j, sv := range s.Services {
			if err := b.l.serve(h.Listen, sv, s.Name); err != nil {
				return at(fmt.Sprintf("%s.Services[%d]", p, j), err)
			}
		}
	}
	return nil
}

func (b *builder) loadBalancer(i int) error {
	tl := &b.t.LoadBalancers[i]
	p := fmt.Sprintf("LoadBalancers[%d]", i)
	var maps []nlb.SubnetMapping
	var vpc *vnet.VPC
	for j, m := range tl.SubnetMappings {
		s, ok := b.subnets[m.SubnetId]
		if !ok {
			return at(fmt.Sprintf("%s.SubnetMappings[%d].SubnetId", p, j), fmt.Errorf("no subnet named %q", m.SubnetId))
		}
		vpc = s.VPC()
		maps = append(maps, nlb.SubnetMapping{Subnet: s, PrivateAddr: m.PrivateIPv4Address, PublicAddr: m.PublicIPv4Address})
	}
	groups, err := b.groupsOf(vpc, tl.SecurityGroups, p)
	if err != nil {
		return err
	}
	lb, err := nlb.New(b.l.Net, nlb.Config{Name: tl.Name, Scheme: tl.Scheme, Subnets: maps, SecurityGroups: groups, Attributes: tl.LoadBalancerAttributes})
	if err != nil {
		return atField(p, err, "LoadBalancerAttributes", tl.LoadBalancerAttributes)
	}
	b.l.closers = append(b.l.closers, func() { lb.Close() })
	b.lbs[tl.Name] = lb
	b.l.LoadBalancers = append(b.l.LoadBalancers, lb)
	return nil
}

// groupsOf finds VPC v's security groups by name, for the resource at
// path.
func (b *builder) groupsOf(v *vnet.VPC, names []string, path string) ([]*vnet.SecurityGroup, error) {
	var groups []*vnet.SecurityGroup
	for j, g := range names {
		sg, ok := b.groups[v][g]
		if !ok {
			return nil, at(fmt.Sprintf("%s.SecurityGroups[%d]", path, j), fmt.Errorf("no security group named %q", g))
		}
		groups = append(groups, sg)
	}
	return groups, nil
}

func (b *builder) targetGroup(i int) error {
	tt := &b.t.TargetGroups[i]
	p := fmt.Sprintf("TargetGroups[%d]", i)
	tg, err := nlb.NewTargetGroup(b.l.Net, nlb.TargetGroupConfig{
		Name: tt.Name, Protocol: "TCP", Port: uint16(tt.Port), TargetType: tt.TargetType, VPC: b.vpcs[tt.VpcId],
		HealthCheck: nlb.HealthCheck{
			Protocol: tt.HealthCheckProtocol, Port: tt.HealthCheckPort, Path: tt.HealthCheckPath, Matcher: tt.Matcher.HttpCode,
			IntervalSeconds: tt.HealthCheckIntervalSeconds, TimeoutSeconds: tt.HealthCheckTimeoutSeconds,
			HealthyThresholdCount: tt.HealthyThresholdCount, UnhealthyThresholdCount: tt.UnhealthyThresholdCount,
		},
		Attributes: tt.TargetGroupAttributes,
	})
	if err != nil {
		return atField(p, err, "TargetGroupAttributes", tt.TargetGroupAttributes,
			"HealthCheckProtocol", "HealthCheckPort", "HealthCheckPath", "HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds",
			"HealthyThresholdCount", "UnhealthyThresholdCount", "Matcher")
	}
	b.l.closers = append(b.l.closers, tg.Close)
	b.tgs[tt.Name] = tg
	b.l.TargetGroups = append(b.l.TargetGroups, tg)
	return nil
}

func (b *builder) instance(vi, i int) error {
	ti := &b.t.Vpcs[vi].Instances[i]
	p := fmt.Sprintf("Vpcs[%d].Instances[%d]", vi, i)
	v := b.vpcs[b.t.Vpcs[vi].Name]
	groups, err := b.groupsOf(v, ti.SecurityGroups, p)
	if err != nil {
		return err
	}
	c := target.Config{
		Subnet: b.subnets[ti.Subnet], Addr: ti.PrivateIpAddress, HostKey: b.l.Config.HostKey,
		AuthorizedKeys: append([]ssh.PublicKey{b.l.Config.ClientKey.PublicKey()}, b.l.Config.AuthorizedKeys...),
		SSHPort:        -1, SecurityGroups: groups,
		ConnectionTracking: vnet.ConnectionTracking(ti.ConnectionTrackingSpecification),
		Image:              ti.ImageId,
		MetadataOptions:    target.MetadataOptions(ti.MetadataOptions),
	}
	for _, s := range ti.Services {
		if s.Type == "ssh" {
			c.SSHPort, c.ProxyProtocol = s.Port, s.ProxyProtocol
		}
	}
	in, err := target.New(b.l.Net, c)
	if err != nil {
		return at(p, err)
	}
	b.l.closers = append(b.l.closers, func() { in.Close() })
	b.l.Instances = append(b.l.Instances, in)
	b.l.instanceNames[ti.Name] = in
	for j, s := range ti.Services {
		if s.Type == "ssh" {
			continue
		}
		if err := b.l.serve(in.Listen, s, ti.Name); err != nil {
			return at(fmt.Sprintf("%s.Services[%d]", p, j), err)
		}
	}
	return nil
}

func (b *builder) register(i int) error {
	tt := &b.t.TargetGroups[i]
	tg := b.tgs[tt.Name]
	for j, t := range tt.Targets {
		p := fmt.Sprintf("TargetGroups[%d].Targets[%d]", i, j)
		r := nlb.Target{Port: uint16(t.Port)}
		if tt.TargetType == nlb.TargetTypeIP {
			a, err := netip.ParseAddr(t.Id)
			if err != nil {
				return at(p+".Id", fmt.Errorf("%q is not an IPv4 address", t.Id))
			}
			r.ID, r.IP = a.String(), a
		} else {
			in, ok := b.l.instanceNames[t.Id]
			if !ok {
				return at(p+".Id", fmt.Errorf("no instance named %q", t.Id))
			}
			r.ID, r.ENI, r.IP = in.ID(), in.ENI(), in.Addr()
		}
		if err := tg.Register(r); err != nil {
			return at(p, err)
		}
	}
	return nil
}
