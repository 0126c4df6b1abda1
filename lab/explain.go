package lab

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/packet"
	"github.com/vlab-sim/vlab/vnet/wire"
)

// Hop is one leg of a flow's way (observation O9): who sends to whom, with
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

// Explanation is a connection's way through the lab, there and back: its
// first packet (the SYN) and the first reply, as the fabric recorded them.
type Explanation struct {
	// From is the host the connection starts from; To the address it
	// opens.
	From string
	To   netip.AddrPort
	// Flow is the load balancer's flow of the connection, when one made it.
	Flow *nlb.Flow `json:",omitempty"`
	Hops []Hop
	// Steps are the fabric's own record, step by step, that Hops sum up.
	Steps []vnet.TraceStep
}

// Explain opens a TCP connection from the host named from (a host name,
// an instance's name, or ec2) to dst and returns its way, built from the
// fabric's own trace of its first packets: every interface, the security
// group rule or tracked flow that admitted it, the network ACL rules, the
// route chosen or the hook that took it before routing, the gateways' and
// the load balancer's rewrites, and where it stopped. From the lab's
// client to its endpoint, the connection lands on the selected target as
// Dial does. A connection the fabric refuses is explained up to its drop;
// err is only for a lab that cannot try.
func (l *Lab) Explain(ctx context.Context, from string, dst netip.AddrPort) (Explanation, error) {
	h, err := l.Host(from)
	if err != nil {
		return Explanation{}, fmt.Errorf("explain: %w", err)
	}
	tr := l.Net.TraceConnection(netip.AddrPortFrom(h.Addr(), 0))
	var conn net.Conn
	// Only a selected target needs Dial's landing loop; otherwise the
	// connection goes to dst itself, whichever node it is.
	if l.Client != nil && h == l.Client.Host() && l.Config.Target != "" && l.isEndpoint(dst) {
		conn, err = l.Dial(ctx)
	} else {
		conn, err = h.DialOrDrop(ctx, dst)
	}
	if conn != nil {
		conn.Close()
	}
	tr.Stop()
	e := Explanation{From: h.Name(), To: dst}
	e.Steps = connectionSteps(tr.Steps(), h.Name(), dst)
	// A refused connection (a drop, an RST) is explained up to where it
	// was refused; only one that left no trace at all is an error.
	if err != nil && len(e.Steps) == 0 {
		return Explanation{}, fmt.Errorf("explain: %s to %s: %w", from, dst, err)
	}
	e.Hops = hopsOf(e.Steps)
	for i, hop := range e.Hops {
		// A drop is placed by the resource's id: an interface names its
		// host; a subnet's ACL, the host the packet was going to.
		if eni := l.Net.ENI(hop.To); eni != nil {
			e.Hops[i].To = eni.Host().Name()
		} else if strings.HasPrefix(hop.To, "subnet-") {
			for _, h := range l.Net.Hosts() {
				for _, eni := range h.ENIs() {
					if eni.PrivateAddr() == hop.Dst.Addr() {
						e.Hops[i].To = h.Name()
					}
				}
			}
		}
	}
	if len(e.Steps) > 0 {
		c := e.Steps[0].Conn
		for _, lb := range l.LoadBalancers {
			for _, f := range lb.Flows() {
				if f.Client == c {
					f := f
					e.Flow = &f
				}
			}
		}
	}
	return e, nil
}

// connectionSteps keeps, of a trace of every connection of a host, the
// last connection the host opened to dst: its SYN's steps up to where the
// SYN stopped, then the first reply's.
func connectionSteps(all []vnet.TraceStep, host string, dst netip.AddrPort) []vnet.TraceStep {
	var conn netip.AddrPort
	for _, s := range all {
		if s.Kind == vnet.StepSend && s.Host == host && s.Flow.Dst == dst && s.Flags.IsSYN() {
			conn = s.Flow.Src
		}
	}
	if !conn.IsValid() {
		return nil
	}
	var out []vnet.TraceStep
	// The SYN, then the reply: a SYN-ACK, or the RST of a refusal.
	for _, reply := range []bool{false, true} {
		for _, s := range all {
			if s.Conn != conn {
				continue
			}
			isReply := s.Flags.Has(wire.SYN|wire.ACK) || s.Flags&wire.RST != 0
			if reply != isReply || !reply && !s.Flags.IsSYN() {
				continue
			}
			out = append(out, s)
			if s.Kind == vnet.StepDeliver || s.Kind == vnet.StepDrop {
				break
			}
		}
	}
	return out
}

