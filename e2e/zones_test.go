package e2e

import (
	"context"
	"net/netip"
	"strings"
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

func twoZones(crossZone bool) lab.Config {
	c := manual(lab.Default())
	scenario(c).Zones = []string{"1a", "1c"}
	scenario(c).Targets = 4
	if crossZone {
		scenario(c).LoadBalancerAttributes = map[string]string{nlb.AttrCrossZone: "true"}
	}
	return c
}

// dialMany opens n connections to each node and returns the backends the
// node chose, by node; the node's interface tap checks that no flow ever
// changes target.
func dialMany(t *testing.T, l *lab.Lab, n int) map[string]map[string]bool {
	t.Helper()
	var mu sync.Mutex
	backendOf := map[string]string{} // node and client port -> backend
	changed := 0
	for _, nd := range l.NLB.Nodes() {
		node := nd.Host().Name()
		stop := nd.ENI().Tap(func(_ time.Time, dir vnet.Direction, b []byte) {
			if dir != vnet.Out || b[9] != 6 {
				return
			}
			ihl := int(b[0]&0x0f) * 4
			src := netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[12:16])), uint16(b[ihl])<<8|uint16(b[ihl+1]))
			dst := netip.AddrFrom4([4]byte(b[16:20]))
			if src.Addr().String() != "203.0.113.10" {
				return
			}
			// A client port may be reused, once closed, for a new flow:
			// a SYN starts one, to whichever target the hash picks.
			syn := b[ihl+13]&0x12 == 0x02
			key := node + " " + src.String()
			mu.Lock()
			if prev, ok := backendOf[key]; ok && prev != dst.String() && !syn {
				changed++
			}
			backendOf[key] = dst.String()
			mu.Unlock()
		})
		defer stop()
	}
	out := map[string]map[string]bool{}
	for _, nd := range l.NLB.Nodes() {
		for i := 0; i < n; i++ {
			c, err := l.Client.Host().Dial(ctxT(t), netip.AddrPortFrom(nd.PublicAddr(), 51512))
			require.NoError(t, err)
			buf := make([]byte, 8)
			_, err = c.Read(buf) // the SSH banner: the flow carried data both ways
			require.NoError(t, err)
			c.Close()
		}
	}
	for _, f := range l.NLB.Flows() {
		if out[f.Node] == nil {
			out[f.Node] = map[string]bool{}
		}
		out[f.Node][f.Backend.Addr().String()] = true
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Zero(t, changed, "no flow ever changes target")
	return out
}

// Cross-zone load balancing off (NLB's default): a node sends only to its
// zone's targets; on: to every zone's.
func TestCrossZone(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, twoZones(false))
	assert.Equal(t, "false", l.NLB.Attributes()[nlb.AttrCrossZone])
	// 40 connections a node: the chance that the 5-tuple hash sends them
	// all to one side is 2^-39 (with 12 it was 1 in 2,048, and it happened).
	got := dialMany(t, l, 40)
	for b := range got["nlb-1a"] {
		assert.True(t, strings.HasPrefix(b, "10.0.128."), "1a's node stays in 1a: %s", b)
	}
	for b := range got["nlb-1c"] {
		assert.True(t, strings.HasPrefix(b, "10.0.144."), "1c's node stays in 1c: %s", b)
	}
	assert.Len(t, got["nlb-1a"], 2, "both of 1a's targets get flows")

	l = labtest.New(t, twoZones(true))
	got = dialMany(t, l, 40)
	zones := map[string]bool{}
	for b := range got["nlb-1a"] {
		zones[b[:9]] = true
	}
	assert.Len(t, zones, 2, "with cross-zone on, 1a's node spreads over both zones: %v", got["nlb-1a"])
}

