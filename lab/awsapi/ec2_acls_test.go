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
	"github.com/vlab-sim/vlab/vnet/flowlog"
)

// A deny entry in the target subnet's network ACL cuts the health checks'
// path: the target turns unhealthy; replacing it with an allow, or
// deleting it, lets them through again.
func TestNetworkAclEntries(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acl := e.l.Target.ENI().Subnet().NetworkACL()
	id := aws.String(acl.ID())
	state := func() elbtypes.TargetHealthStateEnum {
		h, err := e.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(e.l.TargetGroup.ARN())})
		require.NoError(t, err)
		return h.TargetHealthDescriptions[0].TargetHealth.State
	}
	require.Equal(t, elbtypes.TargetHealthStateEnumHealthy, state())
	entry := func(action ec2types.RuleAction) *ec2.CreateNetworkAclEntryInput {
		return &ec2.CreateNetworkAclEntryInput{NetworkAclId: id, RuleNumber: aws.Int32(50), Protocol: aws.String("6"), RuleAction: action,
			Egress: aws.Bool(false), CidrBlock: aws.String("10.0.10.25/32"), PortRange: &ec2types.PortRange{From: aws.Int32(22), To: aws.Int32(22)}}
	}
	_, err := e.ec2.CreateNetworkAclEntry(ctx, entry(ec2types.RuleActionDeny))
	require.NoError(t, err)
	rules := acl.Rules(false)
	require.Equal(t, 50, rules[0].Number, "the lab's ACL has the rule first")
	assert.False(t, rules[0].Allow)
	_, err = e.ec2.CreateNetworkAclEntry(ctx, entry(ec2types.RuleActionDeny))
	assert.Equal(t, "NetworkAclEntryAlreadyExists", apiCode(t, err))

	acls, err := e.ec2.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{*id}})
	require.NoError(t, err)
	var seen bool
	for _, en := range acls.NetworkAcls[0].Entries {
		if aws.ToInt32(en.RuleNumber) == 50 && !aws.ToBool(en.Egress) {
			seen = true
			assert.Equal(t, ec2types.RuleActionDeny, en.RuleAction)
			assert.Equal(t, int32(22), aws.ToInt32(en.PortRange.From))
		}
	}
	assert.True(t, seen, "DescribeNetworkAcls shows the entry")

	e.l.Clock().Advance(30 * time.Second)
	e.l.Clock().Advance(30 * time.Second)
	e.l.Clock().Advance(10 * time.Second)
	assert.Equal(t, elbtypes.TargetHealthStateEnumUnhealthy, state(), "the node's checks are denied")

	_, err = e.ec2.ReplaceNetworkAclEntry(ctx, &ec2.ReplaceNetworkAclEntryInput{NetworkAclId: id, RuleNumber: aws.Int32(50), Protocol: aws.String("6"), RuleAction: ec2types.RuleActionAllow,
		Egress: aws.Bool(false), CidrBlock: aws.String("10.0.10.25/32"), PortRange: &ec2types.PortRange{From: aws.Int32(22), To: aws.Int32(22)}})
	require.NoError(t, err)
	assert.True(t, acl.Rules(false)[0].Allow, "replaced in place")
	_, err = e.ec2.ReplaceNetworkAclEntry(ctx, &ec2.ReplaceNetworkAclEntryInput{NetworkAclId: id, RuleNumber: aws.Int32(51), Protocol: aws.String("-1"), RuleAction: ec2types.RuleActionAllow,
		Egress: aws.Bool(false), CidrBlock: aws.String("0.0.0.0/0")})
	assert.Equal(t, "InvalidNetworkAclEntry.NotFound", apiCode(t, err))
	for i := 0; i < 6; i++ {
		e.l.Clock().Advance(30 * time.Second)
	}
	assert.Equal(t, elbtypes.TargetHealthStateEnumHealthy, state())

	_, err = e.ec2.DeleteNetworkAclEntry(ctx, &ec2.DeleteNetworkAclEntryInput{NetworkAclId: id, RuleNumber: aws.Int32(50), Egress: aws.Bool(false)})
	require.NoError(t, err)
	assert.NotEqual(t, 50, acl.Rules(false)[0].Number)
	_, err = e.ec2.DeleteNetworkAclEntry(ctx, &ec2.DeleteNetworkAclEntryInput{NetworkAclId: id, RuleNumber: aws.Int32(50), Egress: aws.Bool(false)})
	assert.Equal(t, "InvalidNetworkAclEntry.NotFound", apiCode(t, err))
	_, err = e.ec2.DeleteNetworkAclEntry(ctx, &ec2.DeleteNetworkAclEntryInput{NetworkAclId: aws.String("acl-00000000000000000"), RuleNumber: aws.Int32(50), Egress: aws.Bool(false)})
	assert.Equal(t, "InvalidNetworkAclID.NotFound", apiCode(t, err))

	for _, n := range []int32{0, 32767} {
		in := entry(ec2types.RuleActionAllow)
		in.RuleNumber = aws.Int32(n)
		_, err = e.ec2.CreateNetworkAclEntry(ctx, in)
		assert.Equal(t, "InvalidParameterValue", apiCode(t, err), "rule %d", n)
	}
	in := entry(ec2types.RuleActionAllow)
	in.PortRange = nil
	_, err = e.ec2.CreateNetworkAclEntry(ctx, in)
	assert.Equal(t, "MissingParameter", apiCode(t, err), "TCP needs a port range")
	in = entry(ec2types.RuleActionAllow)
	in.CidrBlock = aws.String("10.0.0.300/8")
	_, err = e.ec2.CreateNetworkAclEntry(ctx, in)
	assert.Equal(t, "InvalidParameterValue", apiCode(t, err))

	logs := strings.Join(e.logs.all(), "\n")
	assert.Contains(t, logs, "CreateNetworkAclEntry "+*id+" inbound 50 tcp 22 10.0.10.25/32 deny: ok")
	assert.Contains(t, logs, "ReplaceNetworkAclEntry "+*id+" inbound 50 tcp 22 10.0.10.25/32 allow: ok")
	assert.Contains(t, logs, "DeleteNetworkAclEntry "+*id+" inbound 50: ok")
}

