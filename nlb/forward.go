package nlb

import (
	"fmt"
	"net/netip"

	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/packet"
	"github.com/vlab-sim/vlab/vnet/wire"
)

// Drop reasons of the load balancer, counted with the fabric's.
const (
	// DropNoFlow: a TCP segment other than a SYN arrived for a connection
	// the node does not know; the node answers it with an RST.
	DropNoFlow vnet.DropReason = "no-flow"
	// DropIdleReset: a packet of a flow the idle timeout ended; the node
	// answers it with an RST (ELB User Guide, "Connection idle timeout").
	DropIdleReset vnet.DropReason = "idle-timeout"
	// DropUnhealthyReset: a packet of a flow whose target turned
	// unhealthy, with connection termination on; the node answers it with
	// an RST.
	DropUnhealthyReset vnet.DropReason = "unhealthy-target"
	// DropDeregisteredReset: the same for a target deregistered with
	// deregistration_delay.connection_termination.enabled.
	DropDeregisteredReset vnet.DropReason = "deregistered-target"
)

// intercept is the node's forwarding path: every packet arriving at the
// node's ENI comes here first.
func (nd *Node) intercept(p *packet.Packet) bool {
	f := p.Flow()
	lb := nd.lb
	if fl := lb.flows.lookupFront(f); fl != nil {
		nd.forward(fl, p, true)
		return true
	}
	// A target's reply, which the return path brought here.
	if fl := lb.flows.lookupBack(f); fl != nil {
		nd.forward(fl, p, false)
		return true
	}
	if d := lb.flows.dead(f, false); d != nil && p.TCPFlags()&wire.RST == 0 {
		nd.answerReset(p, d)
		return true
	}
	// Replies to the node's own connections (health checks) go to its stack.
	if nd.host.Owns(f) {
		return false
	}
	l := lb.listener(f.Dst.Port())
	if l == nil || f.Proto != packet.TCP {
		if nd.ownPort(f) {
			return false
		}
		lb.net.Drop(nd.eni.ID(), vnet.DropNoListener, p)
		return true
	}
	// Only a SYN opens a flow. A packet of a flow the idle timeout ended
	// is answered with an RST.
	if !p.TCPFlags().IsSYN() {
		if d := lb.flows.dead(f, true); d != nil {
			nd.answerReset(p, d)
			return true
		}
		// A segment of a flow the node no longer knows, however long ago
		// it went idle, is answered with an RST: the client learns the
		// connection is no longer valid instead of waiting (ELB User Guide,
		// "Connection idle timeout"). The lab answers a segment of a flow
		// it never knew the same way (an assumption: AWS documents only the
		// idle case).
		nd.answerUnknown(p)
		return true
	}
	t, ok := l.TargetGroup.pick(f, nd.zone, l.TargetGroup.CrossZone(lb))
	if !ok {
		lb.net.DropWithDetail(nd.eni.ID(), vnet.DropNoTarget, p, fmt.Sprintf("target group %s has no target to send a new flow to", l.TargetGroup.Name()))
		return true
	}
	// With client IP preservation the target sees the client; without it,
	// the node's private address and a port the node allocates.
	source := f.Src
	if !l.TargetGroup.preserve.Load() {
		port, ok := nd.snat.allocate(t.addr)
		if !ok {
			lb.portErrors.Add(1)
			lb.net.DropWithDetail(nd.eni.ID(), vnet.DropNoTarget, p, fmt.Sprintf("no source port left toward %s (PortAllocationErrorCount)", t.addr))
			return true
		}
		source = netip.AddrPortFrom(nd.PrivateAddr(), port)
	}
	// A target group that speaks Proxy Protocol v2 gets the header in the
	// stream (proxyv2.go); the attribute holds for flows opened after it
	// changes.
	var pp *ppv2Stream
	if l.TargetGroup.proxyV2.Load() {
		pp = newPPv2Stream(f.Src, f.Dst)
	}
	fl := lb.flows.insert(&flow{
		Flow: Flow{
			Proto:    f.Proto,
			Client:   f.Src,
			Frontend: f.Dst,
			Backend:  t.addr,
			Source:   source,
			Node:     nd.host.Name(),
			TargetID: t.ID,
		},
		node:     nd,
		target:   t,
		group:    l.TargetGroup,
		listener: l,
		pp:       pp,
	})
	nd.forward(fl, p, true)
	return true
}

func flowOf(src, dst netip.AddrPort) packet.Flow {
	return packet.Flow{Proto: packet.TCP, Src: src, Dst: dst}
}

// ownPort reports whether f is a late packet of one of the node's own
// connections (a health check already closed): TCP from inside the VPC to
// the node's ephemeral range. Its stack answers it, as a host's would.
func (nd *Node) ownPort(f packet.Flow) bool {
	return f.Proto == packet.TCP && f.Dst.Port() >= nodePortsLo && f.Dst.Port() <= nodePortsHi &&
		nd.eni.Subnet().VPC().CIDR().Contains(f.Src.Addr())
}

