package e2e

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/vnet"
)

// AWS's defaults (interval 30 s, timeout 10 s, UnhealthyThresholdCount 2,
// HealthyThresholdCount 5) to the lab-time instant, with no tolerance: a
// healthy target whose checks stop getting through is still healthy after
// its first failed check and unhealthy at the second one's verdict (a check
// whose SYN is dropped fails at its timeout); back in reach it is still
// unhealthy after four passing checks and healthy at the fifth. The checks'
// lab times are read from the node's capture, the transitions from
// OnHealthChange.
func TestHealthThresholdsExactlyOnTheLabClock(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	clock := l.Clock()
	hc := l.TargetGroup.HealthCheck()
	require.Equal(t, []int{30, 10, 2, 5}, []int{hc.IntervalSeconds, hc.TimeoutSeconds, hc.UnhealthyThresholdCount, hc.HealthyThresholdCount}, "AWS's defaults")
	interval := time.Duration(hc.IntervalSeconds) * time.Second
	timeout := time.Duration(hc.TimeoutSeconds) * time.Second
	require.Equal(t, nlb.StateHealthy, stateOf(t, l, 0).State)

	var mu sync.Mutex
	var changes []nlb.HealthChange
	l.TargetGroup.OnHealthChange(func(h nlb.HealthChange) {
		mu.Lock()
		changes = append(changes, h)
		mu.Unlock()
	})
	// Every health check opens a connection from a new port of the node's
	// private address: its first SYN's lab time is the check's.
	node := l.NLB.Nodes()[0]
	target := netip.AddrPortFrom(l.Target.Addr(), 22)
	ports := map[uint16]bool{}
	var checks []time.Time
	stop := node.ENI().Tap(func(at time.Time, dir vnet.Direction, b []byte) {
		s, ok := tcpSegment(b)
		if !ok || dir != vnet.Out || s.src.Addr() != node.PrivateAddr() || s.dst != target || s.flags&(flagSYN|flagACK) != flagSYN {
			return
		}
		mu.Lock()
		if !ports[s.src.Port()] {
			ports[s.src.Port()] = true
			checks = append(checks, at)
		}
		mu.Unlock()
	})
	defer stop()
	// since returns the checks started at or after from and, of them, those
	// whose verdict (at start+after) is in by the clock's time.
	since := func(from time.Time, after time.Duration) (started, decided []time.Time) {
		mu.Lock()
		defer mu.Unlock()
		now := clock.Now()
		for _, c := range checks {
			if c.Before(from) {
				continue
			}
			started = append(started, c)
			if !c.Add(after).After(now) {
				decided = append(decided, c)
			}
		}
		return started, decided
	}
	changesSoFar := func() []nlb.HealthChange {
		mu.Lock()
		defer mu.Unlock()
		return append([]nlb.HealthChange(nil), changes...)
	}

	// Down: the node's rule goes; each check's SYN is dropped at the
	// target's interface and the check fails at its timeout.
	sg := l.TargetSecurityGroup
	nodeRule := sg.Inbound()[0]
	require.Contains(t, nodeRule.String(), "10.0.10.25/32")
	require.NoError(t, sg.RevokeIngress(nodeRule))
	revoked := clock.Now()
	sawOne := false
	for range 3 {
		clock.Advance(interval)
		_, failed := since(revoked, timeout)
		want := nlb.StateHealthy
		if len(failed) >= 2 {
			want = nlb.StateUnhealthy
		}
		sawOne = sawOne || len(failed) == 1
		assert.Equal(t, want, stateOf(t, l, 0).State, "after %d failed checks, %s of lab time after the rule went", len(failed), clock.Now().Sub(revoked))
	}
	require.True(t, sawOne, "the state was looked at between the first and the second failed check")
	started, failed := since(revoked, timeout)
	require.GreaterOrEqual(t, len(failed), 2)
	assert.Equal(t, interval, started[1].Sub(started[0]), "one check an interval")
	down := changesSoFar()
	require.Len(t, down, 1, "one transition: %+v", down)
	assert.Equal(t, nlb.StateHealthy, down[0].From)
	assert.Equal(t, nlb.StateUnhealthy, down[0].To)
	assert.Equal(t, nlb.ReasonFailedHealthChecks, down[0].Reason)
	assert.Equal(t, l.TargetGroup.Name(), down[0].GroupName)
	assert.Equal(t, failed[1].Add(timeout), down[0].At, "unhealthy at the second failed check's verdict, exactly")

	// Let the check in flight time out, then bring the rule back: every
	// check from then on passes, its verdict at its own lab time.
	clock.Advance(timeout)
	require.Equal(t, nlb.StateUnhealthy, stateOf(t, l, 0).State)
	require.NoError(t, sg.AuthorizeIngress(nodeRule))
	restored := clock.Now()
	for range 5 {
		clock.Advance(interval)
		_, passed := since(restored, 0)
		want := nlb.StateUnhealthy
		if len(passed) >= 5 {
			want = nlb.StateHealthy
		}
		assert.Equal(t, want, stateOf(t, l, 0).State, "after %d passing checks", len(passed))
	}
	_, passed := since(restored, 0)
	require.Len(t, passed, 5)
	all := changesSoFar()
	require.Len(t, all, 2, "%+v", all)
	assert.Equal(t, nlb.StateUnhealthy, all[1].From)
	assert.Equal(t, nlb.StateHealthy, all[1].To)
	assert.Equal(t, passed[4], all[1].At, "healthy at the fifth passing check, exactly")
}
