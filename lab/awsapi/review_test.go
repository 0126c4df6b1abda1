package awsapi_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// DryRun changes nothing, for every EC2 action: a valid request answers
// DryRunOperation (HTTP 412), describes included.
func TestEC2DryRunChangesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sg := aws.String(e.l.TargetSecurityGroup.ID())
	rules := func() int {
		out, err := e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{*sg}})
		require.NoError(t, err)
		return len(out.SecurityGroups[0].IpPermissions)
	}
	before := rules()
	_, err := e.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: sg, IpPermissions: nodeRule(), DryRun: aws.Bool(true)})
	assert.Equal(t, "DryRunOperation", apiCode(t, err))
	assert.Contains(t, err.Error(), "Request would have succeeded, but DryRun flag is set.")
	assert.Equal(t, before, rules(), "a dry run revokes nothing")
	_, err = e.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{DryRun: aws.Bool(true)})
	assert.Equal(t, "DryRunOperation", apiCode(t, err))
	// Lifecycle actions still check their ids first.
	_, err = e.ec2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}, DryRun: aws.Bool(true)})
	assert.Equal(t, "InvalidInstanceID.NotFound", apiCode(t, err))
}

// A listener created on a port another listener left keeps its own ARN.
func TestListenerARNsStayUnique(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	lbArn := aws.String(e.l.NLB.ARN())
	tg, err := e.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("second"), Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(22), VpcId: aws.String(e.l.TargetGroup.VPC().ID())})
	require.NoError(t, err)
	forward := []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroups[0].TargetGroupArn}}
	first, err := e.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lbArn, Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(2222), DefaultActions: forward})
	require.NoError(t, err)
	_, err = e.elb.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: first.Listeners[0].ListenerArn, Port: aws.Int32(2223)})
	require.NoError(t, err)
	second, err := e.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lbArn, Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(2222), DefaultActions: forward})
	require.NoError(t, err)
	assert.NotEqual(t, aws.ToString(first.Listeners[0].ListenerArn), aws.ToString(second.Listeners[0].ListenerArn))

	// Two listeners forward to the group: it is described once.
	out, err := e.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{LoadBalancerArn: lbArn})
	require.NoError(t, err)
	var arns []string
	for _, g := range out.TargetGroups {
		arns = append(arns, aws.ToString(g.TargetGroupArn))
	}
	assert.ElementsMatch(t, []string{e.l.TargetGroup.ARN(), aws.ToString(tg.TargetGroups[0].TargetGroupArn)}, arns)
}

// A body over the limit is refused, not cut and parsed.
func TestOversizedBodyIsRefused(t *testing.T) {
	e := newEnv(t)
	body := "Action=DescribeVpcs&Version=2016-11-15&Pad=" + strings.Repeat("a", 1<<20)
	resp, err := http.Post(e.url, "application/x-www-form-urlencoded", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "%s", b)
	assert.Contains(t, string(b), "Request too large")
}

// What a browser could send is refused: an Origin header, a Host that is
// not loopback (DNS rebinding).
func TestBrowserRequestsAreRefused(t *testing.T) {
	e := newEnv(t)
	send := func(mod func(*http.Request)) (int, string) {
		req, err := http.NewRequest(http.MethodGet, e.url+"/?Action=DescribeVpcs&Version=2016-11-15", nil)
		require.NoError(t, err)
		mod(req)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := send(func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") })
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, "UnauthorizedOperation")
	assert.Contains(t, body, "Origin")
	code, body = send(func(r *http.Request) { r.Host = "rebind.example:1234" })
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, "rebind.example")
	code, body = send(func(r *http.Request) {
		r.URL.RawQuery = "Action=DescribeLoadBalancers&Version=2015-12-01"
		r.Host = "rebind.example"
	})
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, "AccessDenied")
	// Loopback names pass this check (and then meet SigV4's).
	for _, h := range []string{"localhost", "localhost:80", "127.0.0.1:9", "[::1]:9"} {
		code, body = send(func(r *http.Request) { r.Host = h })
		assert.NotContains(t, body, "vlab refuses", "%s (%d)", h, code)
	}
}
