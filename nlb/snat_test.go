package nlb

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

// About 55,000 SNAT ports per target address and port, as AWS counts them
// (ELB User Guide, PortAllocationErrorCount), below the node's own
// ephemeral range, in a pseudo-random order, each once.
func TestSNATPoolIsAWSsSize(t *testing.T) {
	s := snatPorts{start: 12345}
	backend := netip.MustParseAddrPort("10.0.128.108:22")
	seen := map[uint16]bool{}
	prev, ordered := uint16(0), true
	for range snatSize {
		p, ok := s.allocate(backend)
		if !ok {
			t.Fatalf("ran out after %d ports", len(seen))
		}
		if seen[p] || p < snatLo || p >= nodePortsLo {
			t.Fatalf("port %d: taken twice or out of the pool", p)
		}
		seen[p] = true
		if len(seen) > 1 {
			ordered = ordered && p == prev+1
		}
		prev = p
	}
	assert.Len(t, seen, 55000)
	assert.False(t, ordered, "not in order")
	_, ok := s.allocate(backend)
	assert.False(t, ok, "PortAllocationErrorCount past 55,000")
	p, ok := s.allocate(netip.MustParseAddrPort("10.0.128.109:22"))
	assert.True(t, ok, "the pool is per target address and port")
	s.release(backend, p)
}
