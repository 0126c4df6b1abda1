package awsapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/reference"
)

// ModifyTargetGroup's settings hold on the lab clock: a shorter interval
// checks sooner, a lower unhealthy threshold turns a failing target
// unhealthy at its next failed check.
func TestModifyTargetGroupHealthCheck(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	arn := aws.String(e.l.TargetGroup.ARN())
	state := func() elbtypes.TargetHealthStateEnum {
		h, err := e.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: arn})
		require.NoError(t, err)
		return h.TargetHealthDescriptions[0].TargetHealth.State
	}
	require.Equal(t, elbtypes.TargetHealthStateEnumHealthy, state())

	out, err := e.elb.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: arn,
		HealthCheckIntervalSeconds: aws.Int32(10), HealthCheckTimeoutSeconds: aws.Int32(5), UnhealthyThresholdCount: aws.Int32(5)})
	require.NoError(t, err)
	require.Len(t, out.TargetGroups, 1)
	assert.Equal(t, int32(10), aws.ToInt32(out.TargetGroups[0].HealthCheckIntervalSeconds))
	assert.Equal(t, int32(5), aws.ToInt32(out.TargetGroups[0].UnhealthyThresholdCount))
	hc := e.l.TargetGroup.HealthCheck()
	assert.Equal(t, 10, hc.IntervalSeconds, "the lab's group changed")
	assert.Equal(t, 5, hc.TimeoutSeconds)

	_, err = e.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(e.l.TargetSecurityGroup.ID()), IpPermissions: nodeRule()})
	require.NoError(t, err)
	// Three checks fail within 40 s at the new interval: under the
	// threshold of five, the target stays healthy.
	for i := 0; i < 8; i++ {
		e.l.Clock().Advance(5 * time.Second)
	}
	assert.Equal(t, elbtypes.TargetHealthStateEnumHealthy, state())
	_, err = e.elb.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: arn, UnhealthyThresholdCount: aws.Int32(2)})
	require.NoError(t, err)
	// The next failed check crosses the lower threshold.
	e.l.Clock().Advance(5 * time.Second)
	e.l.Clock().Advance(5 * time.Second)
	assert.Equal(t, elbtypes.TargetHealthStateEnumUnhealthy, state())

	// HTTP checks take a path and matcher; TCP checks do not.
	out, err = e.elb.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: arn, HealthCheckProtocol: elbtypes.ProtocolEnumHttp,
		HealthCheckPath: aws.String("/healthz"), HealthCheckPort: aws.String("80"), Matcher: &elbtypes.Matcher{HttpCode: aws.String("200-299")}})
	require.NoError(t, err)
	assert.Equal(t, "/healthz", aws.ToString(out.TargetGroups[0].HealthCheckPath))
	assert.Equal(t, "200-299", aws.ToString(out.TargetGroups[0].Matcher.HttpCode))
	assert.Equal(t, "HTTP", e.l.TargetGroup.HealthCheck().Protocol)

	for _, bad := range []struct {
		in   elb.ModifyTargetGroupInput
		code string
	}{
		{elb.ModifyTargetGroupInput{HealthCheckIntervalSeconds: aws.Int32(4)}, "ValidationError"},
		{elb.ModifyTargetGroupInput{HealthCheckIntervalSeconds: aws.Int32(301)}, "ValidationError"},
		{elb.ModifyTargetGroupInput{HealthCheckTimeoutSeconds: aws.Int32(1)}, "ValidationError"},
		{elb.ModifyTargetGroupInput{HealthyThresholdCount: aws.Int32(11)}, "ValidationError"},
		{elb.ModifyTargetGroupInput{UnhealthyThresholdCount: aws.Int32(1)}, "ValidationError"},
		{elb.ModifyTargetGroupInput{HealthCheckTimeoutSeconds: aws.Int32(20)}, "InvalidConfigurationRequest"}, // above the interval
		{elb.ModifyTargetGroupInput{Matcher: &elbtypes.Matcher{HttpCode: aws.String("100")}}, "InvalidConfigurationRequest"},
		{elb.ModifyTargetGroupInput{HealthCheckProtocol: elbtypes.ProtocolEnumTcp, HealthCheckPath: aws.String("/")}, "InvalidConfigurationRequest"},
		{elb.ModifyTargetGroupInput{HealthCheckProtocol: elbtypes.ProtocolEnumUdp}, "InvalidConfigurationRequest"},
		{elb.ModifyTargetGroupInput{HealthCheckPort: aws.String("70000")}, "ValidationError"},
	} {
		in := bad.in
		in.TargetGroupArn = arn
		_, err := e.elb.ModifyTargetGroup(ctx, &in)
		assert.Equal(t, bad.code, apiCode(t, err), "%+v", bad.in)
	}
	_, err = e.elb.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: aws.String(*arn + "0")})
	assert.Equal(t, "TargetGroupNotFound", apiCode(t, err))
	assert.Equal(t, 10, e.l.TargetGroup.HealthCheck().IntervalSeconds, "refused changes leave the group as it was")

	assert.Contains(t, strings.Join(e.logs.all(), "\n"), "ModifyTargetGroup ssh-targets health check TCP port traffic-port, interval 10s, timeout 5s, healthy 5, unhealthy 5: ok")
}

