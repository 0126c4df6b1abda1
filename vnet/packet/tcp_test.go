package packet

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/vnet/wire"
)

func segment(t *testing.T, s TCPSegment) *Packet {
	t.Helper()
	s.Src, s.Dst = netip.MustParseAddrPort("203.0.113.10:40000"), netip.MustParseAddrPort("10.0.128.108:22")
	p, err := NewTCP(s)
	require.NoError(t, err)
	require.True(t, p.ChecksumsValid(), "NewTCP builds valid packets")
	return p
}

// Sequence, acknowledgement and window edits keep the checksum valid,
// across the 16-bit carry too.
func TestTCPNumberEditsKeepChecksums(t *testing.T) {
	p := segment(t, TCPSegment{Seq: 0xfffffff0, Ack: 7, Flags: wire.ACK, Window: 9, WScale: -1, TSVal: 1, Payload: []byte("data")})
	defer p.Release()
	p.SetSeq(0x0000001c)
	p.SetAck(0xffff0001)
	p.SetWindow(0xffff)
	require.True(t, p.ChecksumsValid())
	tcp, ok := p.TCP()
	require.True(t, ok)
	assert.Equal(t, uint32(0x1c), tcp.Seq())
	assert.Equal(t, uint32(0xffff0001), tcp.Ack())
	assert.Equal(t, uint16(0xffff), tcp.Window())
	assert.Equal(t, "data", string(tcp.Payload()))
}

func TestSYNOptions(t *testing.T) {
	p := segment(t, TCPSegment{Seq: 1, Flags: wire.SYN, MSS: 1460, WScale: 7})
	mss, ws := p.SYNOptions()
	assert.Equal(t, uint16(1460), mss)
	assert.Equal(t, 7, ws)
	p = segment(t, TCPSegment{Seq: 1, Flags: wire.SYN, WScale: -1})
	mss, ws = p.SYNOptions()
	assert.Equal(t, uint16(536), mss, "RFC 1122's default")
	assert.Equal(t, -1, ws)
}

// A block removed from a SACK option leaves no-operations in its place: the
// header keeps its length and the option its form.
func TestEditSACK(t *testing.T) {
	p := segment(t, TCPSegment{Seq: 1, Ack: 100, Flags: wire.ACK, WScale: -1, TSVal: 5, SACK: [][2]uint32{{200, 300}, {400, 500}}})
	tcp, _ := p.TCP()
	before := len(tcp.Options())
	assert.True(t, p.EditSACK(func(b []SACKBlock) []SACKBlock {
		assert.Equal(t, []SACKBlock{{Left: 200, Right: 300}, {Left: 400, Right: 500}}, b)
		return []SACKBlock{{Left: 410, Right: 500}}
	}))
	require.True(t, p.ChecksumsValid())
	tcp, _ = p.TCP()
	assert.Len(t, tcp.Options(), before)
	var got []SACKBlock
	p.EditSACK(func(b []SACKBlock) []SACKBlock { got = append(got, b...); return b })
	assert.Equal(t, []SACKBlock{{Left: 410, Right: 500}}, got)

	assert.True(t, p.EditSACK(func([]SACKBlock) []SACKBlock { return nil }))
	require.True(t, p.ChecksumsValid())
	assert.False(t, p.EditSACK(func(b []SACKBlock) []SACKBlock { return b }), "the option is gone")
	tcp, _ = p.TCP()
	opts := tcp.Options()
	assert.Equal(t, []byte{1, 1, 8, 10}, opts[:4], "the timestamps stay")
	assert.Equal(t, []byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, opts[12:], "no-operations where the SACK was")
	p.Release()

	q := segment(t, TCPSegment{Seq: 1, Ack: 100, Flags: wire.ACK, WScale: -1, TSVal: 5})
	defer q.Release()
	assert.False(t, q.EditSACK(func(b []SACKBlock) []SACKBlock { t.Fatal("no SACK to edit"); return b }))
}

// Resegment builds a new segment from p's headers: new data, number and
// flags, valid lengths and checksums; p is untouched.
func TestResegment(t *testing.T) {
	p := segment(t, TCPSegment{Seq: 10, Ack: 100, Flags: wire.ACK | wire.FIN, Window: 5, WScale: -1, TSVal: 3, Payload: []byte("abc")})
	defer p.Release()
	q, err := p.Resegment(7, wire.ACK|wire.PSH, []byte("header+abc"))
	require.NoError(t, err)
	defer q.Release()
	require.True(t, q.ChecksumsValid())
	tcp, _ := q.TCP()
	assert.Equal(t, uint32(7), tcp.Seq())
	assert.Equal(t, uint32(100), tcp.Ack())
	assert.Equal(t, wire.ACK|wire.PSH, tcp.Flags())
	assert.Equal(t, "header+abc", string(tcp.Payload()))
	assert.Equal(t, p.Len()+7, q.Len())
	old, _ := p.TCP()
	assert.Equal(t, "abc", string(old.Payload()))
	assert.Equal(t, p.Flow(), q.Flow())

	u, err := FromBytes(udpBytes(t))
	require.NoError(t, err)
	defer u.Release()
	_, err = u.Resegment(1, wire.ACK, nil)
	assert.ErrorContains(t, err, "is not TCP")
}

func udpBytes(t *testing.T) []byte {
	t.Helper()
	b := []byte{0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2, 0, 8, 0, 0}
	return b
}

func TestSetTTLKeepsTheChecksum(t *testing.T) {
	p := segment(t, TCPSegment{Seq: 1, Flags: wire.ACK, WScale: -1})
	defer p.Release()
	p.SetTTL(2)
	assert.Equal(t, uint8(2), p.TTL())
	assert.True(t, p.ChecksumsValid())
}
