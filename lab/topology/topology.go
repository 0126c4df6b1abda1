package topology

import "net/netip"

// The struct tags drive both decoding and the JSON Schema: yaml is the key,
// doc its description, enum the values it takes, min and max an integer's
// range, required that the key must be given.

// Topology is a whole lab.
type Topology struct {
	Seed          uint64         `yaml:"Seed" doc:"makes every resource id (vpc-…, eni-…, i-…) the same on every run; 1 when omitted"`
	Vpcs          []VPC          `yaml:"Vpcs" doc:"the VPCs, each with its subnets, route tables, gateways, security groups, network ACLs and instances"`
	Internet      Internet       `yaml:"Internet" doc:"machines on the internet segment, outside every VPC"`
	LoadBalancers []LoadBalancer `yaml:"LoadBalancers" doc:"Network Load Balancers"`
	TargetGroups  []TargetGroup  `yaml:"TargetGroups" doc:"target groups, each used by one load balancer's listeners"`
	FlowLogs      []FlowLog      `yaml:"FlowLogs" doc:"VPC Flow Logs"`
}

// VPC is a virtual private cloud and what lives in it.
type VPC struct {
	Name            string          `yaml:"Name" required:"true" doc:"the VPC's name (its Name tag); other resources refer to it by this name"`
	CidrBlock       netip.Prefix    `yaml:"CidrBlock" required:"true" doc:"the VPC's IPv4 CIDR block, /16 to /28"`
	InternetGateway string          `yaml:"InternetGateway" doc:"the name of an internet gateway attached to the VPC; none when omitted"`
	RouteTables     []RouteTable    `yaml:"RouteTables" doc:"route tables besides the main one, which holds only the local route"`
	Subnets         []Subnet        `yaml:"Subnets"`
	NatGateways     []NatGateway    `yaml:"NatGateways"`
	SecurityGroups  []SecurityGroup `yaml:"SecurityGroups" doc:"security groups besides the VPC's default group, named default"`
	NetworkAcls     []NetworkAcl    `yaml:"NetworkAcls" doc:"network ACLs besides the default one, which allows everything"`
	Instances       []Instance      `yaml:"Instances" doc:"EC2-like instances, each with its own TCP/IP stack"`
}

// RouteTable is a route table; every table also holds the VPC's local
// route.
type RouteTable struct {
	Name   string  `yaml:"Name" required:"true"`
	Routes []Route `yaml:"Routes"`
}

// Route sends a destination to a gateway: exactly one of GatewayId and
// NatGatewayId is set.
type Route struct {
	DestinationCidrBlock netip.Prefix `yaml:"DestinationCidrBlock" required:"true" doc:"the destination, 0.0.0.0/0 for a default route"`
	GatewayId            string       `yaml:"GatewayId" doc:"the name of the VPC's internet gateway"`
	NatGatewayId         string       `yaml:"NatGatewayId" doc:"the name of a NAT gateway of the VPC"`
}

// Subnet is a subnet in one availability zone.
type Subnet struct {
	Name             string       `yaml:"Name" required:"true"`
	CidrBlock        netip.Prefix `yaml:"CidrBlock" required:"true" doc:"inside the VPC's block, /16 to /28, overlapping no other subnet"`
	AvailabilityZone string       `yaml:"AvailabilityZone" required:"true" doc:"a zone of ap-northeast-1: ap-northeast-1a, 1c or 1d"`
	RouteTable       string       `yaml:"RouteTable" doc:"the name of the route table associated with the subnet; the main route table when omitted"`
	NetworkAcl       string       `yaml:"NetworkAcl" doc:"the name of the network ACL associated with the subnet; the default ACL when omitted"`
}

// NatGateway is a public NAT gateway.
type NatGateway struct {
	Name             string     `yaml:"Name" required:"true"`
	Subnet           string     `yaml:"Subnet" required:"true" doc:"the public subnet the gateway is placed in"`
	PrivateIpAddress netip.Addr `yaml:"PrivateIpAddress" doc:"the gateway's address in its subnet; the first free one when omitted"`
	PublicIp         netip.Addr `yaml:"PublicIp" doc:"the Elastic IP address the gateway translates to; one from 198.51.100.0/24 when omitted"`
}

