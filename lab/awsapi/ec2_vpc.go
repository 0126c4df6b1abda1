package awsapi

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vlab-sim/vlab/vnet"
)

// ec2Actions are the EC2 operations, by Action.
var ec2Actions = map[string]func(*call) (any, *apiError){
	"DescribeVpcs":                    describeVpcs,
	"DescribeSubnets":                 describeSubnets,
	"DescribeRouteTables":             describeRouteTables,
	"CreateRoute":                     createRoute,
	"DeleteRoute":                     deleteRoute,
	"DescribeInternetGateways":        describeInternetGateways,
	"DescribeNatGateways":             describeNatGateways,
	"DescribeNetworkAcls":             describeNetworkAcls,
	"CreateNetworkAclEntry":           createNetworkAclEntry,
	"ReplaceNetworkAclEntry":          replaceNetworkAclEntry,
	"DeleteNetworkAclEntry":           deleteNetworkAclEntry,
	"DescribeFlowLogs":                describeFlowLogs,
	"DescribeSecurityGroups":          describeSecurityGroups,
	"DescribeSecurityGroupRules":      describeSecurityGroupRules,
	"AuthorizeSecurityGroupIngress":   authorizeIngress,
	"AuthorizeSecurityGroupEgress":    authorizeEgress,
	"RevokeSecurityGroupIngress":      revokeIngress,
	"RevokeSecurityGroupEgress":       revokeEgress,
	"DescribeInstances":               describeInstances,
	"DescribeNetworkInterfaces":       describeNetworkInterfaces,
	"ModifyNetworkInterfaceAttribute": modifyNetworkInterfaceAttribute,
	"StopInstances":                   stopInstances,
	"StartInstances":                  startInstances,
	"RebootInstances":                 rebootInstances,
	"TerminateInstances":              terminateInstances,
}

// derivedID is an id for what the lab names no id of its own (route table
// associations), derived from what it belongs to.
func derivedID(prefix string, parts ...string) string {
	h := fnv.New64a()
	h.Write([]byte(strings.Join(parts, "/")))
	return fmt.Sprintf("%s-%017x", prefix, h.Sum64())
}

// ids reads a list of ids, checking each against known: an unknown one is
// the resource's NotFound error.
func (c *call) ids(param string, known func(string) bool, notFound string, what string) ([]string, *apiError) {
	ids := c.list(param)
	for _, id := range ids {
		if !known(id) {
			return nil, badRequest(notFound, "The %s '%s' does not exist", what, id)
		}
	}
	return ids, nil
}

