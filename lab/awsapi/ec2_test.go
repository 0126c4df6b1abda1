package awsapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/reference"
)

func nodeRule() []ec2types.IpPermission {
	return []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("10.0.10.25/32")}}}}
}

// The experiment through the SDK: revoking the rule that admits
// the node's health checks makes the target unhealthy as the lab clock
// passes two intervals; authorizing it again makes it healthy.
func TestRevokeMakesTargetUnhealthy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sg := aws.String(e.l.TargetSecurityGroup.ID())
	health := func() elbtypes.TargetHealth {
		h, err := e.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(e.l.TargetGroup.ARN())})
		require.NoError(t, err)
		return *h.TargetHealthDescriptions[0].TargetHealth
	}
	require.Equal(t, elbtypes.TargetHealthStateEnumHealthy, health().State)

	rev, err := e.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: sg, IpPermissions: nodeRule()})
	require.NoError(t, err)
	assert.True(t, aws.ToBool(rev.Return))
	require.Len(t, rev.RevokedSecurityGroupRules, 1)
	for _, r := range e.l.TargetSecurityGroup.Inbound() {
		assert.NotEqual(t, "10.0.10.25/32", r.CIDR.String(), "the lab's group lost the rule")
	}
	// Two failed checks (the unhealthy threshold), the second one's
	// timeout included.
	e.l.Clock().Advance(30 * time.Second)
	e.l.Clock().Advance(30 * time.Second)
	e.l.Clock().Advance(10 * time.Second)
	h := health()
	assert.Equal(t, elbtypes.TargetHealthStateEnumUnhealthy, h.State)
	assert.Equal(t, elbtypes.TargetHealthReasonEnumFailedHealthChecks, h.Reason)

	_, err = e.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: sg, IpPermissions: nodeRule()})
	assert.Equal(t, "InvalidPermission.NotFound", apiCode(t, err))

	auth, err := e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg, IpPermissions: nodeRule()})
	require.NoError(t, err)
	require.Len(t, auth.SecurityGroupRules, 1)
	assert.Equal(t, "10.0.10.25/32", aws.ToString(auth.SecurityGroupRules[0].CidrIpv4))
	assert.True(t, strings.HasPrefix(aws.ToString(auth.SecurityGroupRules[0].SecurityGroupRuleId), "sgr-"))
	_, err = e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg, IpPermissions: nodeRule()})
	assert.Equal(t, "InvalidPermission.Duplicate", apiCode(t, err))
	for i := 0; i < 6; i++ {
		e.l.Clock().Advance(30 * time.Second)
	}
	assert.Equal(t, elbtypes.TargetHealthStateEnumHealthy, health().State)

	logs := strings.Join(e.logs.all(), "\n")
	assert.Contains(t, logs, "RevokeSecurityGroupIngress "+*sg+" (ssh-target) inbound peer: 10.0.10.25/32, TCP, from port: 22, to port: 22, ALLOW: ok")
	assert.Contains(t, logs, "AuthorizeSecurityGroupIngress "+*sg)
}