// SecurityGroup is a stateful firewall attached to ENIs.
type SecurityGroup struct {
	GroupName            string   `yaml:"GroupName" required:"true"`
	GroupDescription     string   `yaml:"GroupDescription"`
	SecurityGroupIngress []SGRule `yaml:"SecurityGroupIngress" doc:"inbound rules; none admits nothing"`
	SecurityGroupEgress  []SGRule `yaml:"SecurityGroupEgress" doc:"outbound rules; when omitted, AWS's default rule: all traffic to 0.0.0.0/0"`
}

// SGRule is one security-group rule: its peer is CidrIp, or a group
// (SourceSecurityGroupName inbound, DestinationSecurityGroupName
// outbound).
type SGRule struct {
	IpProtocol                   string       `yaml:"IpProtocol" required:"true" enum:"tcp,udp,icmp,-1,all" doc:"tcp, udp, icmp, or -1 (all)"`
	FromPort                     int          `yaml:"FromPort" min:"-1" max:"65535" doc:"first port of the range (tcp, udp); with ToPort 0 or omitted, every port"`
	ToPort                       int          `yaml:"ToPort" min:"-1" max:"65535" doc:"last port of the range"`
	CidrIp                       netip.Prefix `yaml:"CidrIp" doc:"the peer's addresses"`
	SourceSecurityGroupName      string       `yaml:"SourceSecurityGroupName" doc:"inbound: members of this group (or a load balancer in it)"`
	DestinationSecurityGroupName string       `yaml:"DestinationSecurityGroupName" doc:"outbound: members of this group"`
	Description                  string       `yaml:"Description"`
}

// NetworkAcl is a stateless subnet firewall.
type NetworkAcl struct {
	Name    string     `yaml:"Name" required:"true"`
	Entries []AclEntry `yaml:"Entries" doc:"rules in both directions; a new ACL with none denies everything"`
}

// AclEntry is one network-ACL rule.
type AclEntry struct {
	RuleNumber int          `yaml:"RuleNumber" required:"true" limit:"RuleNumber" doc:"lowest first; the first match decides"`
	Protocol   string       `yaml:"Protocol" required:"true" enum:"tcp,udp,icmp,-1,all"`
	RuleAction string       `yaml:"RuleAction" required:"true" enum:"allow,deny"`
	Egress     bool         `yaml:"Egress" doc:"an outbound rule; inbound when false or omitted"`
	CidrBlock  netip.Prefix `yaml:"CidrBlock" required:"true"`
	PortRange  PortRange    `yaml:"PortRange" doc:"tcp and udp: the destination ports; every port when omitted"`
}

// PortRange is an inclusive range of ports.
type PortRange struct {
	From int `yaml:"From" min:"0" max:"65535"`
	To   int `yaml:"To" min:"0" max:"65535"`
}

// Instance is an EC2-like instance with one ENI.
type Instance struct {
	Name             string     `yaml:"Name" required:"true" doc:"the instance's Name tag; its hostname is EC2's, from its address (ip-10-0-128-108)"`
	Subnet           string     `yaml:"Subnet" required:"true"`
	PrivateIpAddress netip.Addr `yaml:"PrivateIpAddress" doc:"inside the subnet, not one of the five addresses AWS reserves; the first free one when omitted, as EC2 assigns one"`
	SecurityGroups   []string   `yaml:"SecurityGroups" doc:"group names; the VPC's default group when omitted"`
	ImageId          string     `yaml:"ImageId" enum:"al2,al2023" doc:"the AMI: al2 (Amazon Linux 2, the seed's: tcpdump 4.9, OpenSSH 7.4) or al2023 (Amazon Linux 2023: tcpdump 4.99, OpenSSH 8.7); al2023 when omitted"`
	Services         []Service  `yaml:"Services" doc:"what the instance serves"`
	// MetadataOptions is EC2's, for the instance metadata service.
	MetadataOptions MetadataOptions `yaml:"MetadataOptions" doc:"the instance metadata service's options (EC2's MetadataOptions); the image's when omitted"`
	// ConnectionTrackingSpecification is EC2's, on the instance's ENI.
	ConnectionTrackingSpecification ConnectionTracking `yaml:"ConnectionTrackingSpecification" doc:"idle connection-tracking timeouts of the instance's ENI (EC2's ConnectionTrackingSpecification); AWS's defaults when omitted"`
}

