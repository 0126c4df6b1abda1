package vnet

import (
	"fmt"
	"net/netip"

	"github.com/vlab-sim/vlab/vnet/limits"
)

// VPC is a virtual private cloud: an IPv4 CIDR, its subnets and route
// tables, and at most one internet gateway.
type VPC struct {
	net  *Network
	id   string
	name string
	cidr netip.Prefix

	// guarded by net.mu
	subnets []*Subnet
	tables  []*RouteTable
	main    *RouteTable
	igw     *InternetGateway
	byAddr  map[netip.Addr]*ENI
	groups  []*SecurityGroup
	acls    []*NetworkACL // the default first
}

// ID returns the VPC id (vpc-…).
func (v *VPC) ID() string { return v.id }

// Name returns the VPC's Name tag.
func (v *VPC) Name() string { return v.name }

// CIDR returns the VPC's IPv4 CIDR block.
func (v *VPC) CIDR() netip.Prefix { return v.cidr }

// MainRouteTable returns the route table that subnets without an explicit
// association use.
func (v *VPC) MainRouteTable() *RouteTable { return v.main }

// Subnets returns the VPC's subnets in creation order.
func (v *VPC) Subnets() []*Subnet {
	v.net.mu.RLock()
	defer v.net.mu.RUnlock()
	return append([]*Subnet(nil), v.subnets...)
}

// RouteTables returns the VPC's route tables, the main one first.
func (v *VPC) RouteTables() []*RouteTable {
	v.net.mu.RLock()
	defer v.net.mu.RUnlock()
	return append([]*RouteTable(nil), v.tables...)
}

// InternetGateway returns the VPC's internet gateway, or nil.
func (v *VPC) InternetGateway() *InternetGateway {
	v.net.mu.RLock()
	defer v.net.mu.RUnlock()
	return v.igw
}

// Subnet returns the subnet named name, or nil.
func (v *VPC) Subnet(name string) *Subnet {
	for _, s := range v.Subnets() {
		if s.name == name {
			return s
		}
	}
	return nil
}

// SubnetConfig describes a subnet.
type SubnetConfig struct {
	Name string
	CIDR netip.Prefix
	Zone string // availability zone, ap-northeast-1a
}

// AddSubnet creates a subnet inside the VPC's CIDR, associated with the main
// route table.
func (v *VPC) AddSubnet(c SubnetConfig) (*Subnet, error) {
	if !c.CIDR.IsValid() || !c.CIDR.Addr().Is4() {
		return nil, fmt.Errorf("subnet %s: CidrBlock %s is not an IPv4 CIDR", c.Name, c.CIDR)
	}
	if c.CIDR.Masked() != c.CIDR {
		return nil, fmt.Errorf("subnet %s: CidrBlock %s has host bits set (did you mean %s?)", c.Name, c.CIDR, c.CIDR.Masked())
	}
	if !v.cidr.Contains(c.CIDR.Addr()) || c.CIDR.Bits() < v.cidr.Bits() {
		return nil, fmt.Errorf("subnet %s: CidrBlock %s is not inside the VPC's %s", c.Name, c.CIDR, v.cidr)
	}
	if err := limits.CheckBlock(c.CIDR); err != nil {
		return nil, fmt.Errorf("subnet %s: CidrBlock %w", c.Name, err)
	}
	if c.Zone == "" {
		return nil, fmt.Errorf("subnet %s: AvailabilityZone is required", c.Name)
	}
	v.net.mu.Lock()
	defer v.net.mu.Unlock()
	for _, s := range v.subnets {
		if s.cidr.Overlaps(c.CIDR) {
			return nil, fmt.Errorf("subnet %s: CidrBlock %s overlaps subnet %s (%s)", c.Name, c.CIDR, s.name, s.cidr)
		}
	}
	s := &Subnet{vpc: v, id: v.net.ids.Next("subnet"), name: c.Name, cidr: c.CIDR, zone: c.Zone, table: v.main, acl: v.acls[0]}
	v.subnets = append(v.subnets, s)
	return s, nil
}

// AddRouteTable creates a route table holding the VPC's local route.
func (v *VPC) AddRouteTable(name string) *RouteTable {
	v.net.mu.Lock()
	defer v.net.mu.Unlock()
	return v.newRouteTableLocked(name)
}