func TestSecurityGroups(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sg := e.l.TargetSecurityGroup
	out, err := e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: []string{"ssh-target"}}}})
	require.NoError(t, err)
	require.Len(t, out.SecurityGroups, 1)
	g := out.SecurityGroups[0]
	assert.Equal(t, sg.ID(), aws.ToString(g.GroupId))
	assert.Equal(t, e.l.VPC.ID(), aws.ToString(g.VpcId))
	require.NotEmpty(t, g.IpPermissions)
	assert.Equal(t, "tcp", aws.ToString(g.IpPermissions[0].IpProtocol))
	assert.Equal(t, int32(22), aws.ToInt32(g.IpPermissions[0].FromPort))
	var cidrs []string
	for _, r := range g.IpPermissions[0].IpRanges {
		cidrs = append(cidrs, aws.ToString(r.CidrIp))
	}
	assert.Contains(t, cidrs, "10.0.10.25/32")
	assert.Contains(t, cidrs, "203.0.113.10/32")
	assert.Equal(t, "-1", aws.ToString(g.IpPermissionsEgress[0].IpProtocol))

	_, err = e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-00000000000000000"}})
	assert.Equal(t, "InvalidGroup.NotFound", apiCode(t, err))
	_, err = e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("bogus"), Values: []string{"x"}}}})
	assert.Equal(t, "InvalidParameterValue", apiCode(t, err))
	_, err = e.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String("sg-00000000000000000"), IpPermissions: nodeRule()})
	assert.Equal(t, "InvalidGroup.NotFound", apiCode(t, err))
	_, err = e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sg.ID()),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("10.0.0.0/16")}}}}})
	assert.Equal(t, "InvalidParameterValue", apiCode(t, err), "TCP needs ports")
	_, err = e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sg.ID()),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("10.0.0.1/16")}}}}})
	assert.Equal(t, "InvalidParameterValue", apiCode(t, err), "host bits set")

	// Rules by id: described, and revoked by id.
	rules, err := e.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: []string{sg.ID()}}}})
	require.NoError(t, err)
	var client *ec2types.SecurityGroupRule
	for i, r := range rules.SecurityGroupRules {
		assert.Equal(t, sg.ID(), aws.ToString(r.GroupId))
		if aws.ToString(r.CidrIpv4) == "203.0.113.10/32" {
			client = &rules.SecurityGroupRules[i]
		}
	}
	require.NotNil(t, client)
	assert.False(t, aws.ToBool(client.IsEgress))
	_, err = e.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(sg.ID()), SecurityGroupRuleIds: []string{aws.ToString(client.SecurityGroupRuleId)}})
	require.NoError(t, err)
	_, err = e.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{aws.ToString(client.SecurityGroupRuleId)}})
	assert.Equal(t, "InvalidSecurityGroupRuleId.NotFound", apiCode(t, err))

	// Egress: a rule to the mirror, then gone again.
	egress := []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("192.0.2.80/32"), Description: aws.String("mirror")}}}}
	_, err = e.ec2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(sg.ID()), IpPermissions: egress})
	require.NoError(t, err)
	assert.Len(t, sg.Outbound(), 2)
	_, err = e.ec2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(sg.ID()), IpPermissions: egress})
	require.NoError(t, err)
	assert.Len(t, sg.Outbound(), 1)
}

func TestEC2Paging(t *testing.T) {
	e := newEnv(t, twoNLBs(t))
	ctx := context.Background()
	all, err := e.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{})
	require.NoError(t, err)
	require.Greater(t, len(all.SecurityGroupRules), 5)
	var ids []string
	pg := ec2.NewDescribeSecurityGroupRulesPaginator(e.ec2, &ec2.DescribeSecurityGroupRulesInput{MaxResults: aws.Int32(5)})
	pages := 0
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		require.NoError(t, err)
		pages++
		for _, r := range out.SecurityGroupRules {
			ids = append(ids, aws.ToString(r.SecurityGroupRuleId))
		}
	}
	assert.Greater(t, pages, 1)
	require.Len(t, ids, len(all.SecurityGroupRules))
	for i, r := range all.SecurityGroupRules {
		assert.Equal(t, aws.ToString(r.SecurityGroupRuleId), ids[i])
	}
	_, err = e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(4)})
	assert.Equal(t, "InvalidParameterValue", apiCode(t, err))
	_, err = e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{NextToken: aws.String("bogus!")})
	assert.Equal(t, "InvalidParameterValue", apiCode(t, err))
}

