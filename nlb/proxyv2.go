package nlb

import (
	"encoding/binary"
	"net/netip"
	"sync/atomic"

	"github.com/vlab-sim/vlab/vnet/packet"
	"github.com/vlab-sim/vlab/vnet/wire"
)

// Proxy Protocol v2 (ELB User Guide, "Proxy protocol"): with
// proxy_protocol_v2.enabled the target receives, as the first bytes of its
// TCP connection, a binary header naming the client. The load balancer
// stays a pass-through: the handshake is end to end and the target's TCP
// peer is whoever it is without the header (the client with client IP
// preservation, the node otherwise). The node inserts the header into the
// stream as it forwards, in front of the client's first segment that
// occupies sequence space (header_placement=on_first_ack_with_payload, as
// pires/go-proxyproto's README documents NLB's behaviour; AWS's docs are
// silent), and from then on shifts the client's sequence numbers up by the
// header's length and the target's acknowledgement numbers and SACK edges
// down by it.
//
// Assumption (AWS does not document it): the header's destination is the
// node's private address and the listener port.

var ppv2Signature = []byte("\r\n\r\n\x00\r\nQUIT\n")

// ppv2Header returns a PROXY command header for TCP over IPv4 from src to
// dst: 28 bytes.
func ppv2Header(src, dst netip.AddrPort) []byte {
	b := make([]byte, 16+12)
	copy(b, ppv2Signature)
	b[12] = 0x21 // version 2, PROXY
	b[13] = 0x11 // AF_INET, STREAM
	binary.BigEndian.PutUint16(b[14:], 12)
	s, d := src.Addr().As4(), dst.Addr().As4()
	copy(b[16:], s[:])
	copy(b[20:], d[:])
	binary.BigEndian.PutUint16(b[24:], src.Port())
	binary.BigEndian.PutUint16(b[26:], dst.Port())
	return b
}

// ppv2Local is the LOCAL command header health checks send: the connection
// is the load balancer's own.
func ppv2Local() []byte {
	b := make([]byte, 16)
	copy(b, ppv2Signature)
	b[12] = 0x20 // version 2, LOCAL
	return b
}

// ppv2Effect is what the stream did to one segment, for traces.
type ppv2Effect uint8

const (
	ppv2Untouched ppv2Effect = iota // before the header: nothing to shift
	ppv2Inserted                    // the header went in front of the data
	ppv2Split                       // the header went as a segment of its own
	ppv2Shifted                     // the sequence or acknowledgement number moved
	ppv2Window                      // the window shrank for the header still unacknowledged
)

// ppv2Stream is the state of one flow whose stream carries a header: where
// the client's data starts, what the target announced, whether the header
// has gone out.
//
// Sequence spaces: the client numbers its data from base = ISN+1; the
// target sees the header at [base, base+h) and the client's byte at s at
// s+h. The target's sequence numbers are not touched.
//
// Invariant: base and the target's options are written by the handshake's
// segments, which precede every segment that reads them.
type ppv2Stream struct {
	header  []byte
	base    atomic.Uint32 // the client's ISN + 1
	mss     atomic.Uint32 // the target's MSS (its SYN-ACK), 536 until then
	wscale  atomic.Int32  // the target's window shift, -1 when not in use
	clientW atomic.Bool   // the client's SYN offered window scaling
	sent    atomic.Bool   // the header went out at least once
	first   atomic.Uint32 // the length of the client's first data segment, as last sent
}

func newPPv2Stream(client, frontend netip.AddrPort) *ppv2Stream {
	s := &ppv2Stream{header: ppv2Header(client, frontend)}
	s.mss.Store(536)
	s.wscale.Store(-1)
	return s
}

// seqAfter reports a > b in sequence space (RFC 9293's modular compare).
func seqAfter(a, b uint32) bool { return int32(a-b) > 0 }

