package awsapi_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/topology"
)

func TestDescribeLoadBalancersListenersTargetGroups(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	lbs, err := e.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	require.NoError(t, err)
	require.Len(t, lbs.LoadBalancers, 1)
	lb := lbs.LoadBalancers[0]
	assert.Equal(t, e.l.NLB.ARN(), aws.ToString(lb.LoadBalancerArn), "the ARN vlab describe prints")
	assert.Equal(t, e.l.NLB.DNSName(), aws.ToString(lb.DNSName))
	assert.Equal(t, elbtypes.LoadBalancerTypeEnumNetwork, lb.Type)
	assert.Equal(t, elbtypes.LoadBalancerSchemeEnumInternetFacing, lb.Scheme)
	assert.Equal(t, e.l.VPC.ID(), aws.ToString(lb.VpcId))
	require.Len(t, lb.AvailabilityZones, 1)
	assert.Equal(t, "198.51.100.10", aws.ToString(lb.AvailabilityZones[0].LoadBalancerAddresses[0].IpAddress))

	byName, err := e.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{e.l.NLB.Name()}})
	require.NoError(t, err)
	assert.Equal(t, lb.LoadBalancerArn, byName.LoadBalancers[0].LoadBalancerArn)
	_, err = e.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"nope"}})
	assert.Equal(t, "LoadBalancerNotFound", apiCode(t, err))
	_, err = e.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{strings.Replace(e.l.NLB.ARN(), e.l.NLB.ID(), "0000000000000000", 1)}})
	assert.Equal(t, "LoadBalancerNotFound", apiCode(t, err))

	ls, err := e.elb.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
	require.NoError(t, err)
	require.Len(t, ls.Listeners, 1)
	li := ls.Listeners[0]
	assert.Equal(t, int32(51512), aws.ToInt32(li.Port))
	assert.Equal(t, elbtypes.ProtocolEnumTcp, li.Protocol)
	assert.Equal(t, e.l.TargetGroup.ARN(), aws.ToString(li.DefaultActions[0].TargetGroupArn))
	again, err := e.elb.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{aws.ToString(li.ListenerArn)}})
	require.NoError(t, err)
	assert.Equal(t, li.ListenerArn, again.Listeners[0].ListenerArn)
	_, err = e.elb.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{aws.ToString(li.ListenerArn) + "0"}})
	assert.Equal(t, "ListenerNotFound", apiCode(t, err))

	tgs, err := e.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{LoadBalancerArn: lb.LoadBalancerArn})
	require.NoError(t, err)
	require.Len(t, tgs.TargetGroups, 1)
	tg := tgs.TargetGroups[0]
	assert.Equal(t, "ssh-targets", aws.ToString(tg.TargetGroupName))
	assert.Equal(t, int32(22), aws.ToInt32(tg.Port))
	assert.Equal(t, elbtypes.TargetTypeEnumInstance, tg.TargetType)
	assert.Equal(t, int32(30), aws.ToInt32(tg.HealthCheckIntervalSeconds))
	assert.Equal(t, "traffic-port", aws.ToString(tg.HealthCheckPort))
	assert.Equal(t, []string{e.l.NLB.ARN()}, tg.LoadBalancerArns)
	_, err = e.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{"nope"}})
	assert.Equal(t, "TargetGroupNotFound", apiCode(t, err))

	tags, err := e.elb.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{e.l.NLB.ARN(), e.l.TargetGroup.ARN()}})
	require.NoError(t, err)
	assert.Len(t, tags.TagDescriptions, 2)
}

func twoNLBs(t *testing.T) func(*lab.Config) {
	data, err := os.ReadFile("../../examples/two-nlbs.yaml")
	require.NoError(t, err)
	top, err := topology.Parse("two-nlbs.yaml", data)
	require.NoError(t, err)
	return func(c *lab.Config) { c.Topology = top }
}

func TestELBPaging(t *testing.T) {
	e := newEnv(t, twoNLBs(t))
	ctx := context.Background()
	first, err := e.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(1)})
	require.NoError(t, err)
	require.Len(t, first.LoadBalancers, 1)
	require.NotEmpty(t, aws.ToString(first.NextMarker), "a Marker for the next page")
	second, err := e.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(1), Marker: first.NextMarker})
	require.NoError(t, err)
	require.Len(t, second.LoadBalancers, 1)
	assert.Empty(t, aws.ToString(second.NextMarker), "the last page has no marker")
	assert.NotEqual(t, first.LoadBalancers[0].LoadBalancerArn, second.LoadBalancers[0].LoadBalancerArn)

	// The SDK's paginator walks the same pages.
	var names []string
	pg := elb.NewDescribeTargetGroupsPaginator(e.elb, &elb.DescribeTargetGroupsInput{PageSize: aws.Int32(1)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		require.NoError(t, err)
		for _, tg := range out.TargetGroups {
			names = append(names, aws.ToString(tg.TargetGroupName))
		}
	}
	assert.Len(t, names, len(e.l.TargetGroups))

	_, err = e.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(401)})
	assert.Equal(t, "ValidationError", apiCode(t, err))
	_, err = e.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Marker: aws.String("garbage")})
	assert.Equal(t, "ValidationError", apiCode(t, err))
}

