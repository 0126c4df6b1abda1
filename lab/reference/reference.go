package reference

import (
	"fmt"
	"maps"
	"net/netip"
	"strconv"

	"github.com/vlab-sim/vlab/lab/topology"
	"github.com/vlab-sim/vlab/nlb"
)

// Names of the reference scenario's resources (ARCHITECTURE.md, "The
// reference scenario"): what a lab built from it calls its parts.
const (
	VPC                 = "vlab-vpc"
	InternetGateway     = "vlab-igw"
	PublicRouteTable    = "vlab-public"
	PrivateRouteTable   = "vlab-private"
	TargetGroup         = "ssh-targets"
	TargetSecurityGroup = "ssh-target"
	LoadBalancer        = "vlab-nlb"
	NLBSecurityGroup    = "vlab-nlb"
	NATGateway          = "natgw"
	Mirror              = "mirror"
	Client              = "client"
	// FirstInstance is the first instance's name; the others are ec2-2,
	// ec2-3…
	FirstInstance = "ec2"
)

// Config is the reference scenario's switches; the zero value of a field
// keeps the experiment's default.
type Config struct {
	// Seed makes every resource id reproducible (1 by default).
	Seed uint64
	// Zones are the zone suffixes the NLB is enabled in ("1a", "1c").
	Zones []string
	// Targets is the number of instances registered behind the NLB,
	// spread over the enabled zones in turn.
	Targets int
	// ListenerPort is the NLB's TCP listener (51512); TargetPort the
	// target group's port, where the instances' SSH servers listen (22).
	ListenerPort uint16
	TargetPort   uint16

	// NoSGNLBRule leaves out the target security group's rule for the NLB
	// nodes' private addresses (health checks then fail); NoSGClientRule
	// the rule for the client's address (sessions then cannot open).
	NoSGNLBRule    bool
	NoSGClientRule bool
	// NLBSecurityGroup creates the NLB with a security group (vlab-nlb:
	// TCP on the listener port from anywhere) and replaces the instances'
	// two address rules with one that references it, as AWS allows since
	// 2023.
	NLBSecurityGroup bool

	// HealthCheck overrides the target group's health-check settings
	// (zero fields keep AWS's defaults).
	HealthCheck nlb.HealthCheck
	// Attributes by AWS key (deregistration_delay.timeout_seconds,
	// load_balancing.cross_zone.enabled, tcp.idle_timeout.seconds…).
	TargetGroupAttributes  map[string]string
	LoadBalancerAttributes map[string]string
	ListenerAttributes     map[string]string

	// TargetType is instance (the default) or ip.
	TargetType string
	// PreserveClientIP overrides the target group's
	// preserve_client_ip.enabled (AWS's default: on for instance, off for
	// ip targets).
	PreserveClientIP *bool
	// ProxyProtocol turns on proxy_protocol_v2.enabled, and the instances'
	// SSH servers unwrap the header.
	ProxyProtocol bool
	// Image is the instances' AMI: al2 (the seed's, the default) or
	// al2023.
	Image string
	// NATGateway adds the NAT gateway (natgw: 10.0.0.50 in the 1a public
	// subnet, public 198.51.100.30) and the private route table's
	// 0.0.0.0/0 route to it.
	NATGateway bool
}

// Default returns the reference scenario: NLB in 1a, one target, listener
// 51512 to port 22.
func Default() Config {
	return Config{Seed: 1, Zones: []string{"1a"}, Targets: 1, ListenerPort: 51512, TargetPort: 22}
}

var (
	natPrivate = netip.MustParseAddr("10.0.0.50")
	natPublic  = netip.MustParseAddr("198.51.100.30")
	vpcCIDR    = netip.MustParsePrefix("10.0.0.0/16")
	clientAddr = netip.MustParsePrefix("203.0.113.10/24")
	mirrorAddr = netip.MustParsePrefix("192.0.2.80/24")
)

// zoneLayout is what the reference scenario fixes for each zone.
type zoneLayout struct {
	public, private netip.Prefix
	nodePrivate     netip.Addr
	nodePublic      netip.Addr
	firstTarget     netip.Addr
}

var zones = map[string]zoneLayout{
	"1a": {
		public:      netip.MustParsePrefix("10.0.0.0/20"),
		private:     netip.MustParsePrefix("10.0.128.0/20"),
		nodePrivate: netip.MustParseAddr("10.0.10.25"),
		nodePublic:  netip.MustParseAddr("198.51.100.10"),
		firstTarget: netip.MustParseAddr("10.0.128.108"),
	},
	"1c": {
		public:      netip.MustParsePrefix("10.0.16.0/20"),
		private:     netip.MustParsePrefix("10.0.144.0/20"),
		nodePrivate: netip.MustParseAddr("10.0.26.25"),
		nodePublic:  netip.MustParseAddr("198.51.100.11"),
		firstTarget: netip.MustParseAddr("10.0.144.108"),
	},
}