func in(ids []string, id string) bool {
	if len(ids) == 0 {
		return true
	}
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func describeVpcs(c *call) (any, *apiError) {
	fs, aerr := c.filters("vpc-id", "cidr", "cidr-block", "state", "is-default", "owner-id")
	if aerr != nil {
		return nil, aerr
	}
	vpcs := c.s.l.Net.VPCs()
	ids, aerr := c.ids("VpcId", func(id string) bool { return c.vpc(id) != nil }, "InvalidVpcID.NotFound", "vpc ID")
	if aerr != nil {
		return nil, aerr
	}
	var kept []ec2Vpc
	for _, v := range vpcs {
		have := tagValues(v.Name(), map[string][]string{"vpc-id": {v.ID()}, "cidr": {v.CIDR().String()}, "cidr-block": {v.CIDR().String()}, "state": {"available"}, "is-default": {"false"}, "owner-id": {c.s.l.Net.AccountID()}})
		if in(ids, v.ID()) && match(fs, have) {
			kept = append(kept, ec2Vpc{VpcID: v.ID(), OwnerID: c.s.l.Net.AccountID(), State: "available", CidrBlock: v.CIDR().String(), InstanceTenancy: "default", TagSet: nameTags(v.Name())})
		}
	}
	start, end, next, aerr := c.ec2Page(len(kept), 5, 1000)
	if aerr != nil {
		return nil, aerr
	}
	var out struct {
		Vpcs      []ec2Vpc `xml:"vpcSet>item"`
		NextToken string   `xml:"nextToken,omitempty"`
	}
	out.Vpcs, out.NextToken = kept[start:end], next
	return out, nil
}

func (c *call) vpc(id string) *vnet.VPC {
	for _, v := range c.s.l.Net.VPCs() {
		if v.ID() == id {
			return v
		}
	}
	return nil
}

func (c *call) subnets() []*vnet.Subnet {
	var out []*vnet.Subnet
	for _, v := range c.s.l.Net.VPCs() {
		out = append(out, v.Subnets()...)
	}
	return out
}

// usedAddresses counts the interfaces in s.
func (c *call) usedAddresses(s *vnet.Subnet) int {
	n := 0
	for _, h := range c.s.l.Net.Hosts() {
		for _, e := range h.ENIs() {
			if e.Subnet() == s {
				n++
			}
		}
	}
	return n
}

func describeSubnets(c *call) (any, *apiError) {
	fs, aerr := c.filters("vpc-id", "subnet-id", "cidr-block", "availability-zone", "state", "owner-id")
	if aerr != nil {
		return nil, aerr
	}
	ids, aerr := c.ids("SubnetId", func(id string) bool {
		for _, s := range c.subnets() {
			if s.ID() == id {
				return true
			}
		}
		return false
	}, "InvalidSubnetID.NotFound", "subnet ID")
	if aerr != nil {
		return nil, aerr
	}
	var kept []ec2Subnet
	acct, region := c.s.l.Net.AccountID(), c.s.l.Net.Region()
	for _, s := range c.subnets() {
		have := tagValues(s.Name(), map[string][]string{"vpc-id": {s.VPC().ID()}, "subnet-id": {s.ID()}, "cidr-block": {s.CIDR().String()}, "availability-zone": {s.Zone()}, "state": {"available"}, "owner-id": {acct}})
		if !in(ids, s.ID()) || !match(fs, have) {
			continue
		}
		// Five addresses of every subnet are AWS's (VPC User Guide,
		// "Subnet CIDR blocks").
		free := 1<<(32-s.CIDR().Bits()) - 5 - c.usedAddresses(s)
		kept = append(kept, ec2Subnet{SubnetID: s.ID(), SubnetArn: fmt.Sprintf("arn:aws:ec2:%s:%s:subnet/%s", region, acct, s.ID()), OwnerID: acct, State: "available",
			VpcID: s.VPC().ID(), CidrBlock: s.CIDR().String(), AvailableIPCount: free, AvailabilityZone: s.Zone(), TagSet: nameTags(s.Name())})
	}
	start, end, next, aerr := c.ec2Page(len(kept), 5, 1000)
	if aerr != nil {
		return nil, aerr
	}
	var out struct {
		Subnets   []ec2Subnet `xml:"subnetSet>item"`
		NextToken string      `xml:"nextToken,omitempty"`
	}
	out.Subnets, out.NextToken = kept[start:end], next
	return out, nil
}

func (c *call) routeTable(id string) (*vnet.RouteTable, *vnet.VPC, *apiError) {
	for _, v := range c.s.l.Net.VPCs() {
		for _, rt := range v.RouteTables() {
			if rt.ID() == id {
				return rt, v, nil
			}
		}
	}
	return nil, nil, badRequest("InvalidRouteTableID.NotFound", "The routeTable ID '%s' does not exist", id)
}

func describeRouteTables(c *call) (any, *apiError) {
	fs, aerr := c.filters("vpc-id", "route-table-id", "association.subnet-id", "association.main", "owner-id")
	if aerr != nil {
		return nil, aerr
	}
	ids := c.list("RouteTableId")
	for _, id := range ids {
		if _, _, aerr := c.routeTable(id); aerr != nil {
			return nil, aerr
		}
	}
	var kept []ec2RouteTable
	for _, v := range c.s.l.Net.VPCs() {
		for _, rt := range v.RouteTables() {
			d := ec2RouteTable{RouteTableID: rt.ID(), VpcID: v.ID(), OwnerID: c.s.l.Net.AccountID(), TagSet: nameTags(rt.Name())}
			for _, r := range rt.Routes() {
				er := ec2Route{DestinationCidrBlock: r.Destination.String(), State: "active", Origin: "CreateRoute"}
				switch t := r.Target.TargetID(); {
				case t == "local":
					er.GatewayID, er.Origin = "local", "CreateRouteTable"
				case strings.HasPrefix(t, "nat-"):
					er.NatGatewayID = t
				default:
					er.GatewayID = t
				}
				d.RouteSet = append(d.RouteSet, er)
			}
			have := tagValues(rt.Name(), map[string][]string{"vpc-id": {v.ID()}, "route-table-id": {rt.ID()}, "association.main": {"false"}, "owner-id": {c.s.l.Net.AccountID()}})
			if v.MainRouteTable() == rt {
				a := ec2Association{RouteTableAssociationID: derivedID("rtbassoc", rt.ID(), "main"), RouteTableID: rt.ID(), Main: true}
				a.AssociationState.State = "associated"
				d.AssociationSet = append(d.AssociationSet, a)
				have["association.main"] = []string{"true"}
			} else {
				for _, s := range v.Subnets() {
					if s.RouteTable() == rt {
						a := ec2Association{RouteTableAssociationID: derivedID("rtbassoc", rt.ID(), s.ID()), RouteTableID: rt.ID(), SubnetID: s.ID()}
						a.AssociationState.State = "associated"
						d.AssociationSet = append(d.AssociationSet, a)
						have["association.subnet-id"] = append(have["association.subnet-id"], s.ID())
					}
				}
			}
			if in(ids, rt.ID()) && match(fs, have) {
				kept = append(kept, d)
			}
		}
	}
	start, end, next, aerr := c.ec2Page(len(kept), 5, 100)
	if aerr != nil {
		return nil, aerr
	}
	var out struct {
		RouteTables []ec2RouteTable `xml:"routeTableSet>item"`
		NextToken   string          `xml:"nextToken,omitempty"`
	}
	out.RouteTables, out.NextToken = kept[start:end], next
	return out, nil
}

// routeParams reads a route's table and destination.
func (c *call) routeParams() (*vnet.RouteTable, *vnet.VPC, netip.Prefix, *apiError) {
	rt, v, aerr := c.routeTable(c.params.Get("RouteTableId"))
	if aerr != nil {
		return nil, nil, netip.Prefix{}, aerr
	}
	dst, err := netip.ParsePrefix(c.params.Get("DestinationCidrBlock"))
	if err != nil || !dst.Addr().Is4() || dst.Masked() != dst {
		return nil, nil, netip.Prefix{}, badRequest("InvalidParameterValue", "Value (%s) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.", c.params.Get("DestinationCidrBlock"))
	}
	return rt, v, dst, nil
}

func createRoute(c *call) (any, *apiError) {
	rt, v, dst, aerr := c.routeParams()
	if aerr != nil {
		return nil, aerr
	}
	var to vnet.RouteTarget
	switch gw, nat := c.params.Get("GatewayId"), c.params.Get("NatGatewayId"); {
	case gw != "":
		if g := v.InternetGateway(); g != nil && g.ID() == gw {
			to = g
		} else {
			return nil, badRequest("InvalidGatewayID.NotFound", "The gateway ID '%s' does not exist", gw)
		}
	case nat != "":
		for _, g := range c.s.l.NATGateways {
			if g.ID() == nat {
				to = g
			}
		}
		if to == nil {
			return nil, badRequest("InvalidNatGatewayID.NotFound", "The natGateway ID '%s' does not exist", nat)
		}
	default:
		return nil, badRequest("MissingParameter", "The request must contain exactly one of gatewayId, natGatewayId (the targets the lab has)")
	}
	for _, r := range rt.Routes() {
		if r.Destination == dst {
			return nil, badRequest("RouteAlreadyExists", "The route identified by %s already exists.", dst)
		}
	}
	err := rt.AddRoute(dst, to)
	c.logChange(fmt.Sprintf("%s (%s) %s -> %s", rt.ID(), rt.Name(), dst, to.TargetID()), err)
	if err != nil {
		return nil, badRequest("InvalidParameterValue", "%v", err)
	}
	return struct {
		Return bool `xml:"return"`
	}{true}, nil
}

func deleteRoute(c *call) (any, *apiError) {
	rt, _, dst, aerr := c.routeParams()
	if aerr != nil {
		return nil, aerr
	}
	found := false
	for _, r := range rt.Routes() {
		if r.Destination == dst {
			found = true
			if r.Target == vnet.Local {
				return nil, badRequest("InvalidParameterValue", "cannot remove local route %s in route table %s", dst, rt.ID())
			}
		}
	}
	if !found {
		return nil, badRequest("InvalidRoute.NotFound", "no route with destination-cidr-block %s in route table %s", dst, rt.ID())
	}
	err := rt.RemoveRoute(dst)
	c.logChange(fmt.Sprintf("%s (%s) %s", rt.ID(), rt.Name(), dst), err)
	if err != nil {
		return nil, badRequest("InvalidRoute.NotFound", "%v", err)
	}
	return nil, nil
}

func describeInternetGateways(c *call) (any, *apiError) {
	fs, aerr := c.filters("internet-gateway-id", "attachment.vpc-id", "attachment.state", "owner-id")
	if aerr != nil {
		return nil, aerr
	}
	ids := c.list("InternetGatewayId")
	var kept []ec2InternetGateway
	seen := map[string]bool{}
	for _, v := range c.s.l.Net.VPCs() {
		g := v.InternetGateway()
		if g == nil {
			continue
		}
		seen[g.ID()] = true
		have := tagValues(g.Name(), map[string][]string{"internet-gateway-id": {g.ID()}, "attachment.vpc-id": {v.ID()}, "attachment.state": {"available"}, "owner-id": {c.s.l.Net.AccountID()}})
		if in(ids, g.ID()) && match(fs, have) {
			d := ec2InternetGateway{InternetGatewayID: g.ID(), OwnerID: c.s.l.Net.AccountID(), TagSet: nameTags(g.Name())}
			d.AttachmentSet = append(d.AttachmentSet, struct {
				VpcID string `xml:"vpcId"`
				State string `xml:"state"`
			}{v.ID(), "available"})
			kept = append(kept, d)
		}
	}
	for _, id := range ids {
		if !seen[id] {
			return nil, badRequest("InvalidInternetGatewayID.NotFound", "The internetGateway ID '%s' does not exist", id)
		}
	}
	start, end, next, aerr := c.ec2Page(len(kept), 5, 1000)
	if aerr != nil {
		return nil, aerr
	}
	var out struct {
		Gateways  []ec2InternetGateway `xml:"internetGatewaySet>item"`
		NextToken string               `xml:"nextToken,omitempty"`
	}
	out.Gateways, out.NextToken = kept[start:end], next
	return out, nil
}

func describeNatGateways(c *call) (any, *apiError) {
	fs, aerr := c.filters("nat-gateway-id", "subnet-id", "vpc-id", "state")
	if aerr != nil {
		return nil, aerr
	}
	ids := c.list("NatGatewayId")
	var kept []ec2NatGateway
	seen := map[string]bool{}
	for _, g := range c.s.l.NATGateways {
		seen[g.ID()] = true
		s := g.ENI().Subnet()
		have := tagValues(g.Name(), map[string][]string{"nat-gateway-id": {g.ID()}, "subnet-id": {s.ID()}, "vpc-id": {s.VPC().ID()}, "state": {"available"}})
		if in(ids, g.ID()) && match(fs, have) {
			kept = append(kept, ec2NatGateway{NatGatewayID: g.ID(), SubnetID: s.ID(), VpcID: s.VPC().ID(), State: "available", ConnectivityType: "public", TagSet: nameTags(g.Name()),
				Addresses: []ec2NatGatewayAddr{{NetworkInterfaceID: g.ENI().ID(), PrivateIP: g.PrivateAddr().String(), PublicIP: g.PublicAddr().String(), IsPrimary: true, Status: "succeeded"}}})
		}
	}
	for _, id := range ids {
		if !seen[id] {
			// EC2 API Reference, "Error codes": NatGatewayNotFound.
			return nil, badRequest("NatGatewayNotFound", "The Nat Gateway %s was not found", id)
		}
	}
	start, end, next, aerr := c.ec2Page(len(kept), 5, 1000)
	if aerr != nil {
		return nil, aerr
	}
	var out struct {
		Gateways  []ec2NatGateway `xml:"natGatewaySet>item"`
		NextToken string          `xml:"nextToken,omitempty"`
	}
	out.Gateways, out.NextToken = kept[start:end], next
	return out, nil
}

func describeNetworkAcls(c *call) (any, *apiError) {
	fs, aerr := c.filters("vpc-id", "network-acl-id", "default", "association.subnet-id", "owner-id")
	if aerr != nil {
		return nil, aerr
	}
	ids := c.list("NetworkAclId")
	var kept []ec2NetworkACL
	seen := map[string]bool{}
	for _, v := range c.s.l.Net.VPCs() {
		for _, a := range v.NetworkACLs() {
			seen[a.ID()] = true
			d := ec2NetworkACL{NetworkACLID: a.ID(), VpcID: v.ID(), OwnerID: c.s.l.Net.AccountID(), IsDefault: a.IsDefault(), TagSet: nameTags(a.Name())}
			for _, egress := range []bool{false, true} {
				for _, r := range a.Rules(egress) {
					d.EntrySet = append(d.EntrySet, aclEntry(r, egress))
				}
				// The final deny every ACL ends with (VPC User Guide,
				// "Network ACL rules"), rule number 32767.
				d.EntrySet = append(d.EntrySet, ec2ACLEntry{RuleNumber: 32767, Protocol: "-1", RuleAction: "deny", Egress: egress, CidrBlock: "0.0.0.0/0"})
			}
			have := tagValues(a.Name(), map[string][]string{"vpc-id": {v.ID()}, "network-acl-id": {a.ID()}, "default": {strconv.FormatBool(a.IsDefault())}, "owner-id": {c.s.l.Net.AccountID()}})
			for _, s := range v.Subnets() {
				if s.NetworkACL() == a {
					d.AssociationSet = append(d.AssociationSet, ec2ACLAssocXML{NetworkACLAssociationID: derivedID("aclassoc", a.ID(), s.ID()), NetworkACLID: a.ID(), SubnetID: s.ID()})
					have["association.subnet-id"] = append(have["association.subnet-id"], s.ID())
				}
			}
			if in(ids, a.ID()) && match(fs, have) {
				kept = append(kept, d)
			}
		}
	}
	for _, id := range ids {
		if !seen[id] {
			return nil, badRequest("InvalidNetworkAclID.NotFound", "The networkAcl ID '%s' does not exist", id)
		}
	}
	start, end, next, aerr := c.ec2Page(len(kept), 5, 1000)
	if aerr != nil {
		return nil, aerr
	}
	var out struct {
		ACLs      []ec2NetworkACL `xml:"networkAclSet>item"`
		NextToken string          `xml:"nextToken,omitempty"`
	}
	out.ACLs, out.NextToken = kept[start:end], next
	return out, nil
}

func aclEntry(r vnet.ACLRule, egress bool) ec2ACLEntry {
	p, _ := vnet.ParseProtocol(r.Protocol)
	e := ec2ACLEntry{RuleNumber: r.Number, Protocol: strconv.Itoa(int(p)), RuleAction: "deny", Egress: egress, CidrBlock: r.CIDR.String()}
	if p == vnet.ProtoAll {
		e.Protocol = "-1"
	}
	if r.Allow {
		e.RuleAction = "allow"
	}
	if p == 6 || p == 17 {
		from, to := int(r.Ports.From), int(r.Ports.To)
		if from == 0 && to == 0 {
			to = 65535
		}
		e.PortRange = &ec2PortSpan{from, to}
	}
	return e
}
