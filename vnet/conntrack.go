package vnet

import (
	"sync"

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
}

// conntrack is an ENI's connection tracking table: the flows its security
// groups admitted, whose packets then pass both ways whatever the rules say
// (VPC User Guide, "Security group connection tracking").
//
// Simplification: TCP entries end with an RST or once both ends have sent
// FIN and the closing ACK has passed; UDP and ICMP entries stay until the
// ENI is gone (AWS times them out).
type conntrack struct {
	mu sync.Mutex
	m  map[ctKey]*ctEntry
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
	case f&rst != 0:
		delete(c.m, k)
	case f&fin != 0:
		if fwd {
			e.finA = true
		} else {
			e.finB = true
		}
	case f&ack != 0 && e.finA && e.finB:
		delete(c.m, k)
	}
}

func (c *conntrack) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
