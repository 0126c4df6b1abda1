package nlb

import (
	"bufio"
	"bytes"
	"net/netip"
	"testing"

	proxyproto "github.com/pires/go-proxyproto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/vnet/packet"
	"github.com/vlab-sim/vlab/vnet/wire"
)

var (
	ppClient = netip.MustParseAddrPort("203.0.113.10:40000")
	ppFront  = netip.MustParseAddrPort("10.0.10.25:22")
	ppTarget = netip.MustParseAddrPort("10.0.128.108:22")
)

const ppISN, ppTargetISN = 1000, 5000_000

// fromClient is a segment the client sent, as the node has addressed it to
// the target.
func fromClient(t *testing.T, seq uint32, flags wire.TCPFlags, payload string) *packet.Packet {
	t.Helper()
	s := packet.TCPSegment{Src: ppClient, Dst: ppTarget, Seq: seq, Ack: ppTargetISN + 1, Flags: flags, Window: 500, WScale: -1, TSVal: 7, Payload: []byte(payload)}
	if flags.IsSYN() {
		s.Ack, s.MSS, s.WScale = 0, 1460, 7
	}
	p, err := packet.NewTCP(s)
	require.NoError(t, err)
	return p
}

// fromTarget is a segment the target sent, as the node has addressed it to
// the client.
func fromTarget(t *testing.T, s packet.TCPSegment) *packet.Packet {
	t.Helper()
	s.Src, s.Dst, s.Seq = ppFront, ppClient, ppTargetISN+1
	if s.Flags&wire.SYN != 0 {
		s.Seq = ppTargetISN
	} else {
		s.WScale = -1
	}
	p, err := packet.NewTCP(s)
	require.NoError(t, err)
	return p
}

// handshake runs a SYN and SYN-ACK through a new stream.
func handshake(t *testing.T) *ppv2Stream {
	s := newPPv2Stream(ppClient, ppFront)
	out, _ := segments(s, fromClient(t, ppISN, wire.SYN, ""))
	require.Len(t, out, 1)
	synack := fromTarget(t, packet.TCPSegment{Ack: ppISN + 1, Flags: wire.SYN | wire.ACK, Window: 64240, MSS: 1460, WScale: 7})
	s.toClient(synack)
	tcp, _ := synack.TCP()
	assert.Equal(t, uint32(ppISN+1), tcp.Ack(), "the SYN-ACK's acknowledgement is the client's own")
	assert.Equal(t, uint16(64240-28), tcp.Window(), "the window leaves room for the header")
	assert.True(t, synack.ChecksumsValid())
	return s
}

// segments is what toTarget puts on the wire for p, in order.
func segments(s *ppv2Stream, p *packet.Packet) ([]*packet.Packet, ppv2Effect) {
	hdr, q, did := s.toTarget(p)
	if hdr != nil {
		return []*packet.Packet{hdr, q}, did
	}
	return []*packet.Packet{q}, did
}

func seg(t *testing.T, p *packet.Packet) wire.TCPHeader {
	t.Helper()
	require.True(t, p.ChecksumsValid(), "checksums stay valid")
	tcp, ok := p.TCP()
	require.True(t, ok)
	return tcp
}

// The header goes in front of the first data, parsed by an independent
// library; a retransmission carries the same bytes at the same numbers;
// later data moves up by the header's length.
func TestPPv2StreamInsertsTheHeader(t *testing.T) {
	s := handshake(t)
	ack, _ := segments(s, fromClient(t, ppISN+1, wire.ACK, ""))
	assert.Equal(t, uint32(ppISN+1), seg(t, ack[0]).Seq(), "an ACK before any data is not moved: the header has not gone out")

	banner := "SSH-2.0-Go\r\n"
	first, did := segments(s, fromClient(t, ppISN+1, wire.ACK|wire.PSH, banner))
	require.Len(t, first, 1)
	assert.Equal(t, ppv2Inserted, did)
	tcp := seg(t, first[0])
	assert.Equal(t, uint32(ppISN+1), tcp.Seq())
	assert.Equal(t, wire.ACK|wire.PSH, tcp.Flags())
	r := bufio.NewReader(bytes.NewReader(tcp.Payload()))
	h, err := proxyproto.Read(r)
	require.NoError(t, err)
	assert.Equal(t, proxyproto.PROXY, h.Command)
	assert.Equal(t, ppClient.String(), h.SourceAddr.String())
	assert.Equal(t, ppFront.String(), h.DestinationAddr.String())
	rest := make([]byte, 64)
	n, _ := r.Read(rest)
	assert.Equal(t, banner, string(rest[:n]), "the client's bytes follow the header")

	again, did := segments(s, fromClient(t, ppISN+1, wire.ACK|wire.PSH, banner))
	require.Len(t, again, 1)
	assert.Equal(t, ppv2Inserted, did, "a retransmission carries the header again")
	assert.Equal(t, first[0].Bytes(), again[0].Bytes(), "same bytes, same numbers")

	next, did := segments(s, fromClient(t, ppISN+1+uint32(len(banner)), wire.ACK, "more"))
	assert.Equal(t, ppv2Shifted, did)
	assert.Equal(t, uint32(ppISN+1+len(banner)+28), seg(t, next[0]).Seq())

	fin, _ := segments(s, fromClient(t, ppISN+1+uint32(len(banner))+4, wire.ACK|wire.FIN, ""))
	assert.Equal(t, uint32(ppISN+1+len(banner)+4+28), seg(t, fin[0]).Seq())
}

