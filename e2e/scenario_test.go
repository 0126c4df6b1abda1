package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/vnet"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// O4: the target sees the client's own address and port, and port 22.
func TestTargetSeesClientAddressThroughNLB(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, lab.Default())
	res, err := l.Run(ctxT(t), "echo $SSH_CLIENT")
	require.NoError(t, err)
	require.Equal(t, 0, res.ExitStatus, res.Stderr)
	assert.Equal(t, fmt.Sprintf("203.0.113.10 %d 22\n", res.Local.Port()), res.Stdout)
	assert.Equal(t, "203.0.113.10", res.Local.Addr().String(), "the client's own address")

	res, err = l.Run(ctxT(t), "echo $SSH_CONNECTION; hostname; whoami")
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("203.0.113.10 %d 10.0.128.108 22\nip-10-0-128-108\nec2-user\n", res.Local.Port()), res.Stdout)
}

// O4 and O7 at the sockets: ss on the target shows the client as peer; the
// client's socket shows only the NLB's public address and listener port.
func TestSocketsOnBothEnds(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, lab.Default())
	ctx := ctxT(t)
	cl, err := l.SSH(ctx)
	require.NoError(t, err)
	defer cl.Close()
	assert.Equal(t, "198.51.100.10:51512", cl.RemoteAddr().String(), "O7: the client sees only the NLB")
	local := cl.LocalAddr().String()

	s, err := cl.NewSession()
	require.NoError(t, err)
	out, err := s.Output("ss -tn")
	require.NoError(t, err)
	assert.Regexp(t, `ESTAB\s+\d+\s+\d+\s+10\.0\.128\.108:22\s+`+strings.ReplaceAll(local, ".", `\.`), string(out))

	var sawClient bool
	for _, so := range l.Client.Host().Sockets() {
		if so.Local.String() == local {
			sawClient = true
			assert.Equal(t, "198.51.100.10:51512", so.Peer.String())
		}
	}
	assert.True(t, sawClient, "the client's socket is listed")
}

// O1: the private route table has only the local route and there is no NAT
// gateway, yet the session completes: the NLB carries the replies.
func TestRepliesNeedNoRoute(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, lab.Default())
	routes := l.PrivateRouteTable.Routes()
	require.Len(t, routes, 1)
	assert.Equal(t, "local", routes[0].Target.TargetID())
	assert.Equal(t, "10.0.0.0/16", routes[0].Destination.String())
	rt, ok := l.PrivateRouteTable.Lookup(netip.MustParseAddr("203.0.113.10"))
	assert.False(t, ok, "no route to the client: %v", rt)
	for _, h := range l.Net.Hosts() {
		assert.NotEqual(t, "natgw", h.Name(), "no NAT gateway exists")
	}

	res, err := l.Run(ctxT(t), "true")
	require.NoError(t, err)
	assert.Equal(t, 0, res.ExitStatus)
	assert.Zero(t, l.Net.DropCount(l.PrivateRouteTable.ID(), vnet.DropNoRoute), "no reply fell to the route table")
}

// The target itself, without the NLB, has no way out (its own connections
// hit the private route table).
func TestTargetCannotReachInternetByItself(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, lab.Default())
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	go func() {
		assert.Eventually(t, func() bool { return l.Net.DropCount(l.PrivateRouteTable.ID(), vnet.DropNoRoute) > 0 }, 10*time.Second, time.Millisecond)
		cancel()
	}()
	_, err := l.Target.Host().DialContext(ctx, "tcp", "192.0.2.80:80")
	assert.Error(t, err)
}

// A direct connection from the client to the private address fails: the
// internet has no route to 10.0.128.108.
func TestDirectConnectionToTargetFails(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, lab.Default())
	assertDialDropped(t, l, "10.0.128.108:22", "internet", vnet.DropNoRoute)
}

// A port with no listener on the NLB: the node drops the SYN.
func TestNLBDropsPortWithoutListener(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, lab.Default())
	assertDialDropped(t, l, "198.51.100.10:22", l.NLB.Nodes()[0].ENI().ID(), vnet.DropNoListener)
}

func assertDialDropped(t *testing.T, l *lab.Lab, addr, where string, reason vnet.DropReason) {
	t.Helper()
	assertDropped(t, l, l.Client.Host(), addr, where, reason)
}

// Two targets behind one listener: flows spread over both, and a flow never
// switches target.
func TestFlowsSpreadAndStick(t *testing.T) {
	noLeaks(t)
	c := lab.Default()
	scenario(c).Targets = 2
	l := labtest.New(t, c)
	require.Len(t, l.TargetGroup.Targets(), 2)
	ctx := ctxT(t)
	seen := map[string]int{}
	for i := 0; i < 16; i++ {
		cl, err := l.SSH(ctx)
		require.NoError(t, err)
		var first string
		for j := 0; j < 3; j++ {
			s, err := cl.NewSession()
			require.NoError(t, err)
			out, err := s.Output("hostname")
			require.NoError(t, err)
			if j == 0 {
				first = string(out)
			}
			assert.Equal(t, first, string(out), "a flow stays on its target")
		}
		seen[strings.TrimSpace(first)]++
		cl.Close()
	}
	assert.Len(t, seen, 2, "flows spread over both targets: %v", seen)
	assert.Contains(t, seen, "ip-10-0-128-108")
	assert.Contains(t, seen, "ip-10-0-128-109")
}

// The flow table holds the flow while it lives, with the client preserved.
func TestFlowTableShowsLiveFlow(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	cl, err := l.SSH(ctxT(t))
	require.NoError(t, err)
	flows := l.NLB.Flows()
	require.Len(t, flows, 1)
	f := flows[0]
	assert.Equal(t, cl.LocalAddr().String(), f.Client.String())
	assert.Equal(t, "10.0.10.25:51512", f.Frontend.String())
	assert.Equal(t, "10.0.128.108:22", f.Backend.String())
	assert.Equal(t, f.Client, f.Source, "client IP preservation")
	assert.Equal(t, "nlb-1a", f.Node)
	require.NoError(t, cl.Close())
	assert.Eventually(t, func() bool {
		l.Clock().Advance(time.Second)
		return l.NLB.FlowCount() == 0
	}, 10*time.Second, time.Millisecond, "a closed flow leaves the table")
}
