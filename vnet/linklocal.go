package vnet

import (
	"net/netip"
	"sync/atomic"

	"github.com/vlab-sim/vlab/vnet/packet"
)

// LinkLocalService answers what an interface's host sends to link-local
// addresses it owns: the instance metadata service at 169.254.169.254.
// AWS answers these on the instance's own interface, below the VPC: no
// security group, network ACL, route table or flow log sees them (EC2 User
// Guide, "Instance metadata service"; VPC User Guide, "Flow log
// limitations"). A capture on the instance still does.
type LinkLocalService interface {
	// Owns reports whether the service answers dst.
	Owns(dst netip.Addr) bool
	// Deliver takes p, a packet the interface's host sent to the service.
	Deliver(p *packet.Packet)
}

// linkLocal holds an interface's service, if any.
type linkLocal struct {
	s atomic.Pointer[LinkLocalService]
}

// SetLinkLocal gives the interface a link-local service (nil removes it).
func (e *ENI) SetLinkLocal(s LinkLocalService) {
	if s == nil {
		e.linkLocal.s.Store(nil)
		return
	}
	e.linkLocal.s.Store(&s)
}

// toLinkLocal hands p to the interface's link-local service when p is for
// it; it reports whether it did.
func (e *ENI) toLinkLocal(p *packet.Packet) bool {
	s := e.linkLocal.s.Load()
	if s == nil || !(*s).Owns(p.Dst()) {
		return false
	}
	(*s).Deliver(p)
	return true
}

// DeliverLinkLocal hands p, a link-local service's answer, to the
// interface's host as the service's own card would: no security group or
// flow log sees it; the capture does.
func (e *ENI) DeliverLinkLocal(p *packet.Packet) {
	e.tap(In, p)
	e.Deliver(p)
}
