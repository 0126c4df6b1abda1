package awsapi

import (
	"fmt"
	"strings"

	"github.com/vlab-sim/vlab/vnet"
)

func groupIdentifiers(gs []*vnet.SecurityGroup) []ec2GroupIdentifier {
	out := []ec2GroupIdentifier{}
	for _, g := range gs {
		out = append(out, ec2GroupIdentifier{GroupID: g.ID(), GroupName: g.Name()})
	}
	return out
}

// privateDNSName is an instance's private DNS name as EC2 forms it
// outside us-east-1 (VPC User Guide, "DNS attributes for your VPC").
func (c *call) privateDNSName(e *vnet.ENI) string {
	return fmt.Sprintf("ip-%s.%s.compute.internal", strings.ReplaceAll(e.PrivateAddr().String(), ".", "-"), c.s.l.Net.Region())
}

func (c *call) networkInterface(e *vnet.ENI) ec2NetworkInterface {
	d := ec2NetworkInterface{NetworkInterfaceID: e.ID(), Description: e.Description(), OwnerID: c.s.l.Net.AccountID(), Status: "in-use",
		PrivateIPAddress: e.PrivateAddr().String(), SourceDestCheck: e.SourceDestCheck(), GroupSet: groupIdentifiers(e.SecurityGroups()), InterfaceType: "interface"}
	if s := e.Subnet(); s != nil {
		d.SubnetID, d.VpcID, d.AvailabilityZone = s.ID(), s.VPC().ID(), s.Zone()
	}
	if pub, ok := e.PublicAddr(); ok {
		d.Association = &struct {
			PublicIP string `xml:"publicIp"`
		}{pub.String()}
	}
	if strings.HasPrefix(e.Description(), "ELB ") {
		d.InterfaceType = "network_load_balancer"
	}
	if strings.HasPrefix(e.Description(), "Interface for NAT Gateway") {
		d.InterfaceType = "nat_gateway"
	}
	return d
}

