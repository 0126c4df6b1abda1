package lab_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/vnet"
)

// A session the target's security group refuses fails at once, from the
// library, with the drop: the group and the missing rule. It used to wait
// for its context (Run) or TCP's two minutes (Client.Dial).
func TestRefusedSessionFailsFastWithTheDrop(t *testing.T) {
	c := lab.Default()
	scenario(c).NoSGClientRule = true
	l := labtest.New(t, c)
	// A long context: only a drop can end the calls below quickly.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	start := time.Now()
	_, err := l.Run(ctx, "true")
	elapsed := time.Since(start)
	require.Error(t, err)
	// The bar; in practice it takes about 0.1 ms.
	assert.Less(t, elapsed, time.Second, "failed after %v", elapsed)
	require.NoError(t, ctx.Err(), "failed before the context ended")
	var de *vnet.DropError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, vnet.DropSecurityGroup, de.Event.Reason)
	assert.Equal(t, l.Target.ENI().ID(), de.Event.Where)
	assert.Contains(t, de.Event.Resource, "(ssh-target)")
	assert.Equal(t, "no inbound rule allows 203.0.113.10 to TCP 22", de.Event.Rule)
	assert.Equal(t, "203.0.113.10", de.Event.Flow.Src.Addr().String())
	assert.Contains(t, err.Error(), "dropped by security group")

	_, err = l.Client.Dial(ctx, "tcp", l.Endpoint().String())
	require.ErrorAs(t, err, &de)
	assert.Equal(t, vnet.DropSecurityGroup, de.Event.Reason)

	_, err = l.SSH(ctx)
	require.ErrorAs(t, err, &de)
	require.NoError(t, ctx.Err())
}

// Past a load balancer that rewrites the source (ip targets, client IP
// preservation off), the target sees only the node's address; the drop is
// still the client connection's own.
func TestDropPastTheRewriteReachesTheClientConnection(t *testing.T) {
	c := lab.Default()
	scenario(c).TargetType = "ip"
	scenario(c).NoSGNLBRule = true // the target admits the client, not the node
	l := labtest.New(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := l.Run(ctx, "true")
	var de *vnet.DropError
	require.ErrorAs(t, err, &de)
	require.NoError(t, ctx.Err())
	assert.Equal(t, "10.0.10.25", de.Event.Flow.Src.Addr().String(), "dropped as the target saw it: from the node")
	assert.Equal(t, "no inbound rule allows 10.0.10.25 to TCP 22", de.Event.Rule)
}

// Drops of other connections, even a storm of them, do not fail a session.
func TestOtherDropsDoNotFailASession(t *testing.T) {
	c := lab.Default()
	scenario(c).NoSGNLBRule = true // health checks dropped all along
	l := labtest.New(t, c)
	require.NotZero(t, l.Net.DropCount(l.Target.ENI().ID(), vnet.DropSecurityGroup))
	res, err := l.Run(context.Background(), "echo ok")
	require.NoError(t, err)
	assert.Equal(t, "ok\n", res.Stdout)
	assert.False(t, errors.Is(err, context.DeadlineExceeded))
}