func TestVPCResources(t *testing.T) {
	e := newEnv(t, func(c *lab.Config) { c.Topology.(*reference.Config).NATGateway = true })
	ctx := context.Background()
	vpcs, err := e.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	require.NoError(t, err)
	require.Len(t, vpcs.Vpcs, 1)
	assert.Equal(t, e.l.VPC.ID(), aws.ToString(vpcs.Vpcs[0].VpcId))
	assert.Equal(t, "10.0.0.0/16", aws.ToString(vpcs.Vpcs[0].CidrBlock))
	_, err = e.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0"}})
	assert.Equal(t, "InvalidVpcID.NotFound", apiCode(t, err))

	subs, err := e.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{e.l.VPC.ID()}}}})
	require.NoError(t, err)
	assert.Len(t, subs.Subnets, len(e.l.VPC.Subnets()))
	priv, err := e.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("cidr-block"), Values: []string{"10.0.128.*"}}}})
	require.NoError(t, err)
	require.Len(t, priv.Subnets, 1)
	assert.Equal(t, e.l.Target.ENI().Subnet().ID(), aws.ToString(priv.Subnets[0].SubnetId))

	rts, err := e.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{{Name: aws.String("tag:Name"), Values: []string{"vlab-private"}}}})
	require.NoError(t, err)
	require.Len(t, rts.RouteTables, 1)
	rt := rts.RouteTables[0]
	assert.Equal(t, e.l.PrivateRouteTable.ID(), aws.ToString(rt.RouteTableId))

	nats, err := e.ec2.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{})
	require.NoError(t, err)
	require.Len(t, nats.NatGateways, 1)
	nat := aws.ToString(nats.NatGateways[0].NatGatewayId)
	assert.Equal(t, "198.51.100.30", aws.ToString(nats.NatGateways[0].NatGatewayAddresses[0].PublicIp))

	// A default route to the NAT gateway in the private table, in the lab.
	_, err = e.ec2.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: rt.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0")})
	if err == nil {
		_, err = e.ec2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rt.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: aws.String(nat)})
		require.NoError(t, err)
	} else {
		assert.Equal(t, "InvalidRoute.NotFound", apiCode(t, err))
		_, err = e.ec2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rt.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: aws.String(nat)})
		require.NoError(t, err)
	}
	r, ok := e.l.PrivateRouteTable.Lookup(netipAddr("192.0.2.80"))
	require.True(t, ok)
	assert.Equal(t, nat, r.Target.TargetID())
	_, err = e.ec2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rt.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: aws.String(nat)})
	assert.Equal(t, "RouteAlreadyExists", apiCode(t, err))
	_, err = e.ec2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String("rtb-0"), DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: aws.String(nat)})
	assert.Equal(t, "InvalidRouteTableID.NotFound", apiCode(t, err))
	_, err = e.ec2.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: rt.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0")})
	require.NoError(t, err)
	_, err = e.ec2.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: rt.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0")})
	assert.Equal(t, "InvalidRoute.NotFound", apiCode(t, err))

	igws, err := e.ec2.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{})
	require.NoError(t, err)
	require.Len(t, igws.InternetGateways, 1)
	assert.Equal(t, e.l.InternetGateway.ID(), aws.ToString(igws.InternetGateways[0].InternetGatewayId))

	acls, err := e.ec2.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{})
	require.NoError(t, err)
	require.NotEmpty(t, acls.NetworkAcls)
	assert.NotEmpty(t, acls.NetworkAcls[0].Entries)
}

func TestInstancesAndInterfaces(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.l.Target.ID()
	out, err := e.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: []string{id}}}})
	require.NoError(t, err)
	require.Len(t, out.Reservations, 1)
	in := out.Reservations[0].Instances[0]
	assert.Equal(t, id, aws.ToString(in.InstanceId))
	assert.Equal(t, ec2types.InstanceStateNameRunning, in.State.Name)
	assert.Equal(t, "10.0.128.108", aws.ToString(in.PrivateIpAddress))
	assert.Equal(t, "ip-10-0-128-108.ap-northeast-1.compute.internal", aws.ToString(in.PrivateDnsName))
	assert.Equal(t, e.l.TargetSecurityGroup.ID(), aws.ToString(in.SecurityGroups[0].GroupId))
	_, err = e.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
	assert.Equal(t, "InvalidInstanceID.NotFound", apiCode(t, err))

	enis, err := e.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{e.l.Target.ENI().ID()}})
	require.NoError(t, err)
	require.Len(t, enis.NetworkInterfaces, 1)
	assert.Equal(t, "10.0.128.108", aws.ToString(enis.NetworkInterfaces[0].PrivateIpAddress))

	// A new group on the instance's interface, in the lab.
	_, err = e.ec2.ModifyNetworkInterfaceAttribute(ctx, &ec2.ModifyNetworkInterfaceAttributeInput{NetworkInterfaceId: aws.String(e.l.Target.ENI().ID()),
		Groups: []string{e.l.VPC.DefaultSecurityGroup().ID()}})
	require.NoError(t, err)
	assert.Equal(t, e.l.VPC.DefaultSecurityGroup(), e.l.Target.ENI().SecurityGroups()[0])
	_, err = e.ec2.ModifyNetworkInterfaceAttribute(ctx, &ec2.ModifyNetworkInterfaceAttributeInput{NetworkInterfaceId: aws.String("eni-0")})
	assert.Equal(t, "InvalidNetworkInterfaceID.NotFound", apiCode(t, err))
}
