package nlb

import (
	"net/netip"
	"sync"
)

// snatPorts allocates the source ports a node uses toward targets when
// client IP preservation is off: about 55,000 per target address and port,
// as AWS counts them (ELB User Guide, "Troubleshoot your Network Load
// Balancer", PortAllocationErrorCount), from 1024 up, below the node stack's
// own ephemeral range (nodePortsLo-nodePortsHi, its health checks), so the
// two never collide. They are taken in a pseudo-random order that the
// node's id (so the lab's seed) fixes: a run repeats, and a port is not
// reused at once.
type snatPorts struct {
	mu    sync.Mutex
	used  map[netip.AddrPort]map[uint16]bool
	start uint32
	turn  uint32
}

const (
	snatLo   = 1024
	snatSize = 55000
	// snatStride is prime and does not divide snatSize: stepping by it
	// visits every port of the pool once.
	snatStride = 7919
)

func (s *snatPorts) allocate(backend netip.AddrPort) (uint16, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used == nil {
		s.used = map[netip.AddrPort]map[uint16]bool{}
	}
	u := s.used[backend]
	if u == nil {
		u = map[uint16]bool{}
		s.used[backend] = u
	}
	for range snatSize {
		p := uint16(snatLo + (s.start+s.turn*snatStride)%snatSize)
		s.turn = (s.turn + 1) % snatSize // start+turn*stride stays in uint32
		if !u[p] {
			u[p] = true
			return p, true
		}
	}
	return 0, false
}

func (s *snatPorts) release(backend netip.AddrPort, port uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.used[backend], port)
}
