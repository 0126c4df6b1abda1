package nlb

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/packet"
)

func flowN(i int) tuple {
	return tupleOf(packet.Flow{
		Proto: packet.TCP,
		Src:   netip.AddrPortFrom(netip.AddrFrom4([4]byte{203, 0, 113, byte(i >> 16)}), uint16(i)),
		Dst:   netip.MustParseAddrPort("10.0.10.25:51512"),
	})
}

// Rendezvous hashing spreads flows evenly and, when a target is added,
// moves only about 1/N of them, all to the new target.
func TestRendezvousSpreadsAndMovesLittle(t *testing.T) {
	const flows = 20000
	ids := []uint64{11, 22, 33, 44}
	count := map[int]int{}
	before := make([]int, flows)
	for i := range before {
		before[i] = rendezvous(flowN(i).hash(7), ids)
		count[before[i]]++
	}
	for j := range ids {
		assert.InDelta(t, flows/len(ids), count[j], float64(flows/len(ids)/10), "target %d", j)
	}
	grown := append(ids, 55)
	moved := 0
	for i := range before {
		after := rendezvous(flowN(i).hash(7), grown)
		if after != before[i] {
			moved++
			assert.Equal(t, 4, after, "a moved flow goes to the new target")
		}
	}
	assert.InDelta(t, flows/5, moved, float64(flows/50))
	assert.Equal(t, -1, rendezvous(1, nil))
}

func TestFlowTableForgetsClosedFlows(t *testing.T) {
	clock := vnet.NewClock(vnet.LabEpoch)
	defer clock.Close()
	ft := newFlowTable(clock)
	f := &flow{Flow: Flow{Proto: packet.TCP, Client: netip.MustParseAddrPort("203.0.113.10:40000"), Frontend: netip.MustParseAddrPort("10.0.10.25:51512"), Backend: netip.MustParseAddrPort("10.0.128.108:22")}}
	f.Source = f.Client
	assert.Same(t, f, ft.insert(f))
	assert.NotNil(t, ft.lookupBack(tupleOf(packet.Flow{Proto: packet.TCP, Src: f.Backend, Dst: f.Source})))
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

// 10,000 flows over 4 targets land within 10 % of an even share; removing
// a target moves only its own flows.
func TestRendezvousRemoval(t *testing.T) {
	const flows = 10000
	ids := []uint64{101, 202, 303, 404}
	before := make([]int, flows)
	count := map[int]int{}
	for i := range before {
		before[i] = rendezvous(flowN(i).hash(1), ids)
		count[before[i]]++
	}
	for j := range ids {
		assert.InDelta(t, flows/4, count[j], flows/4/10, "target %d", j)
	}
	rest := []uint64{101, 202, 404} // 303 leaves
	for i := range before {
		after := rest[rendezvous(flowN(i).hash(1), rest)]
		if before[i] != 2 {
			assert.Equal(t, ids[before[i]], after, "a flow of a remaining target stays")
		}
	}
}
