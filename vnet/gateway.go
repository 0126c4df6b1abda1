package vnet

// InternetGateway connects a VPC to the internet segment. It translates, 1:1,
// between an interface's private address and its public IPv4 address (VPC
// User Guide, "Internet gateways"): outbound packets get the public address
// as source, inbound packets to the public address get the private address
// as destination. Interfaces without a public address cannot use it.
type InternetGateway struct {
	vpc  *VPC
	id   string
	name string
}

// ID returns the gateway id (igw-…).
func (g *InternetGateway) ID() string { return g.id }

// TargetID implements RouteTarget.
func (g *InternetGateway) TargetID() string { return g.id }

// Name returns the gateway's Name tag.
func (g *InternetGateway) Name() string { return g.name }

// VPC returns the VPC the gateway is attached to.
func (g *InternetGateway) VPC() *VPC { return g.vpc }
