package vnet

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/vnet/packet"
	"github.com/vlab-sim/vlab/vnet/wire"
)

// tcpPkt is pkt with TCP flags.
func tcpPkt(t *testing.T, src, dst string, flags wire.TCPFlags) *packet.Packet {
	t.Helper()
	p := pkt(t, packet.TCP, src, dst)
	b := append([]byte(nil), p.Bytes()...)
	p.Release()
	b[33] = byte(flags)
	q, err := packet.FromBytes(b)
	require.NoError(t, err)
	return q
}

// trackedENI is an interface whose group admits TCP 22 and UDP 53 from
// 203.0.113.10 only and allows no outbound traffic, so that replies pass
// only while their flow is tracked.
func trackedENI(t *testing.T, ct ConnectionTracking) (*ENI, *Clock) {
	t.Helper()
	v := newTestVPC(t)
	s, err := v.AddSubnet(SubnetConfig{Name: "s", CIDR: netip.MustParsePrefix("10.0.0.0/24"), Zone: "z"})
	require.NoError(t, err)
	g, err := v.AddSecurityGroup("g", "")
	require.NoError(t, err)
	require.NoError(t, g.AuthorizeIngress(SGRule{Protocol: "tcp", Ports: PortRange{From: 22, To: 22}, CIDR: netip.MustParsePrefix("203.0.113.10/32")}))
	require.NoError(t, g.AuthorizeIngress(SGRule{Protocol: "udp", Ports: PortRange{From: 53, To: 53}, CIDR: netip.MustParsePrefix("203.0.113.10/32")}))
	require.NoError(t, g.RevokeEgress(g.Outbound()[0]))
	h, err := v.net.NewHost("h")
	require.NoError(t, err)
	e, err := h.AttachSubnet(s, netip.MustParseAddr("10.0.0.10"), ENIOptions{SecurityGroups: []*SecurityGroup{g}, ConnectionTracking: ct})
	require.NoError(t, err)
	return e, v.net.Clock()
}

// passes reports whether the interface lets p through (and releases p).
func passes(e *ENI, outbound bool, p *packet.Packet) bool {
	defer p.Release()
	return e.admit(outbound, p, nil) == nil
}

// handshake opens a TCP flow from the client to port 22 of e.
func handshake(t *testing.T, e *ENI, port int) {
	t.Helper()
	c, s := fmt.Sprintf("203.0.113.10:%d", port), "10.0.0.10:22"
	require.True(t, passes(e, false, tcpPkt(t, c, s, wire.SYN)))
	require.True(t, passes(e, true, tcpPkt(t, s, c, wire.SYN|wire.ACK)))
	require.True(t, passes(e, false, tcpPkt(t, c, s, wire.ACK)))
}

// AWS forgets an idle established TCP flow after 432,000 s (5 days), then
// judges its packets by the rules again (EC2 User Guide, "Idle connection
// tracking timeout").
func TestEstablishedFlowExpiresAfterFiveDays(t *testing.T) {
	e, clock := trackedENI(t, ConnectionTracking{})
	handshake(t, e, 40000)
	reply := func() *packet.Packet { return tcpPkt(t, "10.0.0.10:22", "203.0.113.10:40000", wire.ACK) }
	clock.Advance(432000*time.Second - 2*ctTick)
	assert.Equal(t, 1, e.TrackedFlows())
	assert.True(t, passes(e, true, reply()), "tracked: the reply passes with no outbound rule")
	clock.Advance(432000*time.Second - ctTick) // idle again from the reply
	assert.Equal(t, 1, e.TrackedFlows())
	clock.Advance(2 * ctTick)
	assert.Zero(t, e.TrackedFlows(), "forgotten after 432,000 s idle")
	assert.False(t, passes(e, true, reply()), "an expired flow's reply meets the rules: no outbound rule")
}

