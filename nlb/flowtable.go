package nlb

import (
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/vlab-sim/vlab/vnet"

	"github.com/vlab-sim/vlab/vnet/packet"
	"github.com/vlab-sim/vlab/vnet/wire"
)

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
}

// flow is a Flow as the table holds it.
type flow struct {
	Flow
	node     *Node
	target   *member
	group    *TargetGroup
	listener *Listener
	pp       *ppv2Stream   // the Proxy Protocol v2 header's state, nil without one
	ending   atomic.Uint32 // a wire.Ending: the client (A) and target's FINs, closed
	touched  atomic.Int64  // the load balancer's sweep epoch at the last packet
}

// flowTable maps both legs of every flow: the client leg as it arrives at
// the node and the target leg as the target's replies leave it.
type flowTable struct {
	clock *vnet.Clock
	mu    sync.RWMutex
	front map[wire.Flow]*flow // client -> frontend
	back  map[wire.Flow]*flow // backend -> source
	// flows the idle timeout ended, by both keys, until another timeout
	deadFront map[wire.Flow]tombstone
	deadBack  map[wire.Flow]tombstone
}

func newFlowTable(clock *vnet.Clock) *flowTable {
	return &flowTable{clock: clock, front: map[wire.Flow]*flow{}, back: map[wire.Flow]*flow{}, deadFront: map[wire.Flow]tombstone{}, deadBack: map[wire.Flow]tombstone{}}
}

// bury remembers f, forgotten by the idle timeout at epoch.
func (t *flowTable) bury(f *flow, epoch int64) {
	t.mu.Lock()
	t.deadFront[t.frontKey(f)] = tombstone{f, epoch}
	t.deadBack[t.backKey(f)] = tombstone{f, epoch}
	t.mu.Unlock()
}

// dead finds a forgotten flow by either key.
func (t *flowTable) dead(k wire.Flow, front bool) *flow {
	t.mu.RLock()
	defer t.mu.RUnlock()
	m := t.deadBack
	if front {
		m = t.deadFront
	}
	if ts, ok := m[k]; ok {
		return ts.fl
	}
	return nil
}

// forget drops the tombstones old says are old enough.
func (t *flowTable) forget(old func(tombstone) bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, ts := range t.deadFront {
		if old(ts) {
			delete(t.deadFront, k)
		}
	}
	for k, ts := range t.deadBack {
		if old(ts) {
			delete(t.deadBack, k)
		}
	}
}

func (t *flowTable) frontKey(f *flow) wire.Flow {
	return wire.Flow{Proto: f.Proto, Src: f.Client, Dst: f.Frontend}
}

func (t *flowTable) backKey(f *flow) wire.Flow {
	return wire.Flow{Proto: f.Proto, Src: f.Backend, Dst: f.Source}
}

func (t *flowTable) lookupFront(k wire.Flow) *flow {
	t.mu.RLock()
	f := t.front[k]
	t.mu.RUnlock()
	return f
}

func (t *flowTable) lookupBack(k wire.Flow) *flow {
	t.mu.RLock()
	f := t.back[k]
	t.mu.RUnlock()
	return f
}

// insert adds f unless a flow with the same client leg exists, and returns
// the flow that is in the table.
func (t *flowTable) insert(f *flow) *flow {
	fk := t.frontKey(f)
	t.mu.Lock()
	defer t.mu.Unlock()
	if old := t.front[fk]; old != nil {
		return old
	}
	t.front[fk] = f
	bk := t.backKey(f)
	t.back[bk] = f
	delete(t.deadFront, fk)
	delete(t.deadBack, bk)
	return f
}

func (t *flowTable) remove(f *flow) {
	fk, bk := t.frontKey(f), t.backKey(f)
	if f.Source != f.Client && f.node != nil {
		f.node.snat.release(f.Backend, f.Source.Port())
	}
	t.mu.Lock()
	if t.front[fk] == f {
		delete(t.front, fk)
	}
	if t.back[bk] == f {
		delete(t.back, bk)
	}
	t.mu.Unlock()
}

// closeLinger is how long a flow stays in the table after its TCP
// connection ended: the trackers' one figure (AWS keeps a closed flow until
// the idle timeout; the lab forgets it sooner).
const closeLinger = wire.ClosedLinger

// noteFlags follows the end of a TCP connection (wire.Ending): closeLinger
// after an RST, or after the ACK that follows both FINs, the flow is
// forgotten.
func (t *flowTable) noteFlags(f *flow, fromClient bool, flags wire.TCPFlags) {
	if f.Proto != packet.TCP {
		return
	}
	for {
		old := f.ending.Load()
		next := wire.Ending(old).Note(flags, fromClient)
		if uint32(next) == old {
			return // the common case: a packet of a live connection
		}
		if f.ending.CompareAndSwap(old, uint32(next)) {
			if next.IsClosed() {
				t.clock.AfterFunc(closeLinger, func() { t.remove(f) })
			}
			return
		}
	}
}

func (t *flowTable) list() []Flow {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]Flow, 0, len(t.front))
	for _, f := range t.front {
		out = append(out, f.Flow)
	}
	return out
}

func (t *flowTable) len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.front)
}
