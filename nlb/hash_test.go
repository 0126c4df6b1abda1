package nlb

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/packet"
)

func flowN(i int) packet.Flow {
	return (packet.Flow{
		Proto: packet.TCP,
		Src:   netip.AddrPortFrom(netip.AddrFrom4([4]byte{203, 0, 113, byte(i >> 16)}), uint16(i)),
		Dst:   netip.MustParseAddrPort("10.0.10.25:51512"),
	})
}

// pickGroup is a target group of n ip targets (10.0.128.1, .2…), all
// healthy, so that the tests below drive the NLB's own pick, hash and all.
func pickGroup(t *testing.T, n int) *TargetGroup {
	t.Helper()
	net := vnet.New(vnet.Options{Seed: 1})
	t.Cleanup(func() { net.Close() })
	vpc, err := net.AddVPC("hash", netip.MustParsePrefix("10.0.0.0/16"))
	require.NoError(t, err)
	tg, err := NewTargetGroup(net, TargetGroupConfig{Name: "hash", Port: 22, VPC: vpc, TargetType: TargetTypeIP})
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	for range n {
		addHealthy(t, tg)
	}
	return tg
}

// addHealthy registers the group's next ip target and marks it healthy, as
// its health checks would.
func addHealthy(t *testing.T, tg *TargetGroup) {
	t.Helper()
	tg.mu.RLock()
	i := len(tg.members)
	tg.mu.RUnlock()
	require.NoError(t, tg.Register(Target{IP: netip.AddrFrom4([4]byte{10, 0, 128, byte(i + 1)})}))
	tg.mu.Lock()
	tg.setLocked(tg.members[i], StateHealthy, "")
	tg.mu.Unlock()
}

// picked is the address of the target pick sends flow k to.
func picked(t *testing.T, tg *TargetGroup, k packet.Flow) string {
	t.Helper()
	m, ok := tg.pick(k, "", true)
	require.True(t, ok)
	return m.addr.Addr().String()
}

// The NLB's pick spreads flows evenly by rendezvous hashing and, when a
// target is added, moves only about 1/N of them, all to the new target.
func TestPickSpreadsAndMovesLittle(t *testing.T) {
	const flows = 20000
	tg := pickGroup(t, 4)
	count := map[string]int{}
	before := make([]string, flows)
	for i := range before {
		before[i] = picked(t, tg, flowN(i))
		count[before[i]]++
	}
	require.Len(t, count, 4, "every target gets flows")
	for a, n := range count {
		assert.InDelta(t, flows/4, n, float64(flows/4/10), "target %s", a)
	}
	addHealthy(t, tg) // 10.0.128.5
	moved, elsewhere := 0, 0
	for i := range before {
		if after := picked(t, tg, flowN(i)); after != before[i] {
			moved++
			if after != "10.0.128.5" {
				elsewhere++
			}
		}
	}
	assert.InDelta(t, flows/5, moved, float64(flows/50))
	assert.Zero(t, elsewhere, "a moved flow goes to the new target")
	assert.Equal(t, -1, rendezvous(1, nil, nil))
	assert.Equal(t, -1, rendezvous(1, []uint64{1, 2}, func(int) bool { return false }))
}

