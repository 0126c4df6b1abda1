package vnet_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/vnet"
)

var t0 = time.Date(2026, 11, 24, 3, 20, 0, 0, time.UTC)

func TestFrozenClockMovesOnlyWhenAdvanced(t *testing.T) {
	c := vnet.NewClock(t0)
	defer c.Close()
	assert.Equal(t, t0, c.Now())
	var fired []time.Time
	c.AfterFunc(30*time.Second, func() { fired = append(fired, c.Now()) })
	c.AfterFunc(10*time.Second, func() {
		fired = append(fired, c.Now())
		c.AfterFunc(5*time.Second, func() { fired = append(fired, c.Now()) })
	})
	stopped := c.AfterFunc(20*time.Second, func() { t.Error("a stopped timer fired") })
	assert.True(t, stopped.Stop())
	assert.False(t, stopped.Stop())
	c.Advance(29 * time.Second)
	assert.Equal(t, []time.Time{t0.Add(10 * time.Second), t0.Add(15 * time.Second)}, fired, "timers fire at their own lab time, in order")
	assert.Equal(t, t0.Add(29*time.Second), c.Now())
	c.Advance(time.Second)
	assert.Len(t, fired, 3)
}

func TestRunningClockFollowsWallTimeScaled(t *testing.T) {
	c := vnet.NewClock(t0)
	defer c.Close()
	var n atomic.Int32
	c.AfterFunc(time.Hour, func() { n.Add(1) })
	c.Run(1e6) // an hour of lab time in 3.6 ms
	require.Eventually(t, func() bool { return n.Load() == 1 }, 10*time.Second, time.Millisecond)
	assert.True(t, c.Now().After(t0.Add(time.Hour)))
	c.Freeze()
	now := c.Now()
	assert.Equal(t, now, c.Now())
}
