package lab

import (
	"fmt"
	"net/netip"

	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/packet"
)

// Hop is one leg of a flow's way (SCENARIO.md O9): who sends to whom, with
// which addresses and ports on that hop, what changed them, and the rules
// that let the packet through (or the one that would not).
type Hop struct {
	From, To string
	Src, Dst netip.AddrPort
	// Change says what rewrote the addresses on this hop.
	Change string
	// Route is the route-table entry used, or why none was needed.
	Route string
	// Rules are the network-ACL and security-group rules that admitted
	// the packet.
	Rules []string
	// Dropped, when not empty, says why the packet went no further.
	Dropped string
}

// Explanation is a flow's way through the lab, there and back.
type Explanation struct {
	Flow nlb.Flow
	Hops []Hop
}

// Explain describes the way of a flow through the NLB (one of NLB.Flows()),
// hop by hop: client → internet gateway → NLB node → target, and the
// replies back.
func (l *Lab) Explain(f nlb.Flow) (Explanation, error) {
	var nd *nlb.Node
	for _, lb := range l.LoadBalancers {
		for _, n := range lb.Nodes() {
			if n.Host().Name() == f.Node {
				nd = n
			}
		}
	}
	if nd == nil {
		return Explanation{}, fmt.Errorf("explain: flow %s: no node %q", f.Client, f.Node)
	}
	var tgt *vnet.ENI
	for _, in := range l.Instances {
		if in.Addr() == f.Backend.Addr() {
			tgt = in.ENI()
		}
	}
	if tgt == nil {
		return Explanation{}, fmt.Errorf("explain: flow %s: no instance has %s", f.Client, f.Backend.Addr())
	}
	gw := nd.ENI().Subnet().VPC().InternetGateway()
	if gw == nil {
		return Explanation{}, fmt.Errorf("explain: flow %s: node %s's VPC has no internet gateway (explain follows flows from the internet)", f.Client, f.Node)
	}
	igw := gw.ID()
	client := "client"
	for _, pc := range l.Clients {
		if pc.Addr() == f.Client.Addr() {
			client = pc.Host().Name()
		}
	}
	public := netip.AddrPortFrom(nd.PublicAddr(), f.Frontend.Port())
	node, target := nd.ENI(), tgt
	tcp := func(src, dst netip.AddrPort) packet.Flow { return packet.Flow{Proto: packet.TCP, Src: src, Dst: dst} }
	var hops []Hop
	add := func(h Hop) bool {
		if h.Dropped == "" {
			h.Dropped = l.droppedOn(h.Src, h.Dst)
		}
		hops = append(hops, h)
		return h.Dropped == ""
	}
	rules := func(h *Hop, ok bool, rule string) bool {
		h.Rules = append(h.Rules, rule)
		if !ok {
			h.Dropped = rule
		}
		return ok
	}

	// 1. The client to the NLB's public address.
	if !add(Hop{From: client, To: igw, Src: f.Client, Dst: public, Route: "internet: the client's default route", Change: "none: the client only knows the NLB's public address"}) {
		return Explanation{f, hops}, nil
	}
	// 2. The internet gateway maps the public address to the node's.
	h := Hop{From: igw, To: nd.Host().Name(), Src: f.Client, Dst: f.Frontend,
		Change: fmt.Sprintf("internet gateway %s: 1:1 mapping %s -> %s", igw, nd.PublicAddr(), nd.PrivateAddr()), Route: "none: the gateway delivers to the interface that owns the address"}
	if rule, ok := node.Subnet().ACLDecision(false, tcp(f.Client, f.Frontend)); rules(&h, ok, rule) {
		r, ok := node.AdmittingRule(false, tcp(f.Client, f.Frontend), nil)
		rules(&h, ok, r)
	}
	if !add(h) {
		return Explanation{f, hops}, nil
	}
	// 3. The node rewrites and forwards to the target.
	change := fmt.Sprintf("NLB rewrite: destination %s -> %s; source kept (client IP preservation)", f.Frontend, f.Backend)
	if f.Source != f.Client {
		change = fmt.Sprintf("NLB rewrite: destination %s -> %s; source %s -> %s (no client IP preservation)", f.Frontend, f.Backend, f.Client, f.Source)
	}
	h = Hop{From: nd.Host().Name(), To: target.Host().Name(), Src: f.Source, Dst: f.Backend, Change: change}
	h.Route, _ = node.Subnet().RouteFor(f.Backend.Addr())
	ok := true
	if node.Subnet() != target.Subnet() {
		var rule string
		rule, ok = node.Subnet().ACLDecision(true, tcp(f.Source, f.Backend))
		if rules(&h, ok, rule) {
			rule, ok = target.Subnet().ACLDecision(false, tcp(f.Source, f.Backend))
			rules(&h, ok, rule)
		}
	}
	if ok {
		r, ok := target.AdmittingRule(false, tcp(f.Source, f.Backend), node)
		rules(&h, ok, r)
	}
	if !add(h) {
		return Explanation{f, hops}, nil
	}
	// 4. The target's reply, to the source it saw.
	h = Hop{From: target.Host().Name(), To: nd.Host().Name(), Src: f.Backend, Dst: f.Source,
		Rules: []string{"security group: the reply of a tracked flow"}}
	if r, ok := target.Subnet().RouteFor(f.Source.Addr()); ok && f.Source != f.Client {
		h.Route, h.Change = r, "none: ordinary routing to the node"
	} else {
		h.Route = "none needed: carried by the NLB (" + r + ")"
		h.Change = "return path: the NLB's flow table (AWS Hyperplane) takes the reply to the node that owns the flow"
	}
	if node.Subnet() != target.Subnet() {
		rule, ok := target.Subnet().ACLDecision(true, tcp(f.Backend, f.Source))
		if rules(&h, ok, rule) {
			rule, ok = node.Subnet().ACLDecision(false, tcp(f.Backend, f.Source))
			rules(&h, ok, rule)
		}
	}
	if !add(h) {
		return Explanation{f, hops}, nil
	}
	// 5. The node rewrites the reply back and sends it out.
	h = Hop{From: nd.Host().Name(), To: igw, Src: f.Frontend, Dst: f.Client,
		Change: fmt.Sprintf("NLB rewrite: source %s -> %s", f.Backend, f.Frontend)}
	h.Route, _ = node.Subnet().RouteFor(f.Client.Addr())
	rule, ok := node.Subnet().ACLDecision(true, tcp(f.Frontend, f.Client))
	rules(&h, ok, rule)
	if !add(h) {
		return Explanation{f, hops}, nil
	}
	// 6. The gateway maps the node's address back to the public one.
	add(Hop{From: igw, To: client, Src: public, Dst: f.Client, Route: "internet",
		Change: fmt.Sprintf("internet gateway %s: 1:1 mapping %s -> %s", igw, nd.PrivateAddr(), nd.PublicAddr())})
	return Explanation{f, hops}, nil
}

// droppedOn returns the detail of a recent drop of a packet from src's
// address to dst, if any.
func (l *Lab) droppedOn(src, dst netip.AddrPort) string {
	ds := l.Net.RecentDropEvents()
	for i := len(ds) - 1; i >= 0; i-- {
		d := ds[i]
		if d.Flow.Src.Addr() == src.Addr() && d.Flow.Dst == dst {
			if d.Detail != "" {
				return d.Detail
			}
			return string(d.Reason) + " at " + d.Where
		}
	}
	return ""
}
