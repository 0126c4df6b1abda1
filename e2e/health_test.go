package e2e

import (
	"context"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/vnet"
)

func manual(c lab.Config) lab.Config {
	c.ManualClock = true
	return c
}

func stateOf(t *testing.T, l *lab.Lab, i int) nlb.TargetHealth {
	t.Helper()
	hs := l.TargetGroup.Health()
	require.Greater(t, len(hs), i)
	return hs[i]
}

// dropsAt lists the drops counted at where for reason.
func dropsAt(l *lab.Lab, where string, reason vnet.DropReason) []vnet.Drop {
	var out []vnet.Drop
	for _, d := range l.Net.DropsAt(where) {
		if d.Reason == reason {
			out = append(out, d)
		}
	}
	return out
}

// O3 and O4 with both rules: the target is healthy and SSH works.
func TestBothRulesHealthyAndSSHWorks(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	h := stateOf(t, l, 0)
	assert.Equal(t, nlb.StateHealthy, h.State)
	assert.Empty(t, h.Reason)
	assert.Equal(t, "22", h.HealthCheckPort)
	assert.Equal(t, "ap-northeast-1a", h.AvailabilityZone)
	res, err := l.Run(ctxT(t), "hostname")
	require.NoError(t, err)
	assert.Equal(t, "ip-10-0-128-108\n", res.Stdout)
	assert.Empty(t, l.Net.Drops())
}

// O3: without the rule for the node, health checks are dropped at the
// target's ENI and the target is unhealthy; the only target being
// unhealthy, the NLB fails open and the session still opens.
func TestNoNodeRuleUnhealthyButFailsOpen(t *testing.T) {
	noLeaks(t)
	c := manual(lab.Default())
	scenario(c).NoSGNLBRule = true
	l := labtest.New(t, c)
	h := stateOf(t, l, 0)
	assert.Equal(t, nlb.StateUnhealthy, h.State)
	assert.Equal(t, "Target.FailedHealthChecks", h.Reason)
	// An NLB reports every failure as Target.FailedHealthChecks and says
	// the cause in the description (ELB API Reference, "TargetHealth").
	assert.Equal(t, "Health checks failed: no answer within 10 s (HealthCheckTimeoutSeconds)", h.Description)

	drops := dropsAt(l, l.Target.ENI().ID(), vnet.DropSecurityGroup)
	require.NotEmpty(t, drops)
	for _, d := range drops {
		assert.Equal(t, "10.0.10.25", d.Last.Flow.Src.Addr().String(), "health checks come from the node's private address")
		assert.Equal(t, "10.0.128.108:22", d.Last.Flow.Dst.String())
		assert.Contains(t, d.Last.Detail, "no inbound rule allows 10.0.10.25 to TCP 22")
		assert.Equal(t, "no inbound rule allows 10.0.10.25 to TCP 22", d.Last.Rule)
		assert.Contains(t, d.Last.Resource, "(ssh-target)")
	}
	assert.True(t, l.TargetGroup.FailedOpen())
	res, err := l.Run(ctxT(t), "echo $SSH_CLIENT")
	require.NoError(t, err, "fail open: the session opens through the unhealthy target")
	assert.True(t, strings.HasPrefix(res.Stdout, "203.0.113.10 "))
}

// O4: without the rule for the client the target is healthy, but the
// session cannot open: the client's SYN, rewritten to port 22, is dropped
// at the target's ENI with the client's own address as source.
func TestNoClientRuleHealthyButNoSession(t *testing.T) {
	noLeaks(t)
	c := manual(lab.Default())
	scenario(c).NoSGClientRule = true
	l := labtest.New(t, c)
	assert.Equal(t, nlb.StateHealthy, stateOf(t, l, 0).State)
	// The instance's capture never sees what its group dropped.
	var seen atomic.Int32
	stop := l.Target.ENI().Tap(func(_ time.Time, _ vnet.Direction, b []byte) {
		if netip.AddrFrom4([4]byte(b[12:16])).String() == "203.0.113.10" {
			seen.Add(1)
		}
	})
	defer stop()

	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	go func() {
		assert.Eventually(t, func() bool { return len(dropsAt(l, l.Target.ENI().ID(), vnet.DropSecurityGroup)) > 0 }, 10*time.Second, time.Millisecond)
		cancel()
	}()
	_, err := l.Run(ctx, "true")
	require.Error(t, err)
	drops := dropsAt(l, l.Target.ENI().ID(), vnet.DropSecurityGroup)
	require.Len(t, drops, 1)
	assert.Equal(t, "203.0.113.10", drops[0].Last.Flow.Src.Addr().String())
	assert.Equal(t, uint16(22), drops[0].Last.Flow.Dst.Port(), "the destination port at the target is 22, not 51512")
	assert.Contains(t, drops[0].Last.Detail, "ssh-target")
	assert.Contains(t, drops[0].Last.Detail, "no inbound rule allows 203.0.113.10 to TCP 22")
	assert.Empty(t, dropsAt(l, l.NLB.Nodes()[0].ENI().ID(), vnet.DropSecurityGroup), "the node let it through")
	assert.Zero(t, seen.Load(), "a packet the security group dropped never reaches the instance's capture")
}

