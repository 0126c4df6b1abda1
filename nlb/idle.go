package nlb

import (
	"fmt"
	"strconv"
	"time"

	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/limits"
	"github.com/vlab-sim/vlab/vnet/packet"
	"github.com/vlab-sim/vlab/vnet/wire"
)

// Listener attributes (ELB User Guide, "Listeners for your Network Load
// Balancers").
const (
	// AttrIdleTimeout is tcp.idle_timeout.seconds: 350 by default, 60-6000.
	AttrIdleTimeout = "tcp.idle_timeout.seconds"
)

// idleTick is how often the lab looks for idle flows, in lab time: a flow
// is forgotten within a tick of its idle timeout.
const idleTick = time.Second

// SetAttribute sets a listener attribute by its AWS key, validated against
// limits.Attributes.
func (l *Listener) SetAttribute(key, value string) error {
	value, err := limits.Check(limits.Listener, strconv.Itoa(int(l.Port)), key, value)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(value) // the one listener attribute: the idle timeout
	l.idle.Store(int64(n))
	return nil
}

// Attributes returns the listener's attributes by AWS key.
func (l *Listener) Attributes() map[string]string {
	return map[string]string{AttrIdleTimeout: strconv.FormatInt(l.idle.Load(), 10)}
}

// tombstone remembers a flow the idle timeout ended: the next packet of it,
// from either side, is answered with an RST.
type tombstone struct {
	fl    *flow
	epoch int64
}

// sweep runs every idleTick of lab time: flows idle for their listener's
// timeout are forgotten, silently, as AWS does.
func (lb *LoadBalancer) sweep() {
	e := lb.epoch.Add(1)
	var idle []*flow
	lb.flows.mu.RLock()
	for _, f := range lb.flows.front {
		if f.listener == nil || wire.Ending(f.ending.Load()).IsClosed() {
			continue
		}
		if time.Duration(e-f.touched.Load())*idleTick >= time.Duration(f.listener.idle.Load())*time.Second {
			idle = append(idle, f)
		}
	}
	lb.flows.mu.RUnlock()
	for _, f := range idle {
		lb.flows.remove(f)
		lb.flows.bury(f, e)
	}
	lb.flows.forget(func(t tombstone) bool {
		return time.Duration(e-t.epoch)*idleTick >= time.Duration(t.fl.listener.idle.Load())*time.Second
	})
	lb.mu.RLock()
	closed := lb.closed
	lb.mu.RUnlock()
	if !closed {
		lb.sweeper.Store(lb.net.Clock().AfterFunc(idleTick, lb.sweep))
	}
}

// answerReset answers p, a packet of fl, which the idle timeout ended, with
// an RST; p itself is counted as dropped, with the reason in words, so that
// whoever watches the connection learns why it was reset.
func (nd *Node) answerReset(p *packet.Packet, fl *flow) {
	rst, err := packet.NewReset(p)
	idle := fl.listener.idle.Load()
	nd.lb.net.DropPacket(vnet.DropEvent{Where: nd.eni.ID(), Reason: DropIdleReset, Resource: nd.lb.Name(),
		Rule:   fmt.Sprintf("%s %d", AttrIdleTimeout, idle),
		Detail: fmt.Sprintf("reset by the load balancer after %d s idle (%s)", idle, AttrIdleTimeout)}, p)
	if err != nil {
		return
	}
	nd.lb.resets.Add(1)
	nd.eni.Forward(rst)
}

// defaultIdleTimeout is AWS's tcp.idle_timeout.seconds, from the table.
func defaultIdleTimeout() int64 {
	a, _ := limits.Lookup(limits.Listener, AttrIdleTimeout)
	n, _ := strconv.Atoi(a.Default)
	return int64(n)
}

// answerUnknown answers p, a segment of a flow the node does not know, with
// an RST (never an RST with an RST); p is counted as a DropNoFlow drop.
func (nd *Node) answerUnknown(p *packet.Packet) {
	rst, err := packet.NewReset(p)
	nd.lb.net.DropPacket(vnet.DropEvent{Where: nd.eni.ID(), Reason: DropNoFlow, Resource: nd.lb.Name(),
		Detail: fmt.Sprintf("load balancer %s has no flow for %s: it answers with an RST", nd.lb.Name(), p.Flow())}, p)
	if err != nil {
		return
	}
	nd.lb.resets.Add(1)
	nd.eni.Forward(rst)
}
