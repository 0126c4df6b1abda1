package nlb

import (
	"net/netip"

	"github.com/vlab-sim/vlab/vnet/wire"
)

// AWS picks a target by a flow hash over protocol, addresses, ports and the
// TCP sequence number (ELB User Guide, "How Elastic Load Balancing works").
// The lab hashes the 5-tuple only, so a flow's target is reproducible from
// the tuple, and uses rendezvous (highest random weight) hashing so that
// adding or removing one of N targets moves about 1/N of new flows.

func mix64(x uint64) uint64 {
	// splitmix64's finalizer: a fast, well-spread bijection.
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// addr32 is an IPv4 address as a number, 0 for none.
func addr32(a netip.Addr) uint64 {
	if !a.Is4() {
		return 0
	}
	b := a.As4()
	return uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
}

func hashFlow(k wire.Flow, seed uint64) uint64 {
	h := mix64(seed ^ addr32(k.Src.Addr())<<32 ^ addr32(k.Dst.Addr()))
	return mix64(h ^ uint64(k.Src.Port())<<24 ^ uint64(k.Dst.Port())<<8 ^ uint64(k.Proto))
}

// flowHash is the hash a new flow's target is picked by: the 5-tuple's
// or, with stickiness (stickiness.enabled, source_ip), the client
// address's only.
func flowHash(k wire.Flow, seed uint64, sticky bool) uint64 {
	if sticky {
		k = wire.Flow{Proto: k.Proto, Src: netip.AddrPortFrom(k.Src.Addr(), 0)}
	}
	return hashFlow(k, seed)
}

// rendezvous returns the index of the candidate with the highest weight for
// flow hash h among those eligible admits (every one when eligible is nil),
// or -1 for none.
func rendezvous(h uint64, ids []uint64, eligible func(i int) bool) int {
	best, bestW := -1, uint64(0)
	for i, id := range ids {
		if eligible != nil && !eligible(i) {
			continue
		}
		if w := mix64(h ^ id); best < 0 || w > bestW {
			best, bestW = i, w
		}
	}
	return best
}
