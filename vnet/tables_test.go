package vnet

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/vnet/packet"
	"github.com/vlab-sim/vlab/vnet/wire"
)

// synFrame is a TCP SYN from src to dst with valid checksums' length
// fields (the fabric does not check transport checksums).
func synFrame(src, dst netip.AddrPort) []byte {
	b := make([]byte, 40)
	b[0], b[8], b[9] = 0x45, 64, 6
	binary.BigEndian.PutUint16(b[2:], 40)
	s, d := src.Addr().As4(), dst.Addr().As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	binary.BigEndian.PutUint16(b[20:], src.Port())
	binary.BigEndian.PutUint16(b[22:], dst.Port())
	b[32], b[33] = 5<<4, byte(wire.SYN)
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(b[10:], ^uint16(sum))
	return b
}

// stormSource is the i-th of many distinct sources.
func stormSource(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{100, byte(64 + i>>24&0x3f), byte(i >> 16), byte(i >> 8)}), uint16(1024+i%60000))
}

// internetHost is a host on the internet segment of a new network.
func internetHost(t testing.TB) (*Network, *ENI) {
	n := New(Options{})
	t.Cleanup(func() { n.Close() })
	h, err := n.NewHost("storm")
	require.NoError(t, err)
	e, err := h.AttachInternet(netip.MustParsePrefix("203.0.113.66/24"))
	require.NoError(t, err)
	return n, e
}

// A storm of frames from distinct sources once grew the drop table by one
// entry each (2 M frames: 179 MB): drops are counted by place and reason,
// with a bounded ring of examples.
func TestDropTableStaysBounded(t *testing.T) {
	n, e := internetHost(t)
	dst := netip.MustParseAddrPort("192.0.2.200:80") // nobody's
	const frames = 50000
	for i := range frames {
		e.Inject(synFrame(stormSource(i), dst))
	}
	ds := n.Drops()
	require.Len(t, ds, 1, "one counter: the place and the reason")
	assert.Equal(t, uint64(frames), ds[0].Count)
	assert.Equal(t, DropNoRoute, ds[0].Reason)
	assert.Equal(t, stormSource(frames-1), ds[0].Last.Flow.Src, "the last drop is kept as the example")
	recent := n.RecentDropEvents()
	require.Len(t, recent, RecentDrops)
	assert.Equal(t, stormSource(frames-RecentDrops), recent[0].Flow.Src, "the ring holds the most recent, oldest first")
}

func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// BenchmarkDropStorm injects 2,000,000 frames from distinct sources that
// the fabric drops, and reports the heap before, after the storm and what
// the drop table holds.
func BenchmarkDropStorm(b *testing.B) {
	const frames = 2000000
	for range b.N {
		n, e := internetHost(b)
		dst := netip.MustParseAddrPort("192.0.2.200:80")
		before := heapMB()
		for i := range frames {
			e.Inject(synFrame(stormSource(i), dst))
		}
		after := heapMB()
		b.ReportMetric(before, "MB-before")
		b.ReportMetric(after, "MB-after")
		b.ReportMetric(float64(len(n.Drops())), "counters")
		b.ReportMetric(float64(frames), "frames")
	}
}

// BenchmarkHalfOpenFlows admits 100,000 SYNs that are never answered at an
// interface whose group tracks them, and reports the heap before, at the
// peak, and after the lab clock passes the embryonic timeout.
func BenchmarkHalfOpenFlows(b *testing.B) {
	const flows = 100000
	for range b.N {
		v, err := New(Options{}).AddVPC("v", netip.MustParsePrefix("10.0.0.0/16"))
		require.NoError(b, err)
		n := v.net
		s, _ := v.AddSubnet(SubnetConfig{Name: "s", CIDR: netip.MustParsePrefix("10.0.0.0/24"), Zone: "z"})
		g, _ := v.AddSecurityGroup("g", "")
		require.NoError(b, g.AuthorizeIngress(SGRule{Protocol: "tcp", Ports: PortRange{From: 22, To: 22}, CIDR: netip.MustParsePrefix("0.0.0.0/0")}))
		require.NoError(b, g.RevokeEgress(g.Outbound()[0])) // tracked: not open both ways
		h, _ := n.NewHost("h")
		e, err := h.AttachSubnet(s, netip.MustParseAddr("10.0.0.10"), ENIOptions{SecurityGroups: []*SecurityGroup{g}})
		require.NoError(b, err)
		dst := netip.MustParseAddrPort("10.0.0.10:22")
		before := heapMB()
		for i := range flows {
			p, err := packet.FromBytes(synFrame(stormSource(i), dst))
			require.NoError(b, err)
			if e.admit(false, p, nil) != nil {
				b.Fatal("refused")
			}
			p.Release()
		}
		peak := heapMB()
		require.Equal(b, flows, e.TrackedFlows())
		n.Clock().Advance(ctEmbryonicTimeout + 2*ctTick)
		after := heapMB()
		require.Zero(b, e.TrackedFlows(), fmt.Sprint("forgotten after ", ctEmbryonicTimeout))
		b.ReportMetric(before, "MB-before")
		b.ReportMetric(peak, "MB-peak")
		b.ReportMetric(after, "MB-after")
		b.ReportMetric((peak-before)*(1<<20)/flows, "B/flow")
		n.Close()
	}
}