func describeInstances(c *call) (any, *apiError) {
	fs, aerr := c.filters("instance-id", "vpc-id", "subnet-id", "instance-state-name", "private-ip-address", "availability-zone", "instance.group-id", "instance.group-name", "network-interface.network-interface-id")
	if aerr != nil {
		return nil, aerr
	}
	ids := c.list("InstanceId")
	for _, id := range ids {
		if c.instance(id) == nil {
			// EC2 API Reference, "Error codes": InvalidInstanceID.NotFound.
			return nil, badRequest("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
		}
	}
	var kept []ec2Reservation
	for _, inst := range c.s.l.Instances {
		e := inst.ENI()
		s := e.Subnet()
		have := tagValues(inst.Host().Name(), map[string][]string{"instance-id": {inst.ID()}, "vpc-id": {s.VPC().ID()}, "subnet-id": {s.ID()},
			"instance-state-name": {inst.State().Name}, "private-ip-address": {inst.Addr().String()}, "availability-zone": {s.Zone()}, "network-interface.network-interface-id": {e.ID()}})
		for _, g := range e.SecurityGroups() {
			have["instance.group-id"] = append(have["instance.group-id"], g.ID())
			have["instance.group-name"] = append(have["instance.group-name"], g.Name())
		}
		if !in(ids, inst.ID()) || !match(fs, have) {
			continue
		}
		d := ec2Instance{InstanceID: inst.ID(), PrivateDNSName: c.privateDNSName(e), SubnetID: s.ID(), VpcID: s.VPC().ID(), PrivateIPAddress: inst.Addr().String(),
			GroupSet: groupIdentifiers(e.SecurityGroups()), TagSet: nameTags(inst.Host().Name())}
		// EC2 API Reference, "InstanceState": the codes are target.State's.
		st := inst.State()
		d.InstanceState.Code, d.InstanceState.Name = st.Code, st.Name
		// The lab's instances are all one type, a burstable t3.micro.
		d.ImageID, d.InstanceType = inst.Image().AMI, "t3.micro"
		d.Placement.AvailabilityZone = s.Zone()
		for _, ie := range inst.Host().ENIs() {
			d.NetworkInterfaces = append(d.NetworkInterfaces, c.networkInterface(ie))
		}
		kept = append(kept, ec2Reservation{ReservationID: derivedID("r", inst.ID()), OwnerID: c.s.l.Net.AccountID(), Instances: []ec2Instance{d}})
	}
	start, end, next, aerr := c.ec2Page(len(kept), 5, 1000)
	if aerr != nil {
		return nil, aerr
	}
	var out struct {
		Reservations []ec2Reservation `xml:"reservationSet>item"`
		NextToken    string           `xml:"nextToken,omitempty"`
	}
	out.Reservations, out.NextToken = kept[start:end], next
	return out, nil
}

func (c *call) enis() []*vnet.ENI {
	var out []*vnet.ENI
	for _, h := range c.s.l.Net.Hosts() {
		for _, e := range h.ENIs() {
			if e.Subnet() != nil { // the internet's hosts have no ENI of a VPC
				out = append(out, e)
			}
		}
	}
	return out
}

func describeNetworkInterfaces(c *call) (any, *apiError) {
	fs, aerr := c.filters("network-interface-id", "vpc-id", "subnet-id", "group-id", "private-ip-address", "description", "attachment.instance-id", "availability-zone")
	if aerr != nil {
		return nil, aerr
	}
	ids := c.list("NetworkInterfaceId")
	for _, id := range ids {
		if e := c.s.l.Net.ENI(id); e == nil || e.Subnet() == nil {
			return nil, badRequest("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", id)
		}
	}
	var kept []ec2NetworkInterface
	for _, e := range c.enis() {
		s := e.Subnet()
		have := map[string][]string{"network-interface-id": {e.ID()}, "vpc-id": {s.VPC().ID()}, "subnet-id": {s.ID()}, "private-ip-address": {e.PrivateAddr().String()},
			"description": {e.Description()}, "attachment.instance-id": {e.InstanceID()}, "availability-zone": {s.Zone()}}
		for _, g := range e.SecurityGroups() {
			have["group-id"] = append(have["group-id"], g.ID())
		}
		if in(ids, e.ID()) && match(fs, have) {
			kept = append(kept, c.networkInterface(e))
		}
	}
	start, end, next, aerr := c.ec2Page(len(kept), 5, 1000)
	if aerr != nil {
		return nil, aerr
	}
	var out struct {
		Interfaces []ec2NetworkInterface `xml:"networkInterfaceSet>item"`
		NextToken  string                `xml:"nextToken,omitempty"`
	}
	out.Interfaces, out.NextToken = kept[start:end], next
	return out, nil
}

// modifyNetworkInterfaceAttribute changes an interface's security groups
// (SecurityGroupId.N) or its source/destination check.
func modifyNetworkInterfaceAttribute(c *call) (any, *apiError) {
	id := c.params.Get("NetworkInterfaceId")
	e := c.s.l.Net.ENI(id)
	if e == nil || e.Subnet() == nil {
		return nil, badRequest("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", id)
	}
	if gids := c.list("SecurityGroupId"); len(gids) > 0 {
		var gs []*vnet.SecurityGroup
		for _, gid := range gids {
			g, aerr := c.securityGroup(gid)
			if aerr != nil {
				return nil, aerr
			}
			gs = append(gs, g)
		}
		err := e.SetSecurityGroups(gs)
		c.logChange(fmt.Sprintf("%s groups %s", e.ID(), strings.Join(gids, ",")), err)
		if err != nil {
			return nil, badRequest("InvalidParameterValue", "%v", err)
		}
		return struct {
			Return bool `xml:"return"`
		}{true}, nil
	}
	if v := c.params.Get("SourceDestCheck.Value"); v != "" {
		if v != "true" && v != "false" {
			return nil, c.invalidValue("SourceDestCheck", v)
		}
		e.SetSourceDestCheck(v == "true")
		c.logChange(fmt.Sprintf("%s sourceDestCheck=%s", e.ID(), v), nil)
		return struct {
			Return bool `xml:"return"`
		}{true}, nil
	}
	return nil, badRequest("MissingParameter", "The request must contain one attribute to modify: groupSet or sourceDestCheck")
}
