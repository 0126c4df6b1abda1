package nlb

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A target whose deregistration completed leaves the group altogether:
// Health no longer lists it, HealthOf answers Target.NotRegistered, and the
// group keeps nothing of it, however many targets come and go.
func TestDeregisteredTargetsLeaveTheGroup(t *testing.T) {
	tg := pickGroup(t, 3)
	require.NoError(t, tg.SetAttribute(AttrDeregistrationDelay, "0"))
	gone := tg.Health()[1].Target
	require.NoError(t, tg.Deregister(gone.ID, 0))
	tg.net.Clock().Advance(time.Second)
	require.Len(t, tg.Health(), 2)
	tg.mu.RLock()
	members, ids := len(tg.members), len(tg.ids)
	tg.mu.RUnlock()
	assert.Equal(t, 2, members)
	assert.Equal(t, 2, ids)
	th := tg.HealthOf(gone)
	assert.Equal(t, StateUnused, th[0].State)
	assert.Equal(t, ReasonNotRegistered, th[0].Reason)
	require.NoError(t, tg.Register(gone), "it may register again")
	assert.Len(t, tg.Health(), 3)
}