func TestConnectionTrackingTimeoutsByState(t *testing.T) {
	cases := []struct {
		name  string
		spec  ConnectionTracking
		open  func(t *testing.T, e *ENI)
		after time.Duration // idle time after which the entry is gone
	}{
		{"embryonic (assumption: 120 s)", ConnectionTracking{}, func(t *testing.T, e *ENI) {
			require.True(t, passes(e, false, tcpPkt(t, "203.0.113.10:40000", "10.0.0.10:22", wire.SYN)))
		}, ctEmbryonicTimeout},
		{"closing after a FIN (assumption: 120 s)", ConnectionTracking{}, func(t *testing.T, e *ENI) {
			handshake(t, e, 40000)
			require.True(t, passes(e, false, tcpPkt(t, "203.0.113.10:40000", "10.0.0.10:22", wire.FIN|wire.ACK)))
		}, ctClosingTimeout},
		{"closed after an RST (10 s)", ConnectionTracking{}, func(t *testing.T, e *ENI) {
			handshake(t, e, 40000)
			require.True(t, passes(e, false, tcpPkt(t, "203.0.113.10:40000", "10.0.0.10:22", wire.RST)))
		}, ctClosedTimeout},
		{"established, TcpEstablishedTimeout 60", ConnectionTracking{TcpEstablishedTimeout: 60}, func(t *testing.T, e *ENI) {
			handshake(t, e, 40000)
		}, 60 * time.Second},
		{"UDP (30 s)", ConnectionTracking{}, func(t *testing.T, e *ENI) {
			require.True(t, passes(e, false, pkt(t, packet.UDP, "203.0.113.10:5353", "10.0.0.10:53")))
			require.True(t, passes(e, true, pkt(t, packet.UDP, "10.0.0.10:53", "203.0.113.10:5353")))
		}, 30 * time.Second},
		{"UDP, UdpTimeout 60", ConnectionTracking{UdpTimeout: 60}, func(t *testing.T, e *ENI) {
			require.True(t, passes(e, false, pkt(t, packet.UDP, "203.0.113.10:5353", "10.0.0.10:53")))
		}, 60 * time.Second},
		{"UDP stream (180 s)", ConnectionTracking{}, func(t *testing.T, e *ENI) {
			for range 2 {
				require.True(t, passes(e, false, pkt(t, packet.UDP, "203.0.113.10:5353", "10.0.0.10:53")))
				require.True(t, passes(e, true, pkt(t, packet.UDP, "10.0.0.10:53", "203.0.113.10:5353")))
			}
		}, 180 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, clock := trackedENI(t, c.spec)
			c.open(t, e)
			require.Equal(t, 1, e.TrackedFlows())
			clock.Advance(c.after - ctTick)
			assert.Equal(t, 1, e.TrackedFlows(), "kept until its timeout")
			clock.Advance(2 * ctTick)
			assert.Zero(t, e.TrackedFlows(), "forgotten within a tick after it")
		})
	}
}

func TestConnectionTrackingSpecificationIsChecked(t *testing.T) {
	e, _ := trackedENI(t, ConnectionTracking{})
	err := e.SetConnectionTracking(ConnectionTracking{UdpTimeout: 10})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "UdpTimeout 10: must be 30-60")
	assert.ErrorContains(t, e.SetConnectionTracking(ConnectionTracking{TcpEstablishedTimeout: 500000}), "TcpEstablishedTimeout 500000: must be 60-432000")
	assert.ErrorContains(t, e.SetConnectionTracking(ConnectionTracking{UdpStreamTimeout: 30}), "UdpStreamTimeout 30: must be 60-180")
	require.NoError(t, e.SetConnectionTracking(ConnectionTracking{TcpEstablishedTimeout: 350}))
	assert.Equal(t, ConnectionTracking{TcpEstablishedTimeout: 350, UdpStreamTimeout: 180, UdpTimeout: 30}, e.ConnectionTracking())
}

// Half-open flows (a SYN flood) fill the table only until their timeout;
// then the table empties and the sweeper stops.
func TestHalfOpenFlowsLeaveTheTable(t *testing.T) {
	const flows = 50000
	e, clock := trackedENI(t, ConnectionTracking{})
	for i := range flows {
		src := fmt.Sprintf("203.0.113.10:%d", 1024+i)
		require.True(t, passes(e, false, tcpPkt(t, src, "10.0.0.10:22", wire.SYN)))
	}
	require.Equal(t, flows, e.TrackedFlows())
	clock.Advance(ctEmbryonicTimeout + ctTick)
	assert.Zero(t, e.TrackedFlows())
	assert.False(t, e.net.ctArmed.Load(), "no sweeper runs for empty tables")
}

// A flow touched between two ticks of the sweeper is still kept for its
// whole timeout.
func TestConnectionTrackingKeepsAMidTickFlowItsWholeTimeout(t *testing.T) {
	e, clock := trackedENI(t, ConnectionTracking{})
	require.True(t, passes(e, false, tcpPkt(t, "203.0.113.10:40001", "10.0.0.10:22", wire.SYN))) // arms the sweeper
	clock.Advance(900 * time.Millisecond)
	require.True(t, passes(e, false, pkt(t, packet.UDP, "203.0.113.10:5353", "10.0.0.10:53")))
	clock.Advance(30*time.Second - 100*time.Millisecond) // 29.9 s idle
	assert.Equal(t, 2, e.TrackedFlows(), "the UDP flow is kept for 30 s")
	clock.Advance(1200 * time.Millisecond)
	assert.Equal(t, 1, e.TrackedFlows(), "and forgotten within a tick after")
}