// A target rule that references the NLB's security group admits both the
// health checks and the forwarded clients, whose source stays the client's;
// a host that tries the target directly is refused.
func TestRuleReferencingNLBSecurityGroup(t *testing.T) {
	noLeaks(t)
	c := manual(lab.Default())
	scenario(c).NLBSecurityGroup = true
	l := labtest.New(t, c)
	rules := l.TargetSecurityGroup.Inbound()
	require.Len(t, rules, 1)
	require.NotNil(t, rules[0].Group)
	assert.Equal(t, "vlab-nlb", rules[0].Group.Name())

	assert.Equal(t, nlb.StateHealthy, stateOf(t, l, 0).State)
	res, err := l.Run(ctxT(t), "echo $SSH_CLIENT")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(res.Stdout, "203.0.113.10 "), res.Stdout)

	// A host in the VPC, not in the NLB's group, tries port 22 directly.
	other, err := l.Net.NewHost("bastion")
	require.NoError(t, err)
	_, err = other.AttachSubnet(l.VPC.Subnet("vlab-public-1a"), netip.MustParseAddr("10.0.1.50"), vnet.ENIOptions{})
	require.NoError(t, err)
	assertDropped(t, l, other, "10.0.128.108:22", l.Target.ENI().ID(), vnet.DropSecurityGroup)
}

// The NLB's group filters clients at the node.
func TestNLBSecurityGroupFiltersClients(t *testing.T) {
	noLeaks(t)
	c := manual(lab.Default())
	scenario(c).NLBSecurityGroup = true
	l := labtest.New(t, c)
	g := l.NLB.SecurityGroups()[0]
	require.NoError(t, g.RevokeIngress(g.Inbound()[0]))
	node := l.NLB.Nodes()[0].ENI().ID()
	assertDropped(t, l, l.Client.Host(), "198.51.100.10:51512", node, vnet.DropSecurityGroup)
	d := dropsAt(l, node, vnet.DropSecurityGroup)[0]
	assert.Equal(t, "10.0.10.25:51512", d.Last.Flow.Dst.String(), "the node sees its private address after the gateway's mapping")
	// Health checks obey only the group's outbound rules: with no inbound
	// rule left the target stays healthy.
	l.Clock().Advance(5 * time.Minute)
	assert.Equal(t, nlb.StateHealthy, stateOf(t, l, 0).State)
}

// Network ACLs are stateless: an outbound rule that denies the ephemeral
// ports blocks the replies, and the session cannot open until it goes.
func TestNACLBlockingEphemeralRepliesBreaksSessions(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	acl := l.VPC.AddNetworkACL("private-acl")
	all := netip.MustParsePrefix("0.0.0.0/0")
	require.NoError(t, acl.AddRule(false, vnet.ACLRule{Number: 100, Protocol: "tcp", Ports: vnet.PortRange{From: 22, To: 22}, CIDR: all, Allow: true}))
	require.NoError(t, acl.AddRule(true, vnet.ACLRule{Number: 100, Protocol: "tcp", Ports: vnet.PortRange{From: 1024, To: 65535}, CIDR: all, Allow: false}))
	require.NoError(t, acl.AddRule(true, vnet.ACLRule{Number: 200, Protocol: "all", CIDR: all, Allow: true}))
	priv := l.VPC.Subnet("vlab-private-1a")
	require.NoError(t, priv.AssociateNetworkACL(acl))

	ctx, cancel := context.WithCancel(ctxT(t))
	go func() {
		assert.Eventually(t, func() bool { return len(dropsAt(l, priv.ID(), vnet.DropNetworkACL)) > 0 }, 10*time.Second, time.Millisecond)
		cancel()
	}()
	_, err := l.Run(ctx, "true")
	require.Error(t, err)
	d := dropsAt(l, priv.ID(), vnet.DropNetworkACL)[0]
	assert.Equal(t, "10.0.128.108", d.Last.Flow.Src.Addr().String(), "the reply from port 22 is what the ACL drops")
	assert.Contains(t, d.Last.Detail, "outbound rule 100 denies")

	require.NoError(t, acl.RemoveRule(true, 100))
	_, err = l.Run(ctxT(t), "true")
	assert.NoError(t, err, "with the reply ports allowed the session opens")
}

func assertDropped(t *testing.T, l *lab.Lab, from *vnet.Host, addr, where string, reason vnet.DropReason) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	go func() {
		assert.Eventually(t, func() bool { return l.Net.DropCount(where, reason) > 0 }, 10*time.Second, time.Millisecond)
		cancel()
	}()
	_, err := from.DialContext(ctx, "tcp", addr)
	require.Error(t, err)
	assert.NotZero(t, l.Net.DropCount(where, reason), "dropped at %s as %s", where, reason)
}

