package nlb

import (
	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/packet"
)

// Drop reasons of the load balancer, counted with the fabric's.
const (
	// DropNoFlow: a TCP segment other than a SYN arrived for a connection
	// the node does not know.
	DropNoFlow vnet.DropReason = "no-flow"
)

const tcpSYN, tcpACK = 0x02, 0x10

// intercept is the node's forwarding path: every packet arriving at the
// node's ENI comes here first.
func (nd *Node) intercept(p *packet.Packet) bool {
	f := p.Flow()
	k := tupleOf(f)
	lb := nd.lb
	if fl := lb.flows.lookupFront(k); fl != nil {
		nd.forward(fl, p, true)
		return true
	}
	// Replies to the node's own connections (health checks) go to its stack.
	if nd.host.Owns(f) {
		return false
	}
	l := lb.listener(f.Dst.Port())
	if l == nil || f.Proto != packet.TCP {
		lb.net.Drop(nd.eni.ID(), vnet.DropNoListener, p)
		return true
	}
	// Only a SYN opens a flow.
	if p.TCPFlags()&(tcpSYN|tcpACK) != tcpSYN {
		lb.net.Drop(nd.eni.ID(), DropNoFlow, p)
		return true
	}
	t, backend, ok := l.TargetGroup.pick(k)
	if !ok {
		lb.net.Drop(nd.eni.ID(), vnet.DropNoTarget, p)
		return true
	}
	fl := lb.flows.insert(&Flow{
		Proto:    f.Proto,
		Client:   f.Src,
		Frontend: f.Dst,
		Backend:  backend,
		Source:   f.Src, // client IP preservation: the target sees the client
		Node:     nd.host.Name(),
		TargetID: t.ID,
		node:     nd,
	})
	nd.forward(fl, p, true)
	return true
}

// forward rewrites p for the other leg of fl and sends it on from the node's
// ENI.
func (nd *Node) forward(fl *Flow, p *packet.Packet, fromClient bool) {
	flags := p.TCPFlags()
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
	nd.lb.flows.noteFlags(fl, fromClient, flags)
	nd.eni.Forward(p)
}

// returnPath is the load balancer's return-path hook: a packet leaving any
// VPC interface whose tuple is the target leg of a live flow goes back
// through the node that owns the flow, whatever the sender's route table
// says.
type returnPath struct{ lb *LoadBalancer }

func (r returnPath) ReturnPath(from *vnet.ENI, p *packet.Packet) bool {
	fl := r.lb.flows.lookupBack(tupleOf(p.Flow()))
	if fl == nil {
		return false
	}
	fl.node.forward(fl, p, false)
	return true
}