// Acknowledgements and SACK edges move down; while the header is not
// wholly acknowledged the client sees its data's start acknowledged and a
// window smaller by what remains of the header.
func TestPPv2StreamMapsAcknowledgements(t *testing.T) {
	s := handshake(t)
	segments(s, fromClient(t, ppISN+1, wire.ACK|wire.PSH, "hello"))

	p := fromTarget(t, packet.TCPSegment{Ack: ppISN + 1 + 28 + 5, Flags: wire.ACK, Window: 100, TSVal: 9})
	s.toClient(p)
	tcp := seg(t, p)
	assert.Equal(t, uint32(ppISN+1+5), tcp.Ack())
	assert.Equal(t, uint16(100), tcp.Window(), "the header is acknowledged: the window is the target's")

	partial := fromTarget(t, packet.TCPSegment{Ack: ppISN + 1 + 10, Flags: wire.ACK, Window: 100})
	s.toClient(partial)
	tcp = seg(t, partial)
	assert.Equal(t, uint32(ppISN+1), tcp.Ack(), "part of the header acknowledged: none of the client's data")
	assert.Equal(t, uint16(99), tcp.Window(), "18 bytes of header remain: one unit of 128 (window scale 7)")
}

// SACK edges move down as acknowledgements do, with a timestamp beside
// them.
func TestPPv2StreamMapsSACK(t *testing.T) {
	s := handshake(t)
	segments(s, fromClient(t, ppISN+1, wire.ACK|wire.PSH, "hello"))
	p := fromTarget(t, packet.TCPSegment{Ack: ppISN + 1 + 28 + 5, Flags: wire.ACK, Window: 100, TSVal: 9, SACK: [][2]uint32{{ppISN + 1 + 28 + 1000, ppISN + 1 + 28 + 2000}}})
	s.toClient(p)
	assert.Equal(t, []packet.SACKBlock{{Left: ppISN + 1 + 1000, Right: ppISN + 1 + 2000}}, sackOf(t, p))
}

func sackOf(t *testing.T, p *packet.Packet) []packet.SACKBlock {
	t.Helper()
	require.True(t, p.ChecksumsValid())
	var got []packet.SACKBlock
	p.EditSACK(func(b []packet.SACKBlock) []packet.SACKBlock { got = append(got, b...); return b })
	return got
}

// A first segment that the header would push past the target's MSS is
// preceded by the header as a segment of its own.
func TestPPv2StreamSplitsAFullSegment(t *testing.T) {
	s := handshake(t)
	full := string(bytes.Repeat([]byte("x"), 1460-12)) // the MSS less the timestamps option
	out, did := segments(s, fromClient(t, ppISN+1, wire.ACK, full))
	require.Len(t, out, 2)
	assert.Equal(t, ppv2Split, did)
	hdr, data := seg(t, out[0]), seg(t, out[1])
	assert.Equal(t, uint32(ppISN+1), hdr.Seq())
	assert.Len(t, hdr.Payload(), 28)
	assert.Equal(t, wire.ACK|wire.PSH, hdr.Flags())
	assert.Equal(t, uint32(ppISN+1+28), data.Seq())
	assert.Equal(t, full, string(data.Payload()))

	// The header was lost, the data arrived and a later segment too: the
	// target acknowledges nothing and SACKs both. The client must not learn
	// its first segment arrived, or it would never resend the header.
	second := uint32(ppISN + 1 + 28 + len(full))
	p := fromTarget(t, packet.TCPSegment{Ack: ppISN + 1, Flags: wire.ACK, Window: 100, TSVal: 9, SACK: [][2]uint32{{ppISN + 1 + 28, second + 100}}})
	s.toClient(p)
	assert.Equal(t, []packet.SACKBlock{{Left: ppISN + 1 + uint32(len(full)), Right: second + 100 - 28}}, sackOf(t, p), "the block starts after the first segment")
	p = fromTarget(t, packet.TCPSegment{Ack: ppISN + 1, Flags: wire.ACK, Window: 100, TSVal: 9, SACK: [][2]uint32{{ppISN + 1 + 28, second}}})
	s.toClient(p)
	assert.Empty(t, sackOf(t, p), "a block of the first segment alone goes")
	tcp := seg(t, p)
	assert.Equal(t, uint32(ppISN+1), tcp.Ack())
	assert.Len(t, tcp.Options(), 12+12, "the header keeps its length: the option became no-ops")
	resent, did := segments(s, fromClient(t, ppISN+1, wire.ACK, full))
	assert.Equal(t, ppv2Split, did, "the client's retransmission brings the header back")
	assert.Len(t, resent, 2)
}

// A client that closes before sending anything: the header rides on its
// FIN. A new connection on the same tuple starts over.
func TestPPv2StreamFINAndReuse(t *testing.T) {
	s := handshake(t)
	out, did := segments(s, fromClient(t, ppISN+1, wire.ACK|wire.FIN, ""))
	assert.Equal(t, ppv2Inserted, did)
	tcp := seg(t, out[0])
	assert.Len(t, tcp.Payload(), 28)
	assert.Equal(t, wire.ACK|wire.FIN, tcp.Flags())

	out, _ = segments(s, fromClient(t, 9000, wire.SYN, ""))
	assert.Equal(t, uint32(9000), seg(t, out[0]).Seq())
	out, _ = segments(s, fromClient(t, 9001, wire.ACK, ""))
	assert.Equal(t, uint32(9001), seg(t, out[0]).Seq(), "the new connection's header has not gone out")
}
