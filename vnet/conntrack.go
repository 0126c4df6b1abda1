package vnet

import (
	"sync"
	"time"

	"github.com/vlab-sim/vlab/vnet/packet"
)

// ctKey is a flow with its two ends in a canonical order, so a packet and
// its reply share the key.
type ctKey struct {
	proto  uint8
	a, b   [4]byte
	ap, bp uint16
}

func ctKeyOf(p *packet.Packet) (k ctKey, forward bool) {
	s, d := p.Src().As4(), p.Dst().As4()
	sp, dp := p.SrcPort(), p.DstPort()
	if string(s[:]) < string(d[:]) || (s == d && sp <= dp) {
		return ctKey{p.Protocol(), s, d, sp, dp}, true
	}
	return ctKey{p.Protocol(), d, s, dp, sp}, false
}

type ctEntry struct {
	finA, finB bool // each end has sent FIN
	closing    bool // ended; forgotten after closeLinger of lab time
}

// closeLinger is how long a tracked TCP flow is remembered after it ends, so
// that its last packets (a FIN after an RST, a retransmitted ACK) still
// pass. AWS does not document it; the lab takes Linux conntrack's 10 s for
// closed connections.
const closeLinger = 10 * time.Second

// conntrack is an ENI's connection tracking table: the flows its security
// groups admitted, whose packets then pass both ways whatever the rules say
// (VPC User Guide, "Security group connection tracking").
//
// Simplification: TCP entries end closeLinger after an RST or after the ACK
// that follows both ends' FINs; UDP and ICMP entries stay until the ENI is
// gone (AWS times them out).
type conntrack struct {
	clock *Clock
	mu    sync.Mutex
	m     map[ctKey]*ctEntry
}

// seen reports whether p belongs to a tracked flow, and notes its flags.
func (c *conntrack) seen(p *packet.Packet) bool {
	k, fwd := ctKeyOf(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[k]
	if e == nil {
		return false
	}
	c.noteLocked(k, e, fwd, p)
	return true
}

func (c *conntrack) track(p *packet.Packet) {
	k, fwd := ctKeyOf(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[ctKey]*ctEntry{}
	}
	e := c.m[k]
	if e == nil {
		e = &ctEntry{}
		c.m[k] = e
	}
	c.noteLocked(k, e, fwd, p)
}

func (c *conntrack) noteLocked(k ctKey, e *ctEntry, fwd bool, p *packet.Packet) {
	const fin, rst, ack = 0x01, 0x04, 0x10
	if k.proto != packet.TCP {
		return
	}
	f := p.TCPFlags()
	switch {
	case e.closing:
	case f&rst != 0:
		c.closeLocked(k, e)
	case f&fin != 0:
		if fwd {
			e.finA = true
		} else {
			e.finB = true
		}
	case f&ack != 0 && e.finA && e.finB:
		c.closeLocked(k, e)
	}
}

func (c *conntrack) closeLocked(k ctKey, e *ctEntry) {
	e.closing = true
	c.clock.AfterFunc(closeLinger, func() {
		c.mu.Lock()
		if c.m[k] == e {
			delete(c.m, k)
		}
		c.mu.Unlock()
	})
}

func (c *conntrack) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