// toTarget translates p, a segment from the client already addressed to
// the target, and returns what goes on the wire in its place: p itself, p
// with the header in front of its data, or (when that would exceed the
// target's MSS) the header as a segment of its own (hdr, sent first)
// followed by p. No slice: this runs for every segment of the flow.
func (s *ppv2Stream) toTarget(p *packet.Packet) (hdr, out *packet.Packet, did ppv2Effect) {
	t, ok := p.TCP()
	if !ok {
		return nil, p, ppv2Untouched
	}
	flags, seq := t.Flags(), t.Seq()
	if flags.IsSYN() {
		// The client's SYN (or its retransmission, or the SYN of a new
		// connection reusing the tuple): the stream starts over.
		if s.base.Swap(seq+1) != seq+1 {
			s.sent.Store(false)
		}
		_, ws := p.SYNOptions()
		s.clientW.Store(ws >= 0)
		return nil, p, ppv2Untouched
	}
	base, h := s.base.Load(), uint32(len(s.header))
	occupies := len(t.Payload()) > 0 || flags&wire.FIN != 0
	switch {
	case seq == base && occupies:
		// The first data (or a retransmission of it): the header goes in
		// front, the same bytes at the same numbers each time.
		s.sent.Store(true)
		s.first.Store(uint32(len(t.Payload())))
		optLen := t.DataOffset() - 20
		if uint32(optLen+len(t.Payload()))+h <= s.mss.Load() {
			q, err := p.Resegment(base, flags, append(append(make([]byte, 0, int(h)+len(t.Payload())), s.header...), t.Payload()...))
			if err != nil {
				return nil, p, ppv2Untouched
			}
			p.Release()
			return nil, q, ppv2Inserted
		}
		lone, err := p.Resegment(base, wire.ACK|wire.PSH, s.header)
		if err != nil {
			return nil, p, ppv2Untouched
		}
		p.SetSeq(seq + h)
		return lone, p, ppv2Split
	case seqAfter(seq, base) || (seq == base && s.sent.Load()):
		p.SetSeq(seq + h)
		return nil, p, ppv2Shifted
	}
	return nil, p, ppv2Untouched
}

// toClient translates p, a segment from the target already addressed to
// the client: its acknowledgement number and SACK edges move down by the
// header's length, and while the target has not acknowledged the whole
// header its window shrinks by what remains of it, so that the client
// never sends more than the target can take.
func (s *ppv2Stream) toClient(p *packet.Packet) (did ppv2Effect) {
	t, ok := p.TCP()
	if !ok {
		return ppv2Untouched
	}
	flags := t.Flags()
	syn := flags&wire.SYN != 0
	if syn {
		mss, ws := p.SYNOptions()
		s.mss.Store(uint32(mss))
		if ws >= 0 && s.clientW.Load() {
			s.wscale.Store(int32(ws))
		} else {
			s.wscale.Store(-1)
		}
	}
	if flags&wire.ACK == 0 {
		return ppv2Untouched
	}
	ack := t.Ack()
	if a := s.clientSeq(ack); a != ack {
		p.SetAck(a)
		did = ppv2Shifted
	}
	if pending := s.unacked(ack); pending > 0 {
		units := pending
		if ws := s.wscale.Load(); ws > 0 && !syn {
			units = (pending + 1<<ws - 1) >> ws
		}
		w := uint32(t.Window())
		p.SetWindow(uint16(w - min(w, units)))
		did = ppv2Window
	}
	if len(t.Options()) > 0 {
		headerMissing := seqAfter(s.base.Load()+uint32(len(s.header)), ack)
		p.EditSACK(func(blocks []packet.SACKBlock) []packet.SACKBlock {
			return s.sackToClient(blocks, headerMissing)
		})
	}
	return did
}

// sackToClient maps SACK blocks to the client's numbers. While the target
// lacks part of the header, a block that begins inside the client's first
// segment (the header went alone, its data arrived) must not tell the
// client that segment arrived: the client would never resend it, and the
// header rides only on that segment. Such a block starts after the first
// segment, or goes.
func (s *ppv2Stream) sackToClient(blocks []packet.SACKBlock, headerMissing bool) []packet.SACKBlock {
	out := blocks[:0]
	firstEnd := s.base.Load() + s.first.Load()
	for _, b := range blocks {
		b.Left, b.Right = s.clientSeq(b.Left), s.clientSeq(b.Right)
		if headerMissing && seqAfter(firstEnd, b.Left) {
			b.Left = firstEnd
		}
		if seqAfter(b.Right, b.Left) {
			out = append(out, b)
		}
	}
	return out
}

// clientSeq maps a number in the target's view of the client's stream to
// the client's own: bytes past the header move down by its length, a
// number inside the header is the start of the client's data.
func (s *ppv2Stream) clientSeq(n uint32) uint32 {
	base, h := s.base.Load(), uint32(len(s.header))
	switch {
	case !seqAfter(base+h, n):
		return n - h
	case !seqAfter(base, n):
		return base
	}
	return n
}

// unacked is how many header bytes an acknowledgement of n leaves
// unacknowledged.
func (s *ppv2Stream) unacked(n uint32) uint32 {
	base, h := s.base.Load(), uint32(len(s.header))
	if !seqAfter(base, n) && seqAfter(base+h, n) {
		return base + h - n
	}
	return 0
}