// MetadataOptions is EC2's: whether IMDSv1 is allowed and the token
// response's hop limit.
type MetadataOptions struct {
	HttpTokens              string `yaml:"HttpTokens" enum:"required,optional" doc:"required: IMDSv2 tokens only; optional: IMDSv1 too; required on al2023, optional on al2 when omitted"`
	HttpPutResponseHopLimit int    `yaml:"HttpPutResponseHopLimit" min:"1" max:"64" doc:"the token response's hop limit (in the lab: the IP TTL of the service's answers); 2 on al2023, 1 on al2 when omitted"`
}

// ConnectionTracking is EC2's ConnectionTrackingSpecification: how long
// the security groups keep an idle tracked flow.
type ConnectionTracking struct {
	TcpEstablishedTimeout int `yaml:"TcpEstablishedTimeout" limit:"TcpEstablishedTimeout" doc:"seconds; 432000 (5 days) when omitted"`
	UdpStreamTimeout      int `yaml:"UdpStreamTimeout" limit:"UdpStreamTimeout" doc:"seconds, for UDP flows that have seen more than one request-response; 180 when omitted"`
	UdpTimeout            int `yaml:"UdpTimeout" limit:"UdpTimeout" doc:"seconds, for other UDP flows; 30 when omitted"`
}

// Service is a server a machine runs.
type Service struct {
	Type          string `yaml:"Type" required:"true" enum:"ssh,http-echo,tcp-echo" doc:"ssh: a real SSH server (the lab's host key, the client's key authorized); http-echo: answers every request with NAME: hello ADDR:PORT, the peer it saw; tcp-echo: writes back what it reads"`
	Port          int    `yaml:"Port" required:"true" min:"1" max:"65535"`
	ProxyProtocol bool   `yaml:"ProxyProtocol" doc:"ssh only: unwrap a Proxy Protocol v2 header (for a target group with proxy_protocol_v2.enabled)"`
}

// Internet is what sits on the internet segment.
type Internet struct {
	Clients []Client `yaml:"Clients" doc:"PCs that open sessions (the first is the CLI's client)"`
	Servers []Server `yaml:"Servers" doc:"servers instances reach through a NAT gateway"`
}

// Client is a PC on the internet.
type Client struct {
	Name      string       `yaml:"Name" required:"true"`
	IpAddress netip.Prefix `yaml:"IpAddress" required:"true" doc:"a public address with its link's prefix, 203.0.113.10/24"`
}

// Server is a server on the internet.
type Server struct {
	Name      string       `yaml:"Name" required:"true"`
	IpAddress netip.Prefix `yaml:"IpAddress" required:"true" doc:"a public address with its link's prefix, 192.0.2.80/24"`
	Services  []Service    `yaml:"Services"`
}

// LoadBalancer is a Network Load Balancer.
type LoadBalancer struct {
	Name                   string            `yaml:"Name" required:"true"`
	Type                   string            `yaml:"Type" enum:"network" doc:"network (the only type vlab builds)"`
	Scheme                 string            `yaml:"Scheme" enum:"internet-facing,internal" doc:"internet-facing (the default) or internal"`
	SubnetMappings         []SubnetMapping   `yaml:"SubnetMappings" required:"true" doc:"one subnet per zone the load balancer is enabled in; a node is placed in each"`
	SecurityGroups         []string          `yaml:"SecurityGroups" doc:"group names; none: the nodes filter nothing and targets' rules cannot reference the load balancer"`
	LoadBalancerAttributes map[string]string `yaml:"LoadBalancerAttributes" doc:"by AWS key: load_balancing.cross_zone.enabled"`
	Listeners              []Listener        `yaml:"Listeners" required:"true"`
}

// SubnetMapping places one node.
type SubnetMapping struct {
	SubnetId           string     `yaml:"SubnetId" required:"true" doc:"the subnet's name"`
	PrivateIPv4Address netip.Addr `yaml:"PrivateIPv4Address" doc:"the node's address in the subnet; the first free one when omitted, as AWS assigns one"`
	PublicIPv4Address  netip.Addr `yaml:"PublicIPv4Address" doc:"internet-facing: the node's Elastic IP address (AWS takes an AllocationId); one from 198.51.100.0/24 when omitted"`
}

