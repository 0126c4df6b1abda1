package e2e

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/target"
	"github.com/vlab-sim/vlab/vnet"
)

// sickLab has two targets and an SSH session open to one of them, which
// then stops passing health checks (its ENI moves to a group that admits
// only the client: the session's tracked flow goes on) until it is
// unhealthy while the other stays healthy.
func sickLab(t *testing.T, attrs map[string]string) (*lab.Lab, *ssh.Client, *target.Instance) {
	t.Helper()
	c := manual(lab.Default())
	scenario(c).Targets = 2
	scenario(c).TargetGroupAttributes = attrs
	l := labtest.New(t, c)
	cl, err := l.SSH(ctxT(t))
	require.NoError(t, err)
	t.Cleanup(func() { cl.Close() })
	out := runOn(t, cl, "hostname")
	var sick *target.Instance
	for _, in := range l.Targets {
		if in.Hostname()+"\n" == out {
			sick = in
		}
	}
	require.NotNil(t, sick)

	clientOnly, err := l.VPC.AddSecurityGroup("client-only", "")
	require.NoError(t, err)
	require.NoError(t, clientOnly.AuthorizeIngress(vnet.SGRule{Protocol: "tcp", Ports: vnet.PortRange{From: 22, To: 22}, CIDR: netip.MustParsePrefix("203.0.113.10/32")}))
	require.NoError(t, sick.ENI().SetSecurityGroups([]*vnet.SecurityGroup{clientOnly}))
	for i := 0; i < 10 && healthOf(l, sick.ID()) != nlb.StateUnhealthy; i++ {
		l.Clock().Advance(30 * time.Second)
	}
	require.Equal(t, nlb.StateUnhealthy, healthOf(l, sick.ID()))
	require.False(t, l.TargetGroup.FailedOpen(), "the other target is healthy")
	return l, cl, sick
}

func healthOf(l *lab.Lab, id string) string {
	return l.TargetGroup.HealthOf(nlb.Target{ID: id})[0].State
}

// runOn runs cmd in a new session of cl, failing the test rather than
// hanging if the session does not finish within 20 s.
func runOn(t *testing.T, cl *ssh.Client, cmd string) string {
	t.Helper()
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := cl.NewSession()
		if err != nil {
			done <- result{nil, err}
			return
		}
		defer s.Close()
		out, err := s.Output(cmd)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		require.NoError(t, r.err)
		return string(r.out)
	case <-time.After(20 * time.Second):
		cl.Close()
		t.Fatalf("%q did not finish", cmd)
		return ""
	}
}

// By default (target_health_state.unhealthy.connection_termination.enabled
// true) the NLB resets the established flows of a target that turns
// unhealthy, and sends new flows to the healthy one.
func TestUnhealthyTargetFlowsAreReset(t *testing.T) {
	noLeaks(t)
	l, cl, sick := sickLab(t, nil)
	expectReset(t, cl, "the next packet of the flow is answered with an RST")
	assert.NotZero(t, l.NLB.Resets(), "counted as TCP_ELB_Reset_Count")
	for i := 0; i < 4; i++ {
		res, err := l.Run(ctxT(t), "hostname")
		require.NoError(t, err)
		assert.NotEqual(t, sick.Hostname()+"\n", res.Stdout, "new flows go to the healthy target")
	}
}

// With the attribute off, established flows continue.
func TestUnhealthyTargetFlowsContinueWithTerminationOff(t *testing.T) {
	noLeaks(t)
	l, cl, sick := sickLab(t, map[string]string{nlb.AttrUnhealthyTermination: "false"})
	assert.Equal(t, sick.Hostname()+"\n", runOn(t, cl, "hostname"))
	assert.Zero(t, l.NLB.Resets())
}

// An empty target group fails open too, with nothing to send to: the node
// drops the new flow and says why.
func TestEmptyGroupFailsOpen(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	require.NoError(t, l.TargetGroup.Deregister(l.Target.ID(), 0))
	assert.Equal(t, nlb.StateDraining, l.TargetGroup.Health()[0].State)
	assert.Equal(t, "Target.DeregistrationInProgress", l.TargetGroup.Health()[0].Reason)
	l.Clock().Advance(300 * time.Second) // deregistration_delay.timeout_seconds
	// DescribeTargetHealth lists registered targets only; asked for this
	// one, it answers unused, Target.NotRegistered.
	assert.Empty(t, l.TargetGroup.Health(), "no longer listed")
	th := l.TargetGroup.HealthOf(nlb.Target{ID: l.Target.ID()})
	require.Len(t, th, 1)
	assert.Equal(t, nlb.StateUnused, th[0].State)
	assert.Equal(t, "Target.NotRegistered", th[0].Reason)
	assert.Equal(t, "Target is not registered to the target group", th[0].Description)
	assert.Empty(t, l.TargetGroup.Targets())
	assert.True(t, l.TargetGroup.FailedOpen())
	node := l.NLB.Nodes()[0].ENI().ID()
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	go func() {
		assert.Eventually(t, func() bool { return l.Net.DropCount(node, vnet.DropNoTarget) > 0 }, 10*time.Second, time.Millisecond)
		cancel()
	}()
	_, err := l.Run(ctx, "true")
	assert.Error(t, err)
	d := dropsAt(l, node, vnet.DropNoTarget)
	require.NotEmpty(t, d)
	assert.True(t, strings.Contains(d[0].Last.Detail, "ssh-targets"), d[0].Last.Detail)
}

// expectReset checks that a new session on cl fails (its connection was
// reset), within 20 s.
func expectReset(t *testing.T, cl *ssh.Client, why string) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		s, err := cl.NewSession()
		if err == nil {
			s.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		assert.Error(t, err, why)
	case <-time.After(20 * time.Second):
		cl.Close()
		t.Fatalf("no reset: %s", why)
	}
}

// A target registered again while it drains goes back in service: its
// health checks start over and the deregistration delay's end leaves it
// registered (as AWS re-registers a draining target).
func TestRegisterADrainingTarget(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	target := nlb.Target{ID: l.Target.ID(), ENI: l.Target.ENI()}
	require.NoError(t, l.TargetGroup.Deregister(l.Target.ID(), 0))
	require.Equal(t, nlb.StateDraining, l.TargetGroup.Health()[0].State)
	require.NoError(t, l.TargetGroup.Register(target))
	assert.Equal(t, nlb.StateInitial, l.TargetGroup.Health()[0].State)
	assert.Equal(t, "Elb.RegistrationInProgress", l.TargetGroup.Health()[0].Reason)
	l.Clock().Advance(300 * time.Second) // past the deregistration delay
	require.Len(t, l.TargetGroup.Health(), 1, "still registered")
	assert.Equal(t, nlb.StateHealthy, l.TargetGroup.Health()[0].State)
	res, err := l.Run(ctxT(t), "true")
	require.NoError(t, err, "sessions reach it")
	assert.Equal(t, 0, res.ExitStatus)
}