// hopsOf sums steps up as hops: a hop runs from an interface (or a
// gateway) that sends the packet to the next that receives it.
func hopsOf(steps []vnet.TraceStep) []Hop {
	var hops []Hop
	var cur *Hop
	change := ""
	begin := func(from string, f packet.Flow) {
		hops = append(hops, Hop{From: from, Src: f.Src, Dst: f.Dst, Change: change})
		cur, change = &hops[len(hops)-1], ""
	}
	for _, s := range steps {
		switch s.Kind {
		case vnet.StepSend:
			begin(s.Host, s.Flow)
			if s.Flags&wire.RST != 0 {
				cur.Change = join(cur.Change, "RST: the connection is refused")
			}
		case vnet.StepSecurityGroup:
			if cur != nil {
				rule := s.Rule
				if s.Where != "" {
					rule = s.Where + " " + s.Rule
				}
				cur.Rules = append(cur.Rules, rule)
			}
		case vnet.StepNetworkACL:
			if cur != nil {
				cur.Rules = append(cur.Rules, s.Where+" "+s.Rule)
			}
		case vnet.StepRoute:
			if cur != nil {
				cur.Route = s.Where + ": " + s.Rule
			}
		case vnet.StepReturnPath:
			if cur != nil {
				cur.Route = "none: " + s.Rule + " by " + s.Where
				cur.Change = join(cur.Change, "return path: "+s.Where+" takes the reply to the node that owns the flow")
			}
		case vnet.StepGateway:
			if cur != nil {
				cur.To = s.Where
			}
			change = fmt.Sprintf("internet gateway %s: 1:1 mapping %s -> %s", s.Where, gatewayFrom(s), gatewayTo(s))
			begin(s.Where, s.After)
			cur.Route = "none: the gateway delivers to the interface that owns the address"
			if s.Flow.Src != s.After.Src {
				cur.Route = "internet: one segment, every internet address is reachable"
			}
		case vnet.StepRewrite:
			change = s.Where + " rewrite: " + s.Rule
		case vnet.StepIntercept, vnet.StepDeliver:
			if cur != nil && cur.To == "" {
				cur.To = s.Host
			}
		case vnet.StepDrop:
			if cur == nil {
				begin(s.Where, s.Flow)
			}
			if cur.To == "" {
				cur.To = s.Where
			}
			cur.Dropped = s.Drop.Detail
			if cur.Dropped == "" {
				cur.Dropped = string(s.Drop.Reason) + " at " + s.Drop.Where
			}
		}
	}
	for i := range hops {
		if hops[i].Change == "" {
			hops[i].Change = "none"
		}
	}
	return hops
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// gatewayFrom and gatewayTo are the address an internet gateway's mapping
// replaced and the one it put in.
func gatewayFrom(s vnet.TraceStep) netip.Addr {
	if s.Flow.Src != s.After.Src {
		return s.Flow.Src.Addr()
	}
	return s.Flow.Dst.Addr()
}

func gatewayTo(s vnet.TraceStep) netip.Addr {
	if s.Flow.Src != s.After.Src {
		return s.After.Src.Addr()
	}
	return s.After.Dst.Addr()
}

func (h Hop) String() string {
	s := fmt.Sprintf("%s -> %s: %s > %s", h.From, h.To, h.Src, h.Dst)
	if h.Change != "" && h.Change != "none" {
		s += "; " + h.Change
	}
	if h.Dropped != "" {
		s += "; DROPPED: " + h.Dropped
	}
	return s
}