func TestDescribeFlowLogs(t *testing.T) {
	e := newEnv(t, func(c *lab.Config) { c.FlowLogs = &flowlog.Config{Interval: time.Minute} })
	ctx := context.Background()
	out, err := e.ec2.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
	require.NoError(t, err)
	require.Len(t, out.FlowLogs, 1)
	fl := out.FlowLogs[0]
	assert.True(t, strings.HasPrefix(aws.ToString(fl.FlowLogId), "fl-"))
	assert.Equal(t, e.l.VPC.ID(), aws.ToString(fl.ResourceId))
	assert.Equal(t, ec2types.TrafficTypeAll, fl.TrafficType)
	assert.Equal(t, ec2types.LogDestinationTypeCloudWatchLogs, fl.LogDestinationType)
	assert.Equal(t, int32(60), aws.ToInt32(fl.MaxAggregationInterval))
	assert.True(t, strings.HasPrefix(aws.ToString(fl.LogFormat), "${version} ${account-id} ${interface-id}"), aws.ToString(fl.LogFormat))
	assert.Equal(t, "ACTIVE", aws.ToString(fl.FlowLogStatus))

	byID, err := e.ec2.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: []string{aws.ToString(fl.FlowLogId)}})
	require.NoError(t, err)
	assert.Len(t, byID.FlowLogs, 1)
	none, err := e.ec2.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{Filter: []ec2types.Filter{{Name: aws.String("resource-id"), Values: []string{"vpc-0"}}}})
	require.NoError(t, err)
	assert.Empty(t, none.FlowLogs)
	_, err = e.ec2.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: []string{"fl-00000000000000000"}})
	assert.Equal(t, "InvalidFlowLogId.NotFound", apiCode(t, err))
	_, err = e.ec2.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{Filter: []ec2types.Filter{{Name: aws.String("nope"), Values: []string{"x"}}}})
	assert.Equal(t, "InvalidParameterValue", apiCode(t, err))

	plain := newEnv(t)
	empty, err := plain.ec2.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
	require.NoError(t, err)
	assert.Empty(t, empty.FlowLogs)
}