// With the manual clock and AWS's defaults (interval 30 s, unhealthy
// threshold 2, healthy threshold 5), a target that stops answering turns
// unhealthy after about 2 x 30 s of lab time and healthy again after about
// 5 x 30 s once it answers; no real time is waited.
func TestThresholdsOnTheLabClock(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	clock := l.Clock()
	sg := l.TargetSecurityGroup
	nodeRule := sg.Inbound()[0]
	require.Contains(t, nodeRule.String(), "10.0.10.25/32")
	require.Equal(t, nlb.StateHealthy, stateOf(t, l, 0).State)

	// stepUntil advances a second at a time until the state is want and
	// returns the lab time it took.
	stepUntil := func(want string) time.Duration {
		start := clock.Now()
		for i := 0; i < 600; i++ {
			if stateOf(t, l, 0).State == want {
				return clock.Now().Sub(start)
			}
			clock.Advance(time.Second)
		}
		t.Fatalf("still %s after 600 s of lab time", stateOf(t, l, 0).State)
		return 0
	}
	wall := time.Now()
	require.NoError(t, sg.RevokeIngress(nodeRule))
	down := stepUntil(nlb.StateUnhealthy)
	assert.InDelta(t, (60 * time.Second).Seconds(), down.Seconds(), 30, "unhealthy after UnhealthyThresholdCount x interval, within one interval")
	assert.Equal(t, "Target.FailedHealthChecks", stateOf(t, l, 0).Reason)

	require.NoError(t, sg.AuthorizeIngress(nodeRule))
	up := stepUntil(nlb.StateHealthy)
	assert.InDelta(t, (150 * time.Second).Seconds(), up.Seconds(), 30, "healthy after HealthyThresholdCount x interval, within one interval")
	assert.Less(t, time.Since(wall), 60*time.Second, "lab time, not real time")
}

func TestHealthCheckSettingsAreValidated(t *testing.T) {
	noLeaks(t)
	for _, c := range []struct {
		hc   nlb.HealthCheck
		want string
	}{
		{nlb.HealthCheck{IntervalSeconds: 3}, "HealthCheckIntervalSeconds 3: must be 5-300"},
		{nlb.HealthCheck{TimeoutSeconds: 121, IntervalSeconds: 300}, "HealthCheckTimeoutSeconds 121: must be 2-120"},
		{nlb.HealthCheck{HealthyThresholdCount: 11}, "HealthyThresholdCount 11: must be 2-10"},
		{nlb.HealthCheck{UnhealthyThresholdCount: 1}, "UnhealthyThresholdCount 1: must be 2-10"},
		{nlb.HealthCheck{Protocol: "UDP"}, `HealthCheckProtocol "UDP"`},
		{nlb.HealthCheck{Port: "70000"}, `HealthCheckPort "70000"`},
		{nlb.HealthCheck{Protocol: "HTTP", Matcher: "100"}, `Matcher "100"`},
	} {
		cfg := lab.Default()
		scenario(cfg).HealthCheck = c.hc
		_, err := lab.New(cfg)
		assert.ErrorContains(t, err, c.want)
	}
}

// An HTTP health check: path and status matcher.
func TestHTTPHealthCheck(t *testing.T) {
	noLeaks(t)
	c := manual(lab.Default())
	scenario(c).HealthCheck = nlb.HealthCheck{Protocol: "HTTP", Port: "8080", Path: "/healthz"}
	l := labtest.New(t, c)
	// Nothing listens on 8080 yet: the checks are refused.
	assert.Equal(t, nlb.StateUnhealthy, stateOf(t, l, 0).State)
	require.NoError(t, l.TargetSecurityGroup.AuthorizeIngress(vnet.SGRule{Protocol: "tcp", Ports: vnet.PortRange{From: 8080, To: 8080}, CIDR: netip.MustParsePrefix("10.0.0.0/16")}))
	ln, err := l.Target.Listen("tcp", ":8080")
	require.NoError(t, err)
	paths := make(chan string, 16)
	var failing atomic.Bool
	srv := serveHTTP(ln, func(path, host string) int {
		select {
		case paths <- path + " " + host:
		default: // never block a check on a full channel
		}
		if failing.Load() {
			return 503
		}
		if path == "/healthz" {
			return 200
		}
		return 404
	})
	defer srv.Close()
	// Every wait has a deadline, so that broken checks fail the test
	// rather than hang it: Advance itself waits for a check at most its
	// real-time guard.
	for i := 0; i < 10 && stateOf(t, l, 0).State != nlb.StateHealthy; i++ {
		l.Clock().Advance(30 * time.Second)
	}
	assert.Equal(t, nlb.StateHealthy, stateOf(t, l, 0).State)
	select {
	case got := <-paths:
		assert.Equal(t, "/healthz 10.0.10.25:51512", got, "AWS's Host header: the node's address and the listener port")
	case <-time.After(10 * time.Second):
		t.Fatal("no health check request reached the target's HTTP server")
	}

	// The service answers 503: unhealthy, Target.FailedHealthChecks (an
	// NLB's only reason), the code in the description as AWS gives it.
	failing.Store(true)
	l.Clock().Advance(60 * time.Second)
	h := stateOf(t, l, 0)
	assert.Equal(t, nlb.StateUnhealthy, h.State)
	assert.Equal(t, nlb.ReasonFailedHealthChecks, h.Reason)
	assert.Equal(t, "Health checks failed with these codes: [503]", h.Description)
}