// A target group created through the API serves once a listener forwards
// to it, and can be deleted only when none does.
func TestTargetGroupsAndListeners(t *testing.T) {
	// Runs last: the deleted group's checks and the lab are gone.
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
	e := newEnv(t)
	ctx := context.Background()
	lbArn := aws.String(e.l.NLB.ARN())
	create := func(name string, port int32) (*elb.CreateTargetGroupOutput, error) {
		return e.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String(name), Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(port),
			VpcId: aws.String(e.l.VPC.ID()), HealthCheckIntervalSeconds: aws.Int32(10)})
	}
	tgOut, err := create("api-tg", 22)
	require.NoError(t, err)
	tg := tgOut.TargetGroups[0]
	assert.Equal(t, int32(10), aws.ToInt32(tg.HealthCheckIntervalSeconds))
	assert.Empty(t, tg.LoadBalancerArns)
	require.Len(t, e.l.TargetGroups, 2, "the lab has the group")
	again, err := create("api-tg", 22)
	require.NoError(t, err)
	assert.Equal(t, tg.TargetGroupArn, again.TargetGroups[0].TargetGroupArn, "the same settings answer the same group")
	_, err = create("api-tg", 23)
	assert.Equal(t, "DuplicateTargetGroupName", apiCode(t, err))
	_, err = create("-bad", 22)
	assert.Equal(t, "ValidationError", apiCode(t, err))
	_, err = e.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("x"), Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(22), VpcId: aws.String("vpc-00000000")})
	assert.Equal(t, "ValidationError", apiCode(t, err))
	_, err = e.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("x"), Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(22), VpcId: aws.String(e.l.VPC.ID()), HealthCheckIntervalSeconds: aws.Int32(2)})
	assert.Equal(t, "ValidationError", apiCode(t, err))

	// Registered with no listener: unused.
	_, err = e.elb.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []elbtypes.TargetDescription{{Id: aws.String(e.l.Target.ID())}}})
	require.NoError(t, err)
	health := func() elbtypes.TargetHealth {
		h, err := e.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
		require.NoError(t, err)
		return *h.TargetHealthDescriptions[0].TargetHealth
	}
	assert.Equal(t, elbtypes.TargetHealthStateEnumUnused, health().State)
	assert.Equal(t, elbtypes.TargetHealthReasonEnumNotInUse, health().Reason)

	forward := []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroupArn}}
	li, err := e.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lbArn, Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(2222), DefaultActions: forward})
	require.NoError(t, err)
	listener := li.Listeners[0]
	assert.Equal(t, int32(2222), aws.ToInt32(listener.Port))
	assert.Equal(t, tg.TargetGroupArn, listener.DefaultActions[0].TargetGroupArn)
	assert.NotNil(t, e.l.NLB.Listeners()[1], "the lab's load balancer listens")
	assert.Equal(t, uint16(2222), e.l.NLB.Listeners()[0].Port)
	assert.Equal(t, elbtypes.TargetHealthStateEnumInitial, health().State, "checked once a listener forwards")
	e.l.Clock().Advance(10 * time.Second)
	assert.Equal(t, elbtypes.TargetHealthStateEnumHealthy, health().State)
	dup, err := e.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lbArn, Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(2222), DefaultActions: forward})
	require.NoError(t, err)
	assert.Equal(t, listener.ListenerArn, dup.Listeners[0].ListenerArn, "the same listener again answers it")
	for _, bad := range []struct {
		in   elb.CreateListenerInput
		code string
	}{
		{elb.CreateListenerInput{LoadBalancerArn: lbArn, Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(51512), DefaultActions: forward}, "DuplicateListener"},
		{elb.CreateListenerInput{LoadBalancerArn: lbArn, Protocol: elbtypes.ProtocolEnumUdp, Port: aws.Int32(53), DefaultActions: forward}, "UnsupportedProtocol"},
		{elb.CreateListenerInput{LoadBalancerArn: lbArn, Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(2000), DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(*tg.TargetGroupArn + "0")}}}, "TargetGroupNotFound"},
		{elb.CreateListenerInput{LoadBalancerArn: aws.String(*lbArn + "0"), Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(2000), DefaultActions: forward}, "LoadBalancerNotFound"},
		{elb.CreateListenerInput{LoadBalancerArn: lbArn, Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(0), DefaultActions: forward}, "ValidationError"},
	} {
		_, err := e.elb.CreateListener(ctx, &bad.in)
		assert.Equal(t, bad.code, apiCode(t, err), "%+v", bad.in)
	}

	_, err = e.elb.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: tg.TargetGroupArn})
	assert.Equal(t, "ResourceInUse", apiCode(t, err))

	// ModifyListener moves the port, keeping the ARN, then forwards to the
	// lab's group: the API's group is unused again.
	mod, err := e.elb.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: listener.ListenerArn, Port: aws.Int32(2223)})
	require.NoError(t, err)
	assert.Equal(t, listener.ListenerArn, mod.Listeners[0].ListenerArn)
	assert.Equal(t, uint16(2223), e.l.NLB.Listeners()[0].Port)
	_, err = e.elb.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: listener.ListenerArn, Port: aws.Int32(51512)})
	assert.Equal(t, "DuplicateListener", apiCode(t, err))
	mod, err = e.elb.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: listener.ListenerArn,
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(e.l.TargetGroup.ARN())}}})
	require.NoError(t, err)
	assert.Equal(t, e.l.TargetGroup.ARN(), aws.ToString(mod.Listeners[0].DefaultActions[0].TargetGroupArn))
	assert.Same(t, e.l.TargetGroup, e.l.NLB.Listeners()[0].TargetGroup)
	assert.Equal(t, elbtypes.TargetHealthStateEnumUnused, health().State)
	_, err = e.elb.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: aws.String(*listener.ListenerArn + "0"), Port: aws.Int32(3000)})
	assert.Equal(t, "ListenerNotFound", apiCode(t, err))

	_, err = e.elb.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: listener.ListenerArn})
	require.NoError(t, err)
	assert.Len(t, e.l.NLB.Listeners(), 1)
	_, err = e.elb.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: listener.ListenerArn})
	assert.Equal(t, "ListenerNotFound", apiCode(t, err))
	assert.Equal(t, elbtypes.TargetHealthStateEnumHealthy, func() elbtypes.TargetHealthStateEnum {
		h, err := e.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(e.l.TargetGroup.ARN())})
		require.NoError(t, err)
		return h.TargetHealthDescriptions[0].TargetHealth.State
	}(), "the lab's group keeps its other listener and its health")

	_, err = e.elb.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: tg.TargetGroupArn})
	require.NoError(t, err)
	assert.Len(t, e.l.TargetGroups, 1, "the lab forgot the group")
	_, err = e.elb.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: tg.TargetGroupArn})
	require.NoError(t, err, "deleting is idempotent")
	_, err = e.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{*tg.TargetGroupArn}})
	assert.Equal(t, "TargetGroupNotFound", apiCode(t, err))

	logs := strings.Join(e.logs.all(), "\n")
	assert.Contains(t, logs, "CreateTargetGroup "+*tg.TargetGroupArn+": ok")
	assert.Contains(t, logs, "CreateListener vlab-nlb TCP 2222 -> api-tg: ok")
	assert.Contains(t, logs, "ModifyListener vlab-nlb listener 2222: TCP 2223 -> api-tg: ok")
	assert.Contains(t, logs, "DeleteListener vlab-nlb listener 2223: ok")
	assert.Contains(t, logs, "DeleteTargetGroup api-tg: ok")
}