// DNS: a zone whose targets are all unhealthy leaves the answer; when all
// are unhealthy, every node is returned.
func TestDNSLeavesOutUnhealthyZones(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, twoZones(false))
	name := l.NLB.DNSName()
	assert.ElementsMatch(t, []string{"198.51.100.10", "198.51.100.11"}, addrs(l.Net.Resolve(name)))

	sick, err := l.VPC.AddSecurityGroup("closed", "")
	require.NoError(t, err)
	for _, in := range l.Targets {
		if in.ENI().Subnet().Zone() == "ap-northeast-1a" {
			require.NoError(t, in.ENI().SetSecurityGroups([]*vnet.SecurityGroup{sick}))
		}
	}
	l.Clock().Advance(90 * time.Second)
	assert.Equal(t, []string{"198.51.100.11"}, addrs(l.Net.Resolve(name)), "1a has no healthy target")
	assert.Equal(t, "198.51.100.11:51512", l.Endpoint().String(), "the client goes to 1c")
	res, err := l.Run(ctxT(t), "hostname")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(res.Stdout, "ip-10-0-144-"), res.Stdout)

	for _, in := range l.Targets {
		require.NoError(t, in.ENI().SetSecurityGroups([]*vnet.SecurityGroup{sick}))
	}
	l.Clock().Advance(90 * time.Second)
	assert.ElementsMatch(t, []string{"198.51.100.10", "198.51.100.11"}, addrs(l.Net.Resolve(name)), "all unhealthy: fail open")
}

func addrs(as []netip.Addr) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.String())
	}
	return out
}

// Deregistration mid-session: draining, new flows elsewhere, the session
// goes on until the delay ends, then the target is unused; with
// connection termination the session is reset then.
func TestDeregistrationMidSession(t *testing.T) {
	noLeaks(t)
	for _, terminate := range []bool{false, true} {
		c := manual(lab.Default())
		scenario(c).Targets = 2
		if terminate {
			scenario(c).TargetGroupAttributes = map[string]string{nlb.AttrDeregistrationTerminate: "true"}
		}
		l := labtest.New(t, c)
		cl, err := l.SSH(ctxT(t))
		require.NoError(t, err)
		host := strings.TrimSpace(runOn(t, cl, "hostname"))
		var leaving string
		for _, in := range l.Targets {
			if in.Hostname() == host {
				leaving = in.ID()
			}
		}
		require.NoError(t, l.TargetGroup.Deregister(leaving, 0))
		assert.Equal(t, nlb.StateDraining, healthOf(l, leaving))
		for i := 0; i < 4; i++ {
			res, err := l.Run(ctxT(t), "hostname")
			require.NoError(t, err)
			assert.NotEqual(t, host+"\n", res.Stdout, "no new flow to a draining target")
		}
		l.Clock().Advance(299 * time.Second)
		assert.Equal(t, host+"\n", runOn(t, cl, "hostname"), "the old session goes on while draining")
		l.Clock().Advance(time.Second)
		assert.Equal(t, nlb.StateUnused, healthOf(l, leaving))
		if terminate {
			expectReset(t, cl, "reset when the delay ends")
		} else {
			assert.Equal(t, host+"\n", runOn(t, cl, "hostname"))
		}
		cl.Close()
	}
}

// With termination off and a draining interval, an unhealthy target spends
// the interval in unhealthy.draining, keeping its flows.
func TestUnhealthyDraining(t *testing.T) {
	noLeaks(t)
	_, err := lab.New(func() lab.Config {
		c := manual(lab.Default())
		scenario(c).TargetGroupAttributes = map[string]string{nlb.AttrUnhealthyDraining: "60"}
		return c
	}())
	assert.ErrorContains(t, err, "only without termination")

	c := manual(lab.Default())
	scenario(c).TargetGroupAttributes = map[string]string{nlb.AttrUnhealthyDraining: "120", nlb.AttrUnhealthyTermination: "false"}
	l := labtest.New(t, c)
	closed, err := l.VPC.AddSecurityGroup("closed", "")
	require.NoError(t, err)
	require.NoError(t, l.Target.ENI().SetSecurityGroups([]*vnet.SecurityGroup{closed}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := 0; i < 10 && healthOf(l, l.Target.ID()) == nlb.StateHealthy && ctx.Err() == nil; i++ {
		l.Clock().Advance(30 * time.Second)
	}
	assert.Equal(t, nlb.StateUnhealthyDraining, healthOf(l, l.Target.ID()))
	l.Clock().Advance(120 * time.Second)
	assert.Equal(t, nlb.StateUnhealthy, healthOf(l, l.Target.ID()))
}

// Stickiness by source IP: every flow from one client lands on one target.
func TestStickinessSourceIP(t *testing.T) {
	noLeaks(t)
	c := manual(lab.Default())
	scenario(c).Targets = 3
	scenario(c).TargetGroupAttributes = map[string]string{nlb.AttrStickiness: "true"}
	l := labtest.New(t, c)
	got := dialMany(t, l, 16)
	assert.Len(t, got["nlb-1a"], 1, "one client address, one target: %v", got)
}
