package packet

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A NAT gateway's rewrites of an echo (address and identifier) keep every
// checksum valid, and the flow of an ICMP packet has no ports.
func TestICMPEchoRewrites(t *testing.T) {
	p, err := NewICMPEcho(ICMPEchoPacket{Src: netip.MustParseAddr("10.0.128.108"), Dst: netip.MustParseAddr("192.0.2.80"), Ident: 17, Seq: 3, Payload: []byte("0123456789abcdef")})
	require.NoError(t, err)
	defer p.Release()
	require.True(t, p.ChecksumsValid())
	typ, id, seq, ok := p.ICMPEcho()
	require.True(t, ok)
	assert.Equal(t, ICMPEchoRequest, typ)
	assert.Equal(t, uint16(17), id)
	assert.Equal(t, uint16(3), seq)
	assert.Equal(t, "icmp 10.0.128.108:0 > 192.0.2.80:0", p.Flow().String())

	p.SetSrc(netip.MustParseAddrPort("10.0.0.50:4711"))
	p.SetICMPIdent(4711)
	assert.True(t, p.ChecksumsValid(), "address and identifier rewritten")
	_, id, seq, _ = p.ICMPEcho()
	assert.Equal(t, uint16(4711), id)
	assert.Equal(t, uint16(3), seq, "the sequence number stays")
	assert.Equal(t, "10.0.0.50", p.Src().String())

	p.Bytes()[len(p.Bytes())-1] ^= 1
	assert.False(t, p.ChecksumsValid(), "a flipped bit shows")

	r, err := NewICMPEcho(ICMPEchoPacket{Src: netip.MustParseAddr("192.0.2.80"), Dst: netip.MustParseAddr("10.0.0.50"), Reply: true, Ident: 4711, Seq: 3})
	require.NoError(t, err)
	defer r.Release()
	typ, _, _, ok = r.ICMPEcho()
	assert.True(t, ok)
	assert.Equal(t, ICMPEchoReply, typ)

	tcp := tcpPacket(t, netip.MustParseAddrPort("1.2.3.4:1"), netip.MustParseAddrPort("5.6.7.8:2"), 0, "")
	defer tcp.Release()
	_, _, _, ok = tcp.ICMPEcho()
	assert.False(t, ok, "not an echo")
	tcp.SetICMPIdent(9)
	assert.True(t, tcp.ChecksumsValid(), "left alone")
}