// 10,000 flows over 4 targets land within 10 % of an even share; a
// deregistered target's flows go to the others and only its own move.
func TestPickRemoval(t *testing.T) {
	const flows = 10000
	tg := pickGroup(t, 4)
	before := make([]string, flows)
	count := map[string]int{}
	for i := range before {
		before[i] = picked(t, tg, flowN(i))
		count[before[i]]++
	}
	require.Len(t, count, 4)
	for a, n := range count {
		assert.InDelta(t, flows/4, n, flows/4/10, "target %s", a)
	}
	require.NoError(t, tg.Deregister("10.0.128.3", 0)) // draining: no new flows
	toDraining, moved := 0, 0
	for i := range before {
		after := picked(t, tg, flowN(i))
		if after == "10.0.128.3" {
			toDraining++
		}
		if before[i] != "10.0.128.3" && after != before[i] {
			moved++
		}
	}
	assert.Zero(t, toDraining, "no new flow to a draining target")
	assert.Zero(t, moved, "a flow of a remaining target stays")

	// An unhealthy target gets no new flow while another is healthy; with
	// none healthy the group fails open, to its unhealthy targets, never
	// to the draining one.
	setState := func(addr, state string) {
		tg.mu.Lock()
		defer tg.mu.Unlock()
		for _, m := range tg.members {
			if m.addr.Addr().String() == addr {
				tg.setLocked(m, state, ReasonFailedHealthChecks)
			}
		}
	}
	setState("10.0.128.1", StateUnhealthy)
	got := map[string]int{}
	for i := range before {
		got[picked(t, tg, flowN(i))]++
	}
	assert.Zero(t, got["10.0.128.1"], "no new flow to an unhealthy target")
	setState("10.0.128.2", StateUnhealthy)
	setState("10.0.128.4", StateUnhealthy)
	got = map[string]int{}
	for i := range before {
		got[picked(t, tg, flowN(i))]++
	}
	assert.Zero(t, got["10.0.128.3"], "failing open skips a draining target")
	assert.Len(t, got, 3, "failing open spreads over the unhealthy targets")
}

// With stickiness on, pick hashes the client's address only: every port of
// one client lands on one target, and clients still spread over all of
// them. Without it, one client's ports spread.
func TestPickStickinessByClientAddress(t *testing.T) {
	tg := pickGroup(t, 4)
	flowFrom := func(client, port int) packet.Flow {
		return (packet.Flow{
			Proto: packet.TCP,
			Src:   netip.AddrPortFrom(netip.AddrFrom4([4]byte{203, 0, 113, byte(client)}), uint16(port)),
			Dst:   netip.MustParseAddrPort("10.0.10.25:51512"),
		})
	}
	spread := map[string]bool{}
	for port := 1024; port < 1224; port++ {
		spread[picked(t, tg, flowFrom(10, port))] = true
	}
	assert.Len(t, spread, 4, "without stickiness one client's connections spread over every target")

	require.NoError(t, tg.SetAttribute(AttrStickiness, "true"))
	clients := map[string]int{}
	unstuck := 0
	for c := 1; c <= 200; c++ {
		first := picked(t, tg, flowFrom(c, 1024))
		clients[first]++
		for port := 1025; port < 1035; port++ {
			if picked(t, tg, flowFrom(c, port)) != first {
				unstuck++
			}
		}
	}
	assert.Zero(t, unstuck, "every port of a client sticks to its target")
	assert.Len(t, clients, 4, "sticky clients still spread over every target")
}

func TestFlowTableForgetsClosedFlows(t *testing.T) {
	clock := vnet.NewClock(vnet.LabEpoch)
	defer clock.Close()
	ft := newFlowTable(clock)
	f := &flow{Flow: Flow{Proto: packet.TCP, Client: netip.MustParseAddrPort("203.0.113.10:40000"), Frontend: netip.MustParseAddrPort("10.0.10.25:51512"), Backend: netip.MustParseAddrPort("10.0.128.108:22")}}
	f.Source = f.Client
	assert.Same(t, f, ft.insert(f))
	assert.NotNil(t, ft.lookupBack((packet.Flow{Proto: packet.TCP, Src: f.Backend, Dst: f.Source})))
	ft.noteFlags(f, true, 0x11)  // FIN+ACK from the client
	ft.noteFlags(f, false, 0x10) // ACK
	assert.Equal(t, 1, ft.len(), "half closed: still live")
	ft.noteFlags(f, false, 0x11) // FIN+ACK from the target
	assert.Equal(t, 1, ft.len())
	ft.noteFlags(f, true, 0x10) // the last ACK
	assert.Equal(t, 1, ft.len(), "a closed flow lingers for its last packets")
	clock.Advance(closeLinger)
	assert.Equal(t, 0, ft.len())

	g := &flow{Flow: f.Flow}
	ft.insert(g)
	ft.noteFlags(g, false, 0x04) // RST
	clock.Advance(closeLinger)
	assert.Equal(t, 0, ft.len())
}