// Listener forwards a port to a target group (AWS's DefaultActions with one
// forward action).
type Listener struct {
	Port               int               `yaml:"Port" required:"true" min:"1" max:"65535"`
	Protocol           string            `yaml:"Protocol" enum:"TCP" doc:"TCP (the default)"`
	TargetGroupName    string            `yaml:"TargetGroupName" required:"true" doc:"the target group the default forward action sends to"`
	ListenerAttributes map[string]string `yaml:"ListenerAttributes" doc:"by AWS key: tcp.idle_timeout.seconds"`
}

// TargetGroup is a target group with its health check.
type TargetGroup struct {
	Name                       string            `yaml:"Name" required:"true"`
	Protocol                   string            `yaml:"Protocol" enum:"TCP" doc:"TCP (the default)"`
	Port                       int               `yaml:"Port" required:"true" min:"1" max:"65535" doc:"the port targets receive traffic on"`
	TargetType                 string            `yaml:"TargetType" enum:"instance,ip" doc:"instance (the default): targets by instance name; ip: by address"`
	VpcId                      string            `yaml:"VpcId" required:"true" doc:"the VPC's name"`
	HealthCheckProtocol        string            `yaml:"HealthCheckProtocol" enum:"TCP,HTTP" doc:"TCP (the default) or HTTP"`
	HealthCheckPort            string            `yaml:"HealthCheckPort" doc:"traffic-port (the default) or a port number"`
	HealthCheckPath            string            `yaml:"HealthCheckPath" doc:"HTTP checks: / by default"`
	HealthCheckIntervalSeconds int               `yaml:"HealthCheckIntervalSeconds" limit:"HealthCheckIntervalSeconds" doc:"30 by default"`
	HealthCheckTimeoutSeconds  int               `yaml:"HealthCheckTimeoutSeconds" limit:"HealthCheckTimeoutSeconds" doc:"10 by default"`
	HealthyThresholdCount      int               `yaml:"HealthyThresholdCount" limit:"HealthyThresholdCount" doc:"5 by default"`
	UnhealthyThresholdCount    int               `yaml:"UnhealthyThresholdCount" limit:"UnhealthyThresholdCount" doc:"2 by default"`
	Matcher                    Matcher           `yaml:"Matcher" doc:"HTTP checks: the codes of a healthy answer"`
	TargetGroupAttributes      map[string]string `yaml:"TargetGroupAttributes" doc:"by AWS key: deregistration_delay.timeout_seconds, preserve_client_ip.enabled, proxy_protocol_v2.enabled, stickiness.enabled…"`
	Targets                    []Target          `yaml:"Targets" doc:"registered targets"`
}

// Matcher is an HTTP health check's success codes.
type Matcher struct {
	HttpCode string `yaml:"HttpCode" doc:"200-399 by default"`
}

// Target is one registered target.
type Target struct {
	Id   string `yaml:"Id" required:"true" doc:"instance targets: the instance's name; ip targets: an address inside the target group's VPC"`
	Port int    `yaml:"Port" min:"1" max:"65535" doc:"the target group's port when omitted"`
}

// FlowLog is a VPC flow log.
type FlowLog struct {
	ResourceIds            []string `yaml:"ResourceIds" required:"true" doc:"names of VPCs, subnets, instances or load balancers: the flow log covers their network interfaces"`
	LogFormat              string   `yaml:"LogFormat" doc:"${field} ${field}…; AWS's default format when omitted"`
	MaxAggregationInterval int      `yaml:"MaxAggregationInterval" enum:"60,600" doc:"seconds: 600 (the default) or 60"`
	LogDestination         string   `yaml:"LogDestination" doc:"a file the records are written to, as delivery to S3 writes them; read them in the lab otherwise"`
}

// Topology returns t itself: a topology is what a lab is built from, as a
// reference scenario's switches make one (lab.Config.Topology).
func (t *Topology) Topology() (*Topology, error) { return t, nil }