func (v *VPC) newRouteTableLocked(name string) *RouteTable {
	t := &RouteTable{vpc: v, id: v.net.ids.Next("rtb"), name: name}
	t.routes = []Route{{Destination: v.cidr, Target: Local}}
	v.tables = append(v.tables, t)
	return t
}

// AttachInternetGateway creates the VPC's internet gateway (one per VPC, as
// in AWS) and returns it.
func (v *VPC) AttachInternetGateway(name string) (*InternetGateway, error) {
	v.net.mu.Lock()
	defer v.net.mu.Unlock()
	if v.igw != nil {
		return nil, fmt.Errorf("vpc %s: already has internet gateway %s (a VPC has at most one)", v.name, v.igw.id)
	}
	v.igw = &InternetGateway{vpc: v, id: v.net.ids.Next("igw"), name: name}
	return v.igw, nil
}

// Subnet is a range of a VPC's addresses in one availability zone.
type Subnet struct {
	vpc   *VPC
	id    string
	name  string
	cidr  netip.Prefix
	zone  string
	table *RouteTable // guarded by vpc.net.mu
	acl   *NetworkACL // guarded by vpc.net.mu
}

// ID returns the subnet id (subnet-…).
func (s *Subnet) ID() string { return s.id }

// Name returns the subnet's Name tag.
func (s *Subnet) Name() string { return s.name }

// CIDR returns the subnet's IPv4 CIDR block.
func (s *Subnet) CIDR() netip.Prefix { return s.cidr }

// Zone returns the subnet's availability zone.
func (s *Subnet) Zone() string { return s.zone }

// VPC returns the subnet's VPC.
func (s *Subnet) VPC() *VPC { return s.vpc }

// Router returns the address of the subnet's VPC router: the network address
// plus one, reserved by AWS in every subnet (VPC User Guide, "Subnet CIDR
// blocks").
func (s *Subnet) Router() netip.Addr { return s.cidr.Addr().Next() }

// RouteTable returns the route table associated with the subnet.
func (s *Subnet) RouteTable() *RouteTable {
	s.vpc.net.mu.RLock()
	defer s.vpc.net.mu.RUnlock()
	return s.table
}

// Associate associates the subnet with t, replacing its current association.
func (s *Subnet) Associate(t *RouteTable) error {
	if t.vpc != s.vpc {
		return fmt.Errorf("subnet %s: route table %s belongs to another VPC", s.name, t.id)
	}
	s.vpc.net.mu.Lock()
	s.table = t
	s.vpc.net.mu.Unlock()
	return nil
}

// NetworkACL returns the network ACL associated with the subnet.
func (s *Subnet) NetworkACL() *NetworkACL {
	s.vpc.net.mu.RLock()
	defer s.vpc.net.mu.RUnlock()
	return s.acl
}

// AssociateNetworkACL associates the subnet with a, replacing its current
// ACL (a subnet has exactly one).
func (s *Subnet) AssociateNetworkACL(a *NetworkACL) error {
	if a.vpc != s.vpc {
		return fmt.Errorf("subnet %s: network ACL %s belongs to another VPC", s.name, a.id)
	}
	s.vpc.net.mu.Lock()
	s.acl = a
	s.vpc.net.mu.Unlock()
	return nil
}

// DefaultSecurityGroup returns the VPC's default security group, which ENIs
// created without groups join: it admits traffic from its own members and
// allows all outbound traffic.
func (v *VPC) DefaultSecurityGroup() *SecurityGroup {
	v.net.mu.RLock()
	defer v.net.mu.RUnlock()
	return v.groups[0]
}

// reserved reports whether AWS reserves a in this subnet: the first four
// addresses and the last (VPC User Guide, "Subnet CIDR blocks").
func (s *Subnet) reserved(a netip.Addr) bool {
	base := s.cidr.Addr()
	for i := 0; i < 4; i++ {
		if a == base {
			return true
		}
		base = base.Next()
	}
	last := s.cidr.Addr().As4()
	hostBits := 32 - s.cidr.Bits()
	v := uint32(last[0])<<24 | uint32(last[1])<<16 | uint32(last[2])<<8 | uint32(last[3])
	v |= (1 << hostBits) - 1
	return a == netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
