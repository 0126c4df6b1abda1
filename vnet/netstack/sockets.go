package netstack

import (
	"net/netip"
	"sort"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"

	"github.com/vlab-sim/vlab/vnet/packet"
)

// Socket is one TCP socket of a stack, as `ss` lists it.
type Socket struct {
	State string // ESTAB, SYN-SENT, LISTEN… (ss's names)
	Local netip.AddrPort
	Peer  netip.AddrPort
	// RecvQ and SendQ are ss's Recv-Q and Send-Q: for a connection, the
	// bytes received and not yet read and the bytes written and not yet
	// acknowledged; for a listener, the connections waiting to be
	// accepted and the backlog (see queues).
	RecvQ, SendQ int
}

var ssStates = map[tcp.EndpointState]string{
	tcp.StateEstablished: "ESTAB",
	tcp.StateSynSent:     "SYN-SENT",
	tcp.StateSynRecv:     "SYN-RECV",
	tcp.StateFinWait1:    "FIN-WAIT-1",
	tcp.StateFinWait2:    "FIN-WAIT-2",
	tcp.StateTimeWait:    "TIME-WAIT",
	tcp.StateClose:       "UNCONN",
	tcp.StateCloseWait:   "CLOSE-WAIT",
	tcp.StateLastAck:     "LAST-ACK",
	tcp.StateListen:      "LISTEN",
	tcp.StateClosing:     "CLOSING",
}

func addrPort(a tcpip.Address, port uint16) netip.AddrPort {
	if a.Len() == 4 {
		return netip.AddrPortFrom(netip.AddrFrom4(a.As4()), port)
	}
	return netip.AddrPortFrom(netip.IPv4Unspecified(), port)
}

// TCPSockets lists the stack's TCP sockets, sorted by local then peer
// address.
func (s *Stack) TCPSockets() []Socket {
	var out []Socket
	for _, te := range s.s.RegisteredEndpoints() {
		ep, ok := te.(*tcp.Endpoint)
		if !ok {
			continue
		}
		name, ok := ssStates[ep.EndpointState()]
		if !ok {
			continue
		}
		info, ok := ep.Info().(*stack.TransportEndpointInfo)
		if !ok {
			continue
		}
		rq, sq := queues(ep, name == "LISTEN")
		// A closed endpoint's counters are left as gVisor's teardown left
		// them (-1 in TIME-WAIT); Linux shows nothing queued.
		rq, sq = max(rq, 0), max(sq, 0)
		out = append(out, Socket{
			State: name,
			Local: addrPort(info.ID.LocalAddress, info.ID.LocalPort),
			Peer:  addrPort(info.ID.RemoteAddress, info.ID.RemotePort),
			RecvQ: rq,
			SendQ: sq,
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if c := out[i].Local.Compare(out[j].Local); c != 0 {
			return c < 0
		}
		return out[i].Peer.Compare(out[j].Peer) < 0
	})
	return out
}

// Owns reports whether an inbound packet of flow f (as it arrives: Src is the
// remote end) belongs to a connected socket of this stack. An NLB node uses
// it to let replies to its own connections in while dropping everything else
// that is not for a listener.
func (s *Stack) Owns(f packet.Flow) bool {
	var proto tcpip.TransportProtocolNumber
	switch f.Proto {
	case packet.TCP:
		proto = header.TCPProtocolNumber
	case packet.UDP:
		proto = header.UDPProtocolNumber
	default:
		return false
	}
	id := stack.TransportEndpointID{
		LocalPort:     f.Dst.Port(),
		LocalAddress:  tcpip.AddrFrom4(f.Dst.Addr().As4()),
		RemotePort:    f.Src.Port(),
		RemoteAddress: tcpip.AddrFrom4(f.Src.Addr().As4()),
	}
	ep := s.s.FindTransportEndpoint(ipv4.ProtocolNumber, proto, id, 0)
	if ep == nil {
		return false
	}
	if t, ok := ep.(*tcp.Endpoint); ok {
		return t.EndpointState() != tcp.StateListen
	}
	return true
}

// Stats are a stack's counters that tell whether the path lost packets.
type Stats struct {
	SegmentsSent     uint64
	Retransmits      uint64
	ChecksumErrors   uint64
	InvalidSegments  uint64
	OutgoingIPErrors uint64
	// DroppedPackets are packets the stack itself dropped on receipt (a
	// full TCP segment queue, say).
	DroppedPackets uint64
	Timeouts       uint64 // retransmission timer expiries
	FastRetransmit uint64
	TLPRecovery    uint64 // tail loss probes that recovered a loss
	Spurious       uint64 // recoveries later found spurious
}

// Stats returns the stack's counters.
func (s *Stack) Stats() Stats {
	st := s.s.Stats()
	return Stats{
		SegmentsSent:     st.TCP.SegmentsSent.Value(),
		Retransmits:      st.TCP.Retransmits.Value(),
		ChecksumErrors:   st.TCP.ChecksumErrors.Value(),
		InvalidSegments:  st.TCP.InvalidSegmentsReceived.Value(),
		OutgoingIPErrors: st.IP.OutgoingPacketErrors.Value(),
		DroppedPackets:   st.DroppedPackets.Value(),
		Timeouts:         st.TCP.Timeouts.Value(),
		FastRetransmit:   st.TCP.FastRetransmit.Value(),
		TLPRecovery:      st.TCP.TLPRecovery.Value(),
		Spurious:         st.TCP.SpuriousRecovery.Value(),
	}
}