func TestTargetHealthRegisterDeregister(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	arn := aws.String(e.l.TargetGroup.ARN())
	id := e.l.Target.ID()
	h, err := e.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: arn})
	require.NoError(t, err)
	require.Len(t, h.TargetHealthDescriptions, 1)
	d := h.TargetHealthDescriptions[0]
	assert.Equal(t, id, aws.ToString(d.Target.Id))
	assert.Equal(t, int32(22), aws.ToInt32(d.Target.Port))
	assert.Equal(t, "22", aws.ToString(d.HealthCheckPort))
	assert.Equal(t, elbtypes.TargetHealthStateEnumHealthy, d.TargetHealth.State)

	_, err = e.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(e.l.TargetGroup.ARN() + "0")})
	assert.Equal(t, "TargetGroupNotFound", apiCode(t, err))
	_, err = e.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: arn, Targets: []elbtypes.TargetDescription{{Id: aws.String("i-0000000000000000")}}})
	assert.Equal(t, "InvalidTarget", apiCode(t, err))

	// Deregistering drains on the lab clock, then the target is gone.
	_, err = e.elb.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: arn, Targets: []elbtypes.TargetDescription{{Id: aws.String(id)}}})
	require.NoError(t, err)
	h, err = e.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: arn})
	require.NoError(t, err)
	assert.Equal(t, elbtypes.TargetHealthStateEnumDraining, h.TargetHealthDescriptions[0].TargetHealth.State)
	assert.Equal(t, elbtypes.TargetHealthReasonEnumDeregistrationInProgress, h.TargetHealthDescriptions[0].TargetHealth.Reason)
	_, err = e.elb.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: arn, Targets: []elbtypes.TargetDescription{{Id: aws.String(id)}}})
	assert.Equal(t, "InvalidTarget", apiCode(t, err), "already draining")
	e.l.Clock().Advance(301 * time.Second)
	h, err = e.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: arn, Targets: []elbtypes.TargetDescription{{Id: aws.String(id)}}})
	require.NoError(t, err)
	assert.Equal(t, elbtypes.TargetHealthStateEnumUnused, h.TargetHealthDescriptions[0].TargetHealth.State)
	assert.Equal(t, elbtypes.TargetHealthReasonEnumNotRegistered, h.TargetHealthDescriptions[0].TargetHealth.Reason)

	// Registering again: initial, then healthy once the checks pass.
	_, err = e.elb.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: arn, Targets: []elbtypes.TargetDescription{{Id: aws.String(id), Port: aws.Int32(22)}}})
	require.NoError(t, err)
	h, err = e.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: arn})
	require.NoError(t, err)
	assert.Equal(t, elbtypes.TargetHealthStateEnumInitial, h.TargetHealthDescriptions[0].TargetHealth.State)
	for i := 0; i < 6; i++ {
		e.l.Clock().Advance(30 * time.Second)
	}
	h, err = e.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: arn})
	require.NoError(t, err)
	assert.Equal(t, elbtypes.TargetHealthStateEnumHealthy, h.TargetHealthDescriptions[0].TargetHealth.State)
	// Registering a registered target changes nothing.
	_, err = e.elb.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: arn, Targets: []elbtypes.TargetDescription{{Id: aws.String(id)}}})
	require.NoError(t, err)
	_, err = e.elb.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: arn, Targets: []elbtypes.TargetDescription{{Id: aws.String("i-0123456789abcdef0")}}})
	assert.Equal(t, "InvalidTarget", apiCode(t, err))

	logs := strings.Join(e.logs.all(), "\n")
	assert.Contains(t, logs, "DeregisterTargets ssh-targets "+id+":22: ok")
	assert.Contains(t, logs, "RegisterTargets ssh-targets "+id+":22: ok")
}

func TestAttributes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	arn := aws.String(e.l.TargetGroup.ARN())
	attrs, err := e.elb.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: arn})
	require.NoError(t, err)
	got := map[string]string{}
	for _, a := range attrs.Attributes {
		got[aws.ToString(a.Key)] = aws.ToString(a.Value)
	}
	assert.Equal(t, "300", got["deregistration_delay.timeout_seconds"])
	assert.Equal(t, "true", got["preserve_client_ip.enabled"])

	out, err := e.elb.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: arn,
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("10")}}})
	require.NoError(t, err)
	assert.Contains(t, out.Attributes, elbtypes.TargetGroupAttribute{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("10")})
	assert.Equal(t, "10", e.l.TargetGroup.Attributes()["deregistration_delay.timeout_seconds"], "the lab's group changed")
	_, err = e.elb.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: arn,
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("4000")}}})
	assert.Equal(t, "ValidationError", apiCode(t, err))
	_, err = e.elb.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: arn,
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("no.such.key"), Value: aws.String("1")}}})
	assert.Equal(t, "ValidationError", apiCode(t, err))

	lbArn := aws.String(e.l.NLB.ARN())
	lba, err := e.elb.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: lbArn})
	require.NoError(t, err)
	assert.Contains(t, lba.Attributes, elbtypes.LoadBalancerAttribute{Key: aws.String("load_balancing.cross_zone.enabled"), Value: aws.String("false")})
	_, err = e.elb.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: lbArn,
		Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String("load_balancing.cross_zone.enabled"), Value: aws.String("true")}}})
	require.NoError(t, err)
	assert.Equal(t, "true", e.l.NLB.Attributes()["load_balancing.cross_zone.enabled"])
	_, err = e.elb.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String("arn:nope")})
	assert.Equal(t, "LoadBalancerNotFound", apiCode(t, err))

	ls, err := e.elb.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: lbArn})
	require.NoError(t, err)
	la, err := e.elb.ModifyListenerAttributes(ctx, &elb.ModifyListenerAttributesInput{ListenerArn: ls.Listeners[0].ListenerArn,
		Attributes: []elbtypes.ListenerAttribute{{Key: aws.String("tcp.idle_timeout.seconds"), Value: aws.String("120")}}})
	require.NoError(t, err)
	assert.Contains(t, la.Attributes, elbtypes.ListenerAttribute{Key: aws.String("tcp.idle_timeout.seconds"), Value: aws.String("120")})
}
