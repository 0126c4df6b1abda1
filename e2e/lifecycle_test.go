package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/nlb"
)

// Idle timeout, AWS's default 350 s: a flow idle for 351 s of lab time is
// forgotten, and the next write gets an RST (counted); a keepalive every
// 300 s keeps it.
func TestIdleTimeout(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	assert.Equal(t, "350", l.NLB.Listeners()[0].Attributes()[nlb.AttrIdleTimeout])

	kept, err := l.SSH(ctxT(t))
	require.NoError(t, err)
	defer kept.Close()
	idle, err := l.SSH(ctxT(t))
	require.NoError(t, err)
	defer idle.Close()

	l.Clock().Advance(300 * time.Second)
	runOn(t, kept, "true") // a keepalive
	l.Clock().Advance(51 * time.Second)

	expectReset(t, idle, "the forgotten flow's next packet is answered with an RST")
	assert.NotZero(t, l.NLB.Resets(), "TCP_ELB_Reset_Count")
	assert.Equal(t, "ip-10-0-128-108\n", runOn(t, kept, "hostname"), "the flow with traffic lives on")
	l.Clock().Advance(300 * time.Second)
	assert.Equal(t, "ip-10-0-128-108\n", runOn(t, kept, "hostname"))
}

// However long ago a flow went idle, its next packet is answered with an
// RST (ELB User Guide, "Connection idle timeout"): the client never hangs.
func TestIdleResetLongAfter(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	idle, err := l.SSH(ctxT(t))
	require.NoError(t, err)
	defer idle.Close()
	l.Clock().Advance(2 * time.Hour) // far past twice the 350 s timeout
	before := l.NLB.Resets()
	expectReset(t, idle, "hours later, the packet is still answered with an RST")
	assert.Greater(t, l.NLB.Resets(), before)
}

func TestListenerAttributesAreValidated(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	li := l.NLB.Listeners()[0]
	assert.ErrorContains(t, li.SetAttribute(nlb.AttrIdleTimeout, "59"), "must be 60-6000")
	assert.ErrorContains(t, li.SetAttribute("tcp.nonsense", "1"), "not supported")
	require.NoError(t, li.SetAttribute(nlb.AttrIdleTimeout, "60"))
}