func TestSetSecurityGroups(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.elb.SetSecurityGroups(ctx, &elb.SetSecurityGroupsInput{LoadBalancerArn: aws.String(e.l.NLB.ARN()), SecurityGroups: []string{e.l.TargetSecurityGroup.ID()}})
	assert.Equal(t, "InvalidConfigurationRequest", apiCode(t, err), "an NLB created without groups cannot get any")
	assert.Empty(t, e.l.NLB.SecurityGroups())

	e = newEnv(t, func(c *lab.Config) { c.Topology.(*reference.Config).NLBSecurityGroup = true })
	arn := aws.String(e.l.NLB.ARN())
	require.Len(t, e.l.NLB.SecurityGroups(), 1)
	out, err := e.elb.SetSecurityGroups(ctx, &elb.SetSecurityGroupsInput{LoadBalancerArn: arn, SecurityGroups: []string{e.l.NLB.SecurityGroups()[0].ID(), e.l.TargetSecurityGroup.ID()}})
	require.NoError(t, err)
	assert.Len(t, out.SecurityGroupIds, 2)
	require.Len(t, e.l.NLB.SecurityGroups(), 2, "the lab's load balancer changed")
	assert.Len(t, e.l.NLB.Nodes()[0].ENI().SecurityGroups(), 2, "and its nodes' interfaces")
	_, err = e.elb.SetSecurityGroups(ctx, &elb.SetSecurityGroupsInput{LoadBalancerArn: arn, SecurityGroups: []string{"sg-00000000000000000"}})
	assert.Equal(t, "InvalidSecurityGroup", apiCode(t, err))
	_, err = e.elb.SetSecurityGroups(ctx, &elb.SetSecurityGroupsInput{LoadBalancerArn: aws.String(*arn + "0"), SecurityGroups: []string{e.l.TargetSecurityGroup.ID()}})
	assert.Equal(t, "LoadBalancerNotFound", apiCode(t, err))
	assert.Contains(t, strings.Join(e.logs.all(), "\n"), "SetSecurityGroups vlab-nlb groups ")
}
