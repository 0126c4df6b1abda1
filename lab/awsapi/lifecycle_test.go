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

	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/target"
)

// instanceState is DescribeInstances' state of id.
func (e *env) instanceState(t *testing.T, id string) ec2types.InstanceStateName {
	t.Helper()
	out, err := e.ec2.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	require.NoError(t, err)
	require.Len(t, out.Reservations, 1)
	return out.Reservations[0].Instances[0].State.Name
}

func (e *env) targetHealth(t *testing.T) elbtypes.TargetHealth {
	t.Helper()
	h, err := e.elb.DescribeTargetHealth(context.Background(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(e.l.TargetGroup.ARN())})
	require.NoError(t, err)
	require.Len(t, h.TargetHealthDescriptions, 1)
	return *h.TargetHealthDescriptions[0].TargetHealth
}

// Stop, then start: the states EC2 documents on the lab clock, the
// target unused (Target.InvalidState) while stopped and healthy again once
// the healthy threshold's checks pass after the start.
func TestStopStartInstances(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.l.Target.ID()

	d, err := e.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	require.NoError(t, err)
	inst := d.Reservations[0].Instances[0]
	assert.Equal(t, ec2types.InstanceStateNameRunning, inst.State.Name)
	assert.Equal(t, int32(16), aws.ToInt32(inst.State.Code))
	assert.Equal(t, e.l.Target.Image().AMI, aws.ToString(inst.ImageId))
	assert.Equal(t, ec2types.InstanceTypeT3Micro, inst.InstanceType)

	stop, err := e.ec2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}})
	require.NoError(t, err)
	require.Len(t, stop.StoppingInstances, 1)
	ch := stop.StoppingInstances[0]
	assert.Equal(t, id, aws.ToString(ch.InstanceId))
	assert.Equal(t, ec2types.InstanceStateNameRunning, ch.PreviousState.Name)
	assert.Equal(t, ec2types.InstanceStateNameStopping, ch.CurrentState.Name)
	assert.Equal(t, int32(64), aws.ToInt32(ch.CurrentState.Code))
	assert.Equal(t, ec2types.InstanceStateNameStopping, e.instanceState(t, id))

	e.l.Clock().Advance(target.StoppingTime)
	assert.Equal(t, ec2types.InstanceStateNameStopped, e.instanceState(t, id))
	h := e.targetHealth(t)
	assert.Equal(t, elbtypes.TargetHealthStateEnumUnused, h.State)
	assert.Equal(t, elbtypes.TargetHealthReasonEnumInvalidState, h.Reason)
	assert.Equal(t, "Target is in the stopped state", aws.ToString(h.Description))
	f, err := e.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"stopped"}}}})
	require.NoError(t, err)
	require.Len(t, f.Reservations, 1)

	// Stopping a stopped instance changes nothing.
	again, err := e.ec2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}})
	require.NoError(t, err)
	assert.Equal(t, ec2types.InstanceStateNameStopped, again.StoppingInstances[0].PreviousState.Name)
	assert.Equal(t, ec2types.InstanceStateNameStopped, again.StoppingInstances[0].CurrentState.Name)
	_, err = e.ec2.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: []string{id}})
	assert.Equal(t, "IncorrectInstanceState", apiCode(t, err))

	start, err := e.ec2.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}})
	require.NoError(t, err)
	require.Len(t, start.StartingInstances, 1)
	assert.Equal(t, ec2types.InstanceStateNameStopped, start.StartingInstances[0].PreviousState.Name)
	assert.Equal(t, ec2types.InstanceStateNamePending, start.StartingInstances[0].CurrentState.Name)
	assert.Equal(t, int32(0), aws.ToInt32(start.StartingInstances[0].CurrentState.Code))
	e.l.Clock().Advance(target.PendingTime)
	assert.Equal(t, ec2types.InstanceStateNameRunning, e.instanceState(t, id))

	hc := e.l.TargetGroup.HealthCheck()
	interval := time.Duration(hc.IntervalSeconds) * time.Second
	e.l.Clock().Advance(interval) // the first check after the boot
	assert.Equal(t, elbtypes.TargetHealthStateEnumInitial, e.targetHealth(t).State)
	for range hc.HealthyThresholdCount - 1 {
		assert.NotEqual(t, elbtypes.TargetHealthStateEnumHealthy, e.targetHealth(t).State)
		e.l.Clock().Advance(interval)
	}
	assert.Equal(t, elbtypes.TargetHealthStateEnumHealthy, e.targetHealth(t).State)

	logs := strings.Join(e.logs.all(), "\n")
	assert.Contains(t, logs, "StopInstances "+id+" running -> stopping: ok")
	assert.Contains(t, logs, "StartInstances "+id+" stopped -> pending: ok")
}

