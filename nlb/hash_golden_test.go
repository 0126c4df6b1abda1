package nlb

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vlab-sim/vlab/vnet/wire"
)

// A flow's target is reproducible from its 5-tuple and the group's seed
// (README, "The NLB hashes the 5-tuple"): these values pin the hash, so a
// refactor that moved flows to other targets fails here. They are the
// values of the hash before the fabric's tuple became wire.Flow.
func TestFlowHashIsStable(t *testing.T) {
	a := wire.Flow{Proto: 6, Src: netip.MustParseAddrPort("203.0.113.10:40000"), Dst: netip.MustParseAddrPort("10.0.10.25:51512")}
	b := wire.Flow{Proto: 6, Src: netip.MustParseAddrPort("198.51.100.7:1024"), Dst: netip.MustParseAddrPort("10.0.26.25:80")}
	assert.Equal(t, uint64(0x56e6f988ddf7791), flowHash(a, 0x1234, false))
	assert.Equal(t, uint64(0x4e9d45898909999a), flowHash(a, 0x1234, true), "sticky: the client's address only")
	assert.Equal(t, uint64(0x82029f55ab834370), flowHash(b, 0x1234, false))
	assert.Equal(t, uint64(0x397917cdfa0f0f95), flowHash(b, 0x1234, true))
	assert.Equal(t, 3, rendezvous(flowHash(a, 0x1234, false), []uint64{11, 22, 33, 44}, nil))
}
