package vnet

import (
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vlab-sim/vlab/vnet/capture"
	"github.com/vlab-sim/vlab/vnet/packet"
)

// Direction says which way a packet crossed an interface.
type Direction uint8

const (
	// In: the fabric delivered the packet to the interface (after its
	// security groups and network ACL admitted it).
	In Direction = iota
	// Out: the interface's host (or, for a load balancer node, its
	// forwarding path) sent the packet.
	Out
)

func (d Direction) String() string {
	if d == In {
		return "In"
	}
	return "Out"
}

// TapFunc sees a packet crossing an interface: when (lab time), which way,
// and its bytes from the IPv4 header on. b is only valid during the call.
type TapFunc func(when time.Time, dir Direction, b []byte)

// taps are an interface's capture taps. With none attached, a packet costs
// one atomic load.
type taps struct {
	mu   sync.Mutex
	list atomic.Pointer[[]*TapFunc]
	// emit orders packets that cross the interface at once from several
	// goroutines: each is stamped and shown under it, so timestamps never
	// go backwards in a capture.
	emit sync.Mutex
}

// Tap attaches f to the interface: it sees every packet that crosses the
// interface, in either direction, as it is on that hop, as tcpdump on the
// host would. Packets a security group or network ACL dropped on their way
// in are not seen (they never reached the interface). The returned
// function detaches f.
func (e *ENI) Tap(f TapFunc) (stop func()) {
	t := &e.taps
	fp := &f
	t.mu.Lock()
	var cur []*TapFunc
	if l := t.list.Load(); l != nil {
		cur = *l
	}
	next := append(append([]*TapFunc(nil), cur...), fp)
	t.list.Store(&next)
	t.mu.Unlock()
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		l := t.list.Load()
		if l == nil {
			return
		}
		var next []*TapFunc
		for _, o := range *l {
			if o != fp {
				next = append(next, o)
			}
		}
		if len(next) == 0 {
			t.list.Store(nil)
		} else {
			t.list.Store(&next)
		}
	}
}

// tap shows p to the interface's taps.
func (e *ENI) tap(dir Direction, p *packet.Packet) {
	l := e.taps.list.Load()
	if l == nil {
		return
	}
	e.taps.emit.Lock()
	defer e.taps.emit.Unlock()
	now := e.net.clock.Now()
	for _, f := range *l {
		(*f)(now, dir, p.Bytes())
	}
}

// captureSource adapts an ENI to capture.Source.
type captureSource struct{ e *ENI }

// CaptureSource returns the interface as a source for package capture.
func (e *ENI) CaptureSource() capture.Source { return captureSource{e} }

func (c captureSource) Tap(f func(time.Time, []byte)) func() {
	return c.e.Tap(func(ts time.Time, _ Direction, b []byte) { f(ts, b) })
}

func (c captureSource) Name() string { return c.e.name }

// NameOf returns the name of the host that has address a, on the internet
// or in a VPC: what the lab's tcpdump prints without -n. The host
// machine's resolver is never asked.
func (n *Network) NameOf(a netip.Addr) (string, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if e := n.internet[a]; e != nil {
		return e.host.name, true
	}
	for _, v := range n.vpcs {
		if e := v.byAddr[a]; e != nil {
			return e.host.name, true
		}
	}
	return "", false
}

// AddrOf returns the address of name in the lab's own DNS: a host's
// primary address (for filters such as "host ip-10-0-128-108"), or the
// first answer for a registered name (a load balancer's DNS name). The host
// machine's resolver is never asked.
func (n *Network) AddrOf(name string) (netip.Addr, bool) {
	if h := n.Host(name); h != nil {
		if a := h.Addr(); a.IsValid() {
			return a, true
		}
	}
	if as := n.Resolve(name); len(as) > 0 {
		return as[0], true
	}
	return netip.Addr{}, false
}

// RegisterName adds name to the lab's DNS, answered by resolve.
func (n *Network) RegisterName(name string, resolve func() []netip.Addr) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.names == nil {
		n.names = map[string]func() []netip.Addr{}
	}
	n.names[strings.ToLower(name)] = resolve
}

// Resolve answers name from the lab's DNS (registered names only).
func (n *Network) Resolve(name string) []netip.Addr {
	n.mu.RLock()
	f := n.names[strings.ToLower(strings.TrimSuffix(name, "."))]
	n.mu.RUnlock()
	if f == nil {
		return nil
	}
	return f()
}