// A forced stop is reported as any stop; Reboot keeps the instance running.
func TestForceStopAndReboot(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.l.Target.ID()
	_, err := e.ec2.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: []string{id}})
	require.NoError(t, err)
	assert.Equal(t, ec2types.InstanceStateNameRunning, e.instanceState(t, id))
	e.l.Clock().Advance(target.RebootTime)
	res, err := e.l.Run(ctx, "true")
	require.NoError(t, err, "%s", res.Stderr)

	stop, err := e.ec2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}, Force: aws.Bool(true)})
	require.NoError(t, err)
	assert.Equal(t, ec2types.InstanceStateNameStopping, stop.StoppingInstances[0].CurrentState.Name)
	e.l.Clock().Advance(target.StoppingTime)
	assert.Equal(t, ec2types.InstanceStateNameStopped, e.instanceState(t, id))
	assert.Contains(t, strings.Join(e.logs.all(), "\n"), "RebootInstances "+id+" reboot: ok")
}

// Terminating is for good: a terminated instance cannot be started, and
// terminating it again changes nothing.
func TestTerminateInstances(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.l.Target.ID()
	out, err := e.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	require.NoError(t, err)
	require.Len(t, out.TerminatingInstances, 1)
	assert.Equal(t, ec2types.InstanceStateNameRunning, out.TerminatingInstances[0].PreviousState.Name)
	assert.Equal(t, ec2types.InstanceStateNameShuttingDown, out.TerminatingInstances[0].CurrentState.Name)
	assert.Equal(t, int32(32), aws.ToInt32(out.TerminatingInstances[0].CurrentState.Code))
	e.l.Clock().Advance(target.ShuttingDownTime)
	assert.Equal(t, ec2types.InstanceStateNameTerminated, e.instanceState(t, id))
	h := e.l.TargetGroup.HealthOf(nlb.Target{ID: id})
	require.Len(t, h, 1)
	assert.Equal(t, "Target.InvalidState", h[0].Reason)
	assert.Equal(t, "Target is in the terminated state", h[0].Description)

	_, err = e.ec2.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}})
	assert.Equal(t, "IncorrectInstanceState", apiCode(t, err))
	assert.Contains(t, err.Error(), "The instance '"+id+"' is not in a state from which it can be started.")
	_, err = e.ec2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}})
	assert.Equal(t, "IncorrectInstanceState", apiCode(t, err))
	again, err := e.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	require.NoError(t, err)
	assert.Equal(t, ec2types.InstanceStateNameTerminated, again.TerminatingInstances[0].CurrentState.Name)
	assert.Equal(t, int32(48), aws.ToInt32(again.TerminatingInstances[0].CurrentState.Code))
}

// Unknown ids, a missing id and DryRun are refused as EC2 refuses them.
func TestLifecycleErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.l.Target.ID()
	_, err := e.ec2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
	assert.Equal(t, "InvalidInstanceID.NotFound", apiCode(t, err))
	assert.Contains(t, err.Error(), "The instance ID 'i-0123456789abcdef0' does not exist")
	_, err = e.ec2.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{"i-0123456789abcdef0", "i-0123456789abcdef1"}})
	assert.Equal(t, "InvalidInstanceID.NotFound", apiCode(t, err))
	assert.Contains(t, err.Error(), "The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist")
	_, err = e.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id, "i-0123456789abcdef0"}})
	assert.Equal(t, "InvalidInstanceID.NotFound", apiCode(t, err))
	assert.Equal(t, ec2types.InstanceStateNameRunning, e.instanceState(t, id), "a refused request changes nothing")
	_, err = e.ec2.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: []string{}})
	assert.Equal(t, "MissingParameter", apiCode(t, err))
	_, err = e.ec2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}, DryRun: aws.Bool(true)})
	assert.Equal(t, "DryRunOperation", apiCode(t, err))
	assert.Equal(t, ec2types.InstanceStateNameRunning, e.instanceState(t, id))
	// Starting a running instance changes nothing.
	start, err := e.ec2.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}})
	require.NoError(t, err)
	assert.Equal(t, ec2types.InstanceStateNameRunning, start.StartingInstances[0].CurrentState.Name)
}
