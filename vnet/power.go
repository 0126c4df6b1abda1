package vnet

import "net"

// SetDown powers the host off (true) or on again (false). A host that is
// down neither sends nor receives: packets addressed to its interfaces are
// dropped before its stack sees them (DropDetached), and what its stack
// writes never leaves it, so peers see their connections go silent. Its
// interfaces stay attached, as a stopped EC2 instance keeps its primary
// ENI and private address (EC2 User Guide, "Stop and start Amazon EC2
// instances").
func (h *Host) SetDown(down bool) {
	if h.down.Swap(down) != down && down {
		h.cycles.Add(1)
	}
}

// SetTerminated marks the host's instance terminated (for good: it never
// runs again), so that a load balancer describes it as terminated, not
// stopped. The instance's owner calls it with SetDown(true).
func (h *Host) SetTerminated() { h.terminated.Store(true) }

// Terminated reports whether SetTerminated was called.
func (h *Host) Terminated() bool { return h.terminated.Load() }

// Down reports whether the host is powered off (SetDown).
func (h *Host) Down() bool { return h.down.Load() }

// PowerCycles counts the times the host was powered off: a watcher that
// saw it up twice knows whether it went down in between.
func (h *Host) PowerCycles() uint64 { return h.cycles.Load() }

// ListenReuseAddr is Listen with SO_REUSEADDR: a daemon started again
// binds its port while its last connections are in TIME-WAIT.
func (h *Host) ListenReuseAddr(address string) (net.Listener, error) {
	ap, err := parseAddrPort("tcp", address)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: "tcp", Err: err}
	}
	return h.st.ListenTCPReuseAddr(ap)
}
