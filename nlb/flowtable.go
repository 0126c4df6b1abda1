package nlb

import (
	"net/netip"
	"sync"

	"github.com/vlab-sim/vlab/vnet/packet"
)

// tuple is a compact, hashable 5-tuple; the fabric looks one up per packet.
type tuple struct {
	proto      uint8
	src, dst   [4]byte
	sport, dpt uint16
}

func tupleOf(f packet.Flow) tuple {
	return tuple{proto: f.Proto, src: f.Src.Addr().As4(), dst: f.Dst.Addr().As4(), sport: f.Src.Port(), dpt: f.Dst.Port()}
}

// Flow is one connection through a load balancer, as its flow table holds
// it.
type Flow struct {
	Proto    uint8
	Client   netip.AddrPort // the client's address and port, as the node sees them
	Frontend netip.AddrPort // the node's private address and the listener port
	Backend  netip.AddrPort // the target's address and port
	Source   netip.AddrPort // the source the target sees (the client's, with client IP preservation)
	Node     string         // the node's host name
	TargetID string

	node     *Node
	target   *member
	group    *TargetGroup
	finFront bool // the client sent FIN; guarded by flowTable.mu
	finBack  bool // the target sent FIN; guarded by flowTable.mu
}

// flowTable maps both legs of every flow: the client leg as it arrives at
// the node and the target leg as the target's replies leave it.
type flowTable struct {
	mu    sync.RWMutex
	front map[tuple]*Flow // client -> frontend
	back  map[tuple]*Flow // backend -> source
}

func newFlowTable() *flowTable {
	return &flowTable{front: map[tuple]*Flow{}, back: map[tuple]*Flow{}}
}

func (t *flowTable) frontKey(f *Flow) tuple {
	return tupleOf(packet.Flow{Proto: f.Proto, Src: f.Client, Dst: f.Frontend})
}

func (t *flowTable) backKey(f *Flow) tuple {
	return tupleOf(packet.Flow{Proto: f.Proto, Src: f.Backend, Dst: f.Source})
}

func (t *flowTable) lookupFront(k tuple) *Flow {
	t.mu.RLock()
	f := t.front[k]
	t.mu.RUnlock()
	return f
}

func (t *flowTable) lookupBack(k tuple) *Flow {
	t.mu.RLock()
	f := t.back[k]
	t.mu.RUnlock()
	return f
}

// insert adds f unless a flow with the same client leg exists, and returns
// the flow that is in the table.
func (t *flowTable) insert(f *Flow) *Flow {
	fk := t.frontKey(f)
	t.mu.Lock()
	defer t.mu.Unlock()
	if old := t.front[fk]; old != nil {
		return old
	}
	t.front[fk] = f
	t.back[t.backKey(f)] = f
	return f
}

func (t *flowTable) remove(f *Flow) {
	fk, bk := t.frontKey(f), t.backKey(f)
	t.mu.Lock()
	if t.front[fk] == f {
		delete(t.front, fk)
	}
	if t.back[bk] == f {
		delete(t.back, bk)
	}
	t.mu.Unlock()
}

// noteFlags records the end of a TCP connection: after an RST, or once the
// ACK that follows both FINs has passed, the flow is forgotten. (AWS keeps a
// closed flow until its idle timeout; the lab forgets it at once so that the
// table holds only live connections.)
func (t *flowTable) noteFlags(f *Flow, fromClient bool, flags uint8) {
	const fin, rst, ack = 0x01, 0x04, 0x10
	if f.Proto != packet.TCP {
		return
	}
	switch {
	case flags&rst != 0:
		t.remove(f)
	case flags&fin != 0:
		t.mu.Lock()
		if fromClient {
			f.finFront = true
		} else {
			f.finBack = true
		}
		t.mu.Unlock()
	case flags&ack != 0:
		t.mu.RLock()
		done := f.finFront && f.finBack
		t.mu.RUnlock()
		if done {
			t.remove(f)
		}
	}
}

func (t *flowTable) list() []Flow {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]Flow, 0, len(t.front))
	for _, f := range t.front {
		c := *f
		c.node = nil
		out = append(out, c)
	}
	return out
}

func (t *flowTable) len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.front)
}
