package nlb

import (
	"net/netip"
	"sync"
)

// snatPorts allocates the source ports a node uses toward targets when
// client IP preservation is off. They come from outside the node stack's
// ephemeral range (nodePortsLo-nodePortsHi, its health checks), so the two
// never collide; a port is unique per target address and port, which is why
// AWS counts about 55,000 connections per target (ELB User Guide,
// "Troubleshoot", PortAllocationErrorCount).
type snatPorts struct {
	mu   sync.Mutex
	used map[netip.AddrPort]map[uint16]bool
	next uint16
}

const snatLo = 1024

func (s *snatPorts) allocate(backend netip.AddrPort) (uint16, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used == nil {
		s.used = map[netip.AddrPort]map[uint16]bool{}
		s.next = snatLo
	}
	u := s.used[backend]
	if u == nil {
		u = map[uint16]bool{}
		s.used[backend] = u
	}
	for i := 0; i < 65536; i++ {
		p := s.next
		s.next++
		if s.next == nodePortsLo {
			s.next = nodePortsHi + 1
		}
		if s.next == 0 {
			s.next = snatLo
		}
		if p < snatLo || (p >= nodePortsLo && p <= nodePortsHi) || u[p] {
			continue
		}
		u[p] = true
		return p, true
	}
	return 0, false
}

func (s *snatPorts) release(backend netip.AddrPort, port uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.used[backend], port)
}