// forward rewrites p for the other leg of fl and sends it on from the node's
// ENI.
func (nd *Node) forward(fl *flow, p *packet.Packet, fromClient bool) {
	fl.touched.Store(nd.lb.epoch.Load())
	flags := p.TCPFlags()
	if fl.group.resets(fl.target, nd) {
		nd.reset(fl, p)
		return
	}
	tracing := nd.lb.net.Tracing()
	var before packet.Flow
	if tracing {
		before = p.Flow()
	}
	if fromClient {
		if fl.Source != fl.Client {
			p.SetSrc(fl.Source)
		}
		p.SetDst(fl.Backend)
	} else {
		p.SetSrc(fl.Frontend)
		if fl.Source != fl.Client {
			p.SetDst(fl.Client)
		}
	}
	var hdr *packet.Packet // a Proxy Protocol header sent as a segment of its own
	pp := ppv2Untouched
	if fl.pp != nil {
		if fromClient {
			hdr, p, pp = fl.pp.toTarget(p)
		} else {
			pp = fl.pp.toClient(p)
		}
	}
	if tracing {
		nd.lb.net.TraceRewrite(nd.eni, before, p, "load balancer "+nd.lb.Name(), rewriteWords(fl, fromClient, pp))
	}
	nd.lb.flows.noteFlags(fl, fromClient, flags)
	if hdr != nil {
		nd.eni.Forward(hdr)
	}
	nd.eni.Forward(p)
}

// rewriteWords says what the node's rewrite of a packet of fl did; pp is
// what the Proxy Protocol stream did to it.
func rewriteWords(fl *flow, fromClient bool, pp ppv2Effect) string {
	var words string
	if fromClient {
		words = fmt.Sprintf("destination %s -> %s; source kept (client IP preservation)", fl.Frontend, fl.Backend)
		if fl.Source != fl.Client {
			words = fmt.Sprintf("destination %s -> %s; source %s -> %s (no client IP preservation)", fl.Frontend, fl.Backend, fl.Client, fl.Source)
		}
	} else {
		words = fmt.Sprintf("source %s -> %s", fl.Backend, fl.Frontend)
		if fl.Source != fl.Client {
			words += fmt.Sprintf("; destination %s -> %s", fl.Source, fl.Client)
		}
	}
	if fl.pp == nil {
		return words
	}
	n := len(fl.pp.header)
	switch pp {
	case ppv2Inserted:
		words += fmt.Sprintf("; Proxy Protocol v2 header (%d bytes, source %s) inserted in front of the client's first data", n, fl.Client)
	case ppv2Split:
		words += fmt.Sprintf("; Proxy Protocol v2 header (%d bytes, source %s) sent as a segment of its own before the client's first data, which moves up %d", n, fl.Client, n)
	case ppv2Shifted:
		if fromClient {
			words += fmt.Sprintf("; sequence number +%d (the Proxy Protocol v2 header before it)", n)
		} else {
			words += fmt.Sprintf("; acknowledgement number -%d (the Proxy Protocol v2 header)", n)
		}
	case ppv2Window:
		words += fmt.Sprintf("; window less the %d-byte Proxy Protocol v2 header not yet acknowledged", n)
	default:
		if fromClient {
			words += fmt.Sprintf("; the Proxy Protocol v2 header (%d bytes) waits for the client's first data", n)
		}
	}
	return words
}

// reset answers p, a packet of a flow whose target turned unhealthy (or was
// deregistered) with connection termination on, with an RST to its sender,
// and forgets the flow. The reset is counted, as TCP_ELB_Reset_Count counts
// it, and p as a drop that says why.
func (nd *Node) reset(fl *flow, p *packet.Packet) {
	nd.lb.flows.remove(fl)
	// The other side's next packet gets its RST too.
	nd.lb.flows.bury(fl, nd.lb.epoch.Load())
	rst, err := packet.NewReset(p)
	e := vnet.DropEvent{Where: nd.eni.ID(), Reason: DropUnhealthyReset, Resource: fl.group.Name(), Rule: AttrUnhealthyTermination + " true"}
	if fl.target.terminated.Load() {
		e.Reason, e.Rule = DropDeregisteredReset, AttrDeregistrationTerminate+" true"
		e.Detail = fmt.Sprintf("reset by the load balancer: target %s was deregistered and %s is on", fl.Backend, AttrDeregistrationTerminate)
	} else {
		e.Detail = fmt.Sprintf("reset by the load balancer: target %s is unhealthy and %s is on", fl.Backend, AttrUnhealthyTermination)
	}
	nd.lb.net.DropPacket(e, p)
	if err != nil {
		return // an RST is not answered
	}
	nd.lb.resets.Add(1)
	nd.eni.Forward(rst)
}

// returnPath is the load balancer's return-path hook: a packet leaving any
// VPC interface whose tuple is the target leg of a live flow goes back
// through the node that owns the flow, whatever the sender's route table
// says.
type returnPath struct{ lb *LoadBalancer }

func (r returnPath) ReturnPath(from *vnet.ENI, p *packet.Packet) *vnet.ENI {
	k := p.Flow()
	if fl := r.lb.flows.lookupBack(k); fl != nil {
		return fl.node.eni
	}
	if d := r.lb.flows.dead(k, false); d != nil && p.TCPFlags()&wire.RST == 0 {
		return d.node.eni // answered with an RST there
	}
	return nil
}

// Name names the hook in traces.
func (r returnPath) Name() string {
	return "load balancer " + r.lb.Name() + "'s flow table (AWS Hyperplane)"
}

// Origin implements vnet.FlowOrigin: the client end of the connection
// whose target leg f is, in either direction, so that a drop at the target
// reaches whoever watches the client's connection (with client IP
// preservation off, the target's side shows only the node's address).
func (r returnPath) Origin(f packet.Flow) (netip.AddrPort, bool) {
	for _, k := range [2]wire.Flow{f, f.Reverse()} {
		if fl := r.lb.flows.lookupBack(k); fl != nil {
			return fl.Client, true
		}
		if fl := r.lb.flows.dead(k, false); fl != nil {
			return fl.Client, true
		}
	}
	return netip.AddrPort{}, false
}