// Topology returns the reference scenario with c's switches applied, as
// a topology (examples/reference.yaml is Default().Topology() written out).
func (c Config) Topology() (*topology.Topology, error) {
	if err := c.fill(); err != nil {
		return nil, err
	}
	hc, err := c.HealthCheck.WithDefaults()
	if err != nil {
		return nil, err
	}
	any4 := netip.MustParsePrefix("0.0.0.0/0")
	vpc := topology.VPC{
		Name: VPC, CidrBlock: vpcCIDR, InternetGateway: InternetGateway,
		RouteTables: []topology.RouteTable{
			{Name: PublicRouteTable, Routes: []topology.Route{{DestinationCidrBlock: any4, GatewayId: InternetGateway}}},
			{Name: PrivateRouteTable},
		},
	}
	// Both zones' subnets exist, as in the experiment's VPC, whichever the
	// NLB is enabled in.
	for _, z := range []string{"1a", "1c"} {
		zl := zones[z]
		vpc.Subnets = append(vpc.Subnets,
			topology.Subnet{Name: "vlab-public-" + z, CidrBlock: zl.public, AvailabilityZone: topology.Region + z[1:], RouteTable: PublicRouteTable},
			topology.Subnet{Name: "vlab-private-" + z, CidrBlock: zl.private, AvailabilityZone: topology.Region + z[1:], RouteTable: PrivateRouteTable})
	}
	if c.NATGateway {
		vpc.NatGateways = []topology.NatGateway{{Name: NATGateway, Subnet: "vlab-public-1a", PrivateIpAddress: natPrivate, PublicIp: natPublic}}
		vpc.RouteTables[1].Routes = []topology.Route{{DestinationCidrBlock: any4, NatGatewayId: NATGateway}}
	}

	lb := topology.LoadBalancer{
		Name: LoadBalancer, Type: "network", Scheme: "internet-facing",
		LoadBalancerAttributes: nonEmpty(c.LoadBalancerAttributes),
		Listeners: []topology.Listener{{
			Port: int(c.ListenerPort), Protocol: "TCP", TargetGroupName: TargetGroup,
			ListenerAttributes: nonEmpty(c.ListenerAttributes),
		}},
	}
	for _, z := range c.Zones {
		zl := zones[z]
		lb.SubnetMappings = append(lb.SubnetMappings, topology.SubnetMapping{SubnetId: "vlab-public-" + z, PrivateIPv4Address: zl.nodePrivate, PublicIPv4Address: zl.nodePublic})
	}
	port := int(c.TargetPort)
	target := topology.SecurityGroup{GroupName: TargetSecurityGroup, GroupDescription: "SSH from the NLB nodes and the client"}
	rule := func(cidr netip.Prefix, desc string) topology.SGRule {
		return topology.SGRule{IpProtocol: "tcp", FromPort: port, ToPort: port, CidrIp: cidr, Description: desc}
	}
	if c.NLBSecurityGroup {
		vpc.SecurityGroups = append(vpc.SecurityGroups, topology.SecurityGroup{
			GroupName: NLBSecurityGroup, GroupDescription: "clients to the NLB listener",
			SecurityGroupIngress: []topology.SGRule{{IpProtocol: "tcp", FromPort: int(c.ListenerPort), ToPort: int(c.ListenerPort), CidrIp: any4, Description: "clients"}},
		})
		lb.SecurityGroups = []string{NLBSecurityGroup}
		// One rule admits both the health checks (from the nodes, members
		// of the group) and the clients' traffic the nodes forward.
		target.SecurityGroupIngress = []topology.SGRule{{IpProtocol: "tcp", FromPort: port, ToPort: port, SourceSecurityGroupName: NLBSecurityGroup, Description: "the NLB"}}
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
		Name: TargetGroup, Protocol: "TCP", Port: port, TargetType: nlb.TargetTypeInstance, VpcId: VPC,
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

	// The seed's instance ran Amazon Linux 2: its tcpdump and sshd print
	// what the seed shows.
	image := c.Image
	if image == "" {
		image = "al2"
	}
	next := map[string]netip.Addr{}
	for i := 0; i < c.Targets; i++ {
		z := c.Zones[i%len(c.Zones)]
		addr, ok := next[z]
		if !ok {
			addr = zones[z].firstTarget
		}
		next[z] = addr.Next()
		name := FirstInstance
		if i > 0 {
			name += "-" + strconv.Itoa(i+1)
		}
		vpc.Instances = append(vpc.Instances, topology.Instance{
			Name: name, Subnet: "vlab-private-" + z, PrivateIpAddress: addr,
			SecurityGroups: []string{TargetSecurityGroup},
			ImageId:        image,
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
			Clients: []topology.Client{{Name: Client, IpAddress: clientAddr}},
			// A package mirror that tells who asked: what the instance
			// reaches through a NAT gateway.
			Servers: []topology.Server{{Name: Mirror, IpAddress: mirrorAddr, Services: []topology.Service{{Type: "http-echo", Port: 80}}}},
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

func (c *Config) fill() error {
	d := Default()
	if len(c.Zones) == 0 {
		c.Zones = d.Zones
	}
	if c.Targets == 0 {
		c.Targets = d.Targets
	}
	if c.ListenerPort == 0 {
		c.ListenerPort = d.ListenerPort
	}
	if c.TargetPort == 0 {
		c.TargetPort = d.TargetPort
	}
	seen := map[string]bool{}
	for _, z := range c.Zones {
		if _, ok := zones[z]; !ok {
			return fmt.Errorf("zones: %q is not a zone of the lab (1a or 1c)", z)
		}
		if seen[z] {
			return fmt.Errorf("zones: %q is given twice", z)
		}
		seen[z] = true
	}
	if c.Targets < 0 || c.Targets > 100 {
		return fmt.Errorf("targets: %d is out of range (1-100)", c.Targets)
	}
	return nil
}
