package vnet

import (
	"net/netip"
	"sync"
	"time"

	"github.com/vlab-sim/vlab/vnet/packet"
	"github.com/vlab-sim/vlab/vnet/wire"
)

// StepKind says what the fabric did at one step of a packet's way.
type StepKind string

// The steps a packet's way is made of, in the order the fabric takes them.
const (
	// StepSend: a host's stack wrote the packet out of an interface, or a
	// node or gateway forwarded it out of its own.
	StepSend StepKind = "send"
	// StepSecurityGroup: an interface's security groups (or its
	// connection tracking) admitted the packet.
	StepSecurityGroup StepKind = "security-group"
	// StepReturnPath: a return-path hook (a load balancer's flow table)
	// took the packet before any route lookup.
	StepReturnPath StepKind = "return-path"
	// StepNetworkACL: a subnet's network ACL allowed the packet.
	StepNetworkACL StepKind = "network-acl"
	// StepRoute: a route table's route chosen for the packet.
	StepRoute StepKind = "route"
	// StepGateway: an internet gateway rewrote an address (1:1 mapping).
	StepGateway StepKind = "gateway"
	// StepRewrite: an interceptor (a load balancer node, a NAT gateway)
	// rewrote the packet.
	StepRewrite StepKind = "rewrite"
	// StepIntercept: an interface's interceptor took the packet.
	StepIntercept StepKind = "intercept"
	// StepDeliver: the packet reached a host's stack.
	StepDeliver StepKind = "deliver"
	// StepDrop: the packet was dropped (Drop says where and why).
	StepDrop StepKind = "drop"
)

// TraceStep is one decision the fabric made about a packet of a traced
// connection, recorded where it made it.
type TraceStep struct {
	At   time.Time
	Kind StepKind
	// Flow is the packet's 5-tuple at this step; Flags its TCP flags.
	Flow  packet.Flow
	Flags wire.TCPFlags
	// Host and ENI are the host and interface the step happened at, when
	// it happened at one.
	Host, ENI string
	// Where is the resource that decided: a security group, an ACL, a
	// route table, a gateway, a load balancer.
	Where string
	// Rule is the rule or route that decided, in words.
	Rule string
	// After is the 5-tuple after a rewrite (StepGateway, StepRewrite).
	After packet.Flow
	// Drop is the drop, for StepDrop.
	Drop *DropEvent
	// Conn is the client end of the traced connection the packet belongs
	// to.
	Conn netip.AddrPort
}

// MaxTraceSteps bounds a trace: a connection left traced records its
// first steps only.
const MaxTraceSteps = 512

// Trace records the fabric's decisions about the packets of one
// connection, named by its client end (an address and port; port 0 for
// every connection of that address), followed past any rewrite a
// return-path hook can trace back (FlowOrigin).
type Trace struct {
	n      *Network
	client netip.AddrPort

	mu    sync.Mutex
	steps []TraceStep
}

// TraceConnection starts recording the way of every packet of the
// connection whose client end is client. Stop ends it.
func (n *Network) TraceConnection(client netip.AddrPort) *Trace {
	t := &Trace{n: n, client: client}
	n.traceMu.Lock()
	n.traces = append(append([]*Trace{}, n.traces...), t)
	n.tracing.Store(int32(len(n.traces)))
	n.traceMu.Unlock()
	return t
}

// Stop ends the recording; Steps still returns what was recorded.
func (t *Trace) Stop() {
	n := t.n
	n.traceMu.Lock()
	defer n.traceMu.Unlock()
	for i, o := range n.traces {
		if o == t {
			n.traces = append(append([]*Trace{}, n.traces[:i]...), n.traces[i+1:]...)
			break
		}
	}
	n.tracing.Store(int32(len(n.traces)))
}

// Steps returns the steps recorded, in order.
func (t *Trace) Steps() []TraceStep {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]TraceStep(nil), t.steps...)
}

// Client is the client end of the traced connection.
func (t *Trace) Client() netip.AddrPort { return t.client }

// trace records step for p if a trace follows p's connection. It costs one
// atomic load when nothing is traced.
func (n *Network) trace(p *packet.Packet, step TraceStep) {
	if n.tracing.Load() == 0 {
		return
	}
	step.Flow, step.Flags = p.Flow(), p.TCPFlags()
	n.traceFlow(step)
}

func (n *Network) traceFlow(step TraceStep) {
	n.traceMu.Lock()
	ts := n.traces
	n.traceMu.Unlock()
	var origin netip.AddrPort
	looked := false
	for _, t := range ts {
		f := step.Flow
		conn := t.owns(f.Src)
		if !conn.IsValid() {
			conn = t.owns(f.Dst)
		}
		if !conn.IsValid() {
			if !looked {
				origin, looked = n.originOf(f), true
			}
			conn = t.owns(origin)
		}
		if !conn.IsValid() {
			continue
		}
		step.At, step.Conn = n.clock.Now(), conn
		t.mu.Lock()
		if len(t.steps) < MaxTraceSteps {
			t.steps = append(t.steps, step)
		}
		t.mu.Unlock()
	}
}

// owns returns a when it is the traced client end (or, for a trace of a
// whole address, one of its ends), else the zero AddrPort.
func (t *Trace) owns(a netip.AddrPort) netip.AddrPort {
	if a == t.client || t.client.Port() == 0 && a.IsValid() && a.Addr() == t.client.Addr() {
		return a
	}
	return netip.AddrPort{}
}

// originOf is the client end of the connection a rewritten flow belongs
// to, as the return-path hooks know it, or the zero AddrPort.
func (n *Network) originOf(f packet.Flow) netip.AddrPort {
	if !f.Src.IsValid() {
		return netip.AddrPort{}
	}
	for _, o := range n.flowOrigins() {
		if c, ok := o.Origin(f); ok {
			return c
		}
	}
	return netip.AddrPort{}
}

// addOrigin registers o (a NAT gateway) to name the connections its
// rewritten packets belong to.
func (n *Network) addOrigin(o FlowOrigin) {
	n.mu.Lock()
	n.origins = append(n.origins, o)
	n.snapOriginsLocked()
	n.mu.Unlock()
}

// flowOrigins lists the return-path hooks and other rewriters that can
// name a rewritten packet's connection, without taking n.mu.
func (n *Network) flowOrigins() []FlowOrigin {
	if p := n.originSnap.Load(); p != nil {
		return *p
	}
	return nil
}

// Tracing reports whether some connection is traced: extensions build the
// words of a trace step only then.
func (n *Network) Tracing() bool { return n.tracing.Load() != 0 }

// TraceRewrite records that by rewrote p from before to what it is now, at
// e (a load balancer node's or NAT gateway's interface): extensions that
// rewrite packets call it so traces show the rewrite where it happens.
func (n *Network) TraceRewrite(e *ENI, before packet.Flow, p *packet.Packet, by, words string) {
	if n.tracing.Load() == 0 {
		return
	}
	step := TraceStep{Kind: StepRewrite, Flow: before, Flags: p.TCPFlags(), After: p.Flow(), Where: by, Rule: words}
	if e != nil {
		step.Host, step.ENI = e.host.name, e.id
	}
	n.traceFlow(step)
}
