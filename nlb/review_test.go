package nlb

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/vnet"
)

// inUse attaches a load balancer without nodes to tg, as a listener does:
// checks run (and find no node to check from).
func inUse(tg *TargetGroup, port uint16) *LoadBalancer {
	lb := &LoadBalancer{}
	tg.attach(lb, port)
	return lb
}

// Deregister, register again while draining, deregister again: the
// target drains for the whole delay of the second deregistration, and its
// checks start over when registered again.
func TestDrainRestartsOnRegisterAgain(t *testing.T) {
	tg := pickGroup(t, 1)
	inUse(tg, 80)
	require.NoError(t, tg.SetAttribute(AttrDeregistrationDelay, "10"))
	m := tg.members[0]
	tt := m.Target
	clock := tg.net.Clock()
	require.NoError(t, tg.Deregister(tt.ID, 0))
	clock.Advance(5 * time.Second)
	tg.mu.Lock()
	cause := "Health checks failed"
	m.passes, m.fails, m.checked = 3, 1, true
	m.cause.Store(&cause)
	tg.mu.Unlock()
	require.NoError(t, tg.Register(tt))
	tg.mu.RLock()
	assert.Equal(t, 0, m.passes)
	assert.Equal(t, 0, m.fails)
	assert.False(t, m.checked)
	assert.Nil(t, m.cause.Load())
	tg.mu.RUnlock()
	require.NoError(t, tg.Deregister(tt.ID, 0))
	clock.Advance(6 * time.Second) // past the first deregistration's delay
	require.Len(t, tg.Health(), 1, "the first drain's timer removed the target early")
	assert.Equal(t, StateDraining, tg.Health()[0].State)
	clock.Advance(5 * time.Second)
	assert.Empty(t, tg.Health())
}

// loops reports whether anything still checks m once its current round is
// stopped: a second loop would schedule rounds of its own.
func loops(t *testing.T, tg *TargetGroup, m *member) bool {
	t.Helper()
	tg.mu.Lock()
	require.NotNil(t, m.round)
	m.round.Stop()
	r := m.round
	tg.mu.Unlock()
	hc := tg.HealthCheck()
	tg.net.Clock().Advance(2 * hc.interval())
	tg.mu.RLock()
	defer tg.mu.RUnlock()
	return m.round != r
}

// A target is checked by one loop, however its group is detached and
// attached again.
func TestOneCheckLoopPerTarget(t *testing.T) {
	t.Run("stopped", func(t *testing.T) {
		tg := pickGroup(t, 1)
		lb := inUse(tg, 80)
		m := tg.members[0]
		tg.mu.Lock()
		tg.setLocked(m, StateUnused, ReasonInvalidState) // as a stopped instance is
		tg.mu.Unlock()
		tg.detach(lb)
		inUse(tg, 80)
		assert.False(t, loops(t, tg, m))
	})
	t.Run("registered again while draining, unused", func(t *testing.T) {
		tg := pickGroup(t, 1)
		require.NoError(t, tg.SetAttribute(AttrDeregistrationDelay, "300"))
		lb := inUse(tg, 80)
		m := tg.members[0]
		require.NoError(t, tg.Deregister(m.ID, 0))
		tg.detach(lb)
		require.NoError(t, tg.Register(m.Target))
		assert.Equal(t, StateUnused, tg.Health()[0].State)
		assert.Equal(t, ReasonNotInUse, tg.Health()[0].Reason)
		inUse(tg, 80)
		assert.False(t, loops(t, tg, m))
	})
}

// HTTP checks' Host header follows the listener's port when it changes.
func TestListenerPortFollowsModify(t *testing.T) {
	tg := pickGroup(t, 1)
	lb := inUse(tg, 80)
	// ModifyListener's order: attach at the new port, detach the old.
	tg.attach(lb, 81)
	tg.detach(lb)
	assert.Equal(t, uint16(81), tg.listenerPort())
}

// A stopped instance's target is "in the stopped state", a terminated
// one's "in the terminated state".
func TestInvalidStateDescription(t *testing.T) {
	net := vnet.New(vnet.Options{Seed: 1})
	t.Cleanup(func() { net.Close() })
	vpc, err := net.AddVPC("v", netip.MustParsePrefix("10.0.0.0/16"))
	require.NoError(t, err)
	s, err := vpc.AddSubnet(vnet.SubnetConfig{Name: "s", CIDR: netip.MustParsePrefix("10.0.0.0/24"), Zone: "z"})
	require.NoError(t, err)
	h, err := net.NewHost("i")
	require.NoError(t, err)
	eni, err := h.AttachSubnet(s, netip.MustParseAddr("10.0.0.10"), vnet.ENIOptions{})
	require.NoError(t, err)
	tg, err := NewTargetGroup(net, TargetGroupConfig{Name: "g", Port: 22, VPC: vpc})
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	require.NoError(t, tg.Register(Target{ID: "i-1", ENI: eni}))
	h.SetDown(true) // before any check: the node below checks nothing
	tg.attach(&LoadBalancer{nodes: []*Node{{zone: "z"}}}, 80)
	th := tg.Health()[0]
	assert.Equal(t, ReasonInvalidState, th.Reason)
	assert.Equal(t, "Target is in the stopped state", th.Description)
	h.SetTerminated()
	assert.Equal(t, "Target is in the terminated state", tg.Health()[0].Description)
}
