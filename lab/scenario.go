package lab

import (
	"maps"
	"net/netip"
	"strconv"

	"github.com/vlab-sim/vlab/lab/topology"
	"github.com/vlab-sim/vlab/nlb"
)

// Names of the reference scenario's resources (ARCHITECTURE.md, "The reference scenario").
const (
	vpcName          = "vlab-vpc"
	igwName          = "vlab-igw"
	publicTable      = "vlab-public"
	privateTable     = "vlab-private"
	targetGroupName  = "ssh-targets"
	targetGroupSG    = "ssh-target"
	nlbName          = "vlab-nlb"
	nlbGroupName     = "vlab-nlb"
	natName          = "natgw"
	mirrorName       = "mirror"
	clientName       = "client"
	firstTargetAlias = "ec2"
)

// Spec returns the topology the lab of c is: c.Topology when set,
// otherwise the reference scenario with c's switches applied.
// examples/reference.yaml is Default().Spec() written out.
func (c Config) Spec() (*topology.Topology, error) {
	if c.Topology != nil {
		return c.Topology, nil
	}
	if err := c.fill(); err != nil {
		return nil, err
	}
	hc, err := c.HealthCheck.WithDefaults()
	if err != nil {
		return nil, err
	}
	any4 := netip.MustParsePrefix("0.0.0.0/0")
	vpc := topology.VPC{
		Name: vpcName, CidrBlock: vpcCIDR, InternetGateway: igwName,
		RouteTables: []topology.RouteTable{
			{Name: publicTable, Routes: []topology.Route{{DestinationCidrBlock: any4, GatewayId: igwName}}},
			{Name: privateTable},
		},
	}
	// Both zones' subnets exist, as in the experiment's VPC, whichever the
	// NLB is enabled in.
	for _, z := range []string{"1a", "1c"} {
		zl := zones[z]
		vpc.Subnets = append(vpc.Subnets,
			topology.Subnet{Name: "vlab-public-" + z, CidrBlock: zl.public, AvailabilityZone: Region + z[1:], RouteTable: publicTable},
			topology.Subnet{Name: "vlab-private-" + z, CidrBlock: zl.private, AvailabilityZone: Region + z[1:], RouteTable: privateTable})
	}
	if c.NATGateway {
		vpc.NatGateways = []topology.NatGateway{{Name: natName, Subnet: "vlab-public-1a", PrivateIpAddress: natPrivate, PublicIp: natPublic}}
		vpc.RouteTables[1].Routes = []topology.Route{{DestinationCidrBlock: any4, NatGatewayId: natName}}
	}

	lb := topology.LoadBalancer{
		Name: nlbName, Type: "network", Scheme: "internet-facing",
		LoadBalancerAttributes: nonEmpty(c.LoadBalancerAttributes),
		Listeners: []topology.Listener{{
			Port: int(c.ListenerPort), Protocol: "TCP", TargetGroupName: targetGroupName,
			ListenerAttributes: nonEmpty(c.ListenerAttributes),
		}},
	}
	for _, z := range c.Zones {
		zl := zones[z]
		lb.SubnetMappings = append(lb.SubnetMappings, topology.SubnetMapping{SubnetId: "vlab-public-" + z, PrivateIPv4Address: zl.nodePrivate, PublicIPv4Address: zl.nodePublic})
	}
	port := int(c.TargetPort)
	target := topology.SecurityGroup{GroupName: targetGroupSG, GroupDescription: "SSH from the NLB nodes and the client"}
	rule := func(cidr netip.Prefix, desc string) topology.SGRule {
		return topology.SGRule{IpProtocol: "tcp", FromPort: port, ToPort: port, CidrIp: cidr, Description: desc}
	}
	if c.NLBSecurityGroup {
		vpc.SecurityGroups = append(vpc.SecurityGroups, topology.SecurityGroup{
			GroupName: nlbGroupName, GroupDescription: "clients to the NLB listener",
			SecurityGroupIngress: []topology.SGRule{{IpProtocol: "tcp", FromPort: int(c.ListenerPort), ToPort: int(c.ListenerPort), CidrIp: any4, Description: "clients"}},
		})
		lb.SecurityGroups = []string{nlbGroupName}
		// One rule admits both the health checks (from the nodes, members
		// of the group) and the clients' traffic the nodes forward.
		target.SecurityGroupIngress = []topology.SGRule{{IpProtocol: "tcp", FromPort: port, ToPort: port, SourceSecurityGroupName: nlbGroupName, Description: "the NLB"}}
	} else {
		// The experiment's two rules: from every NLB node (health checks
		// come from the nodes' private addresses) and from the client
		// (client IP preservation keeps its address).
		if !c.NoSGNLBRule {
			for _, z := range c.Zones {
				target.SecurityGroupIngress = append(target.SecurityGroupIngress, rule(netip.PrefixFrom(zones[z].nodePrivate, 32), "health checks from nlb-"+z))
			}
		}
		if !c.NoSGClientRule {
			target.SecurityGroupIngress = append(target.SecurityGroupIngress, rule(netip.PrefixFrom(clientAddr.Addr(), 32), "the client PC"))
		}
	}
	vpc.SecurityGroups = append(vpc.SecurityGroups, target)

	tg := topology.TargetGroup{
		Name: targetGroupName, Protocol: "TCP", Port: port, TargetType: nlb.TargetTypeInstance, VpcId: vpcName,
		HealthCheckProtocol: hc.Protocol, HealthCheckPort: hc.Port,
		HealthCheckIntervalSeconds: hc.IntervalSeconds, HealthCheckTimeoutSeconds: hc.TimeoutSeconds,
		HealthyThresholdCount: hc.HealthyThresholdCount, UnhealthyThresholdCount: hc.UnhealthyThresholdCount,
	}
	if c.TargetType != "" {
		tg.TargetType = c.TargetType
	}
	if hc.Protocol == "HTTP" {
		tg.HealthCheckPath, tg.Matcher.HttpCode = hc.Path, hc.Matcher
	}
	attrs := maps.Clone(c.TargetGroupAttributes)
	if attrs == nil {
		attrs = map[string]string{}
	}
	if c.PreserveClientIP != nil {
		attrs[nlb.AttrPreserveClientIP] = strconv.FormatBool(*c.PreserveClientIP)
	}
	if c.ProxyProtocol {
		attrs[nlb.AttrProxyProtocolV2] = "true"
	}
	tg.TargetGroupAttributes = nonEmpty(attrs)

	next := map[string]netip.Addr{}
	for i := 0; i < c.Targets; i++ {
		z := c.Zones[i%len(c.Zones)]
		addr, ok := next[z]
		if !ok {
			addr = zones[z].firstTarget
		}
		next[z] = addr.Next()
		name := firstTargetAlias
		if i > 0 {
			name += "-" + strconv.Itoa(i+1)
		}
		vpc.Instances = append(vpc.Instances, topology.Instance{
			Name: name, Subnet: "vlab-private-" + z, PrivateIpAddress: addr,
			SecurityGroups: []string{targetGroupSG},
			Services:       []topology.Service{{Type: "ssh", Port: port, ProxyProtocol: c.ProxyProtocol}},
		})
		id := name
		if tg.TargetType == nlb.TargetTypeIP {
			id = addr.String()
		}
		tg.Targets = append(tg.Targets, topology.Target{Id: id})
	}

	return &topology.Topology{
		Seed: c.Seed,
		Vpcs: []topology.VPC{vpc},
		Internet: topology.Internet{
			Clients: []topology.Client{{Name: clientName, IpAddress: clientAddr}},
			// A package mirror that tells who asked: what the instance
			// reaches through a NAT gateway.
			Servers: []topology.Server{{Name: mirrorName, IpAddress: mirrorAddr, Services: []topology.Service{{Type: "http-echo", Port: 80}}}},
		},
		LoadBalancers: []topology.LoadBalancer{lb},
		TargetGroups:  []topology.TargetGroup{tg},
	}, nil
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}
