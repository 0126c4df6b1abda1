package packet

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"

	"github.com/vlab-sim/vlab/vnet/wire"
)

// tcpPacket builds a valid IPv4/TCP packet with payload.
func tcpPacket(t *testing.T, src, dst netip.AddrPort, flags header.TCPFlags, payload string) *Packet {
	t.Helper()
	b := make([]byte, header.IPv4MinimumSize+header.TCPMinimumSize+len(payload))
	ip := header.IPv4(b)
	s, d := tcpip.AddrFrom4(src.Addr().As4()), tcpip.AddrFrom4(dst.Addr().As4())
	ip.Encode(&header.IPv4Fields{TotalLength: uint16(len(b)), TTL: 64, Protocol: uint8(header.TCPProtocolNumber), SrcAddr: s, DstAddr: d})
	ip.SetChecksum(^ip.CalculateChecksum())
	tc := header.TCP(b[header.IPv4MinimumSize:])
	tc.Encode(&header.TCPFields{SrcPort: src.Port(), DstPort: dst.Port(), SeqNum: 1, DataOffset: header.TCPMinimumSize, Flags: flags, WindowSize: 1000})
	copy(tc[header.TCPMinimumSize:], payload)
	xsum := header.PseudoHeaderChecksum(header.TCPProtocolNumber, s, d, uint16(len(tc)))
	xsum = checksum.Checksum([]byte(payload), xsum)
	tc.SetChecksum(^tc.CalculateChecksum(xsum))
	p, err := FromBytes(b)
	require.NoError(t, err)
	require.True(t, p.ChecksumsValid(), "the hand-built packet is valid")
	return p
}

func TestRewritesKeepChecksumsValid(t *testing.T) {
	p := tcpPacket(t, netip.MustParseAddrPort("203.0.113.10:40000"), netip.MustParseAddrPort("10.0.10.25:51512"), header.TCPFlagAck|header.TCPFlagPsh, "hello")
	defer p.Release()
	p.SetDst(netip.MustParseAddrPort("10.0.128.108:22"))
	assert.True(t, p.ChecksumsValid())
	assert.Equal(t, "tcp 203.0.113.10:40000 > 10.0.128.108:22", p.Flow().String())
	p.SetSrc(netip.MustParseAddrPort("10.0.10.25:51512"))
	p.SetSrcAddr(netip.MustParseAddr("198.51.100.10"))
	assert.True(t, p.ChecksumsValid())
	assert.Equal(t, "198.51.100.10:51512", p.Flow().Src.String())
	assert.Equal(t, wire.ACK|wire.PSH, p.TCPFlags(), "wire's flags are the header's bits")
	assert.Equal(t, uint8(header.TCPFlagAck|header.TCPFlagPsh), uint8(p.TCPFlags()))
	assert.Equal(t, 45, p.Len())
}

func TestMalformedIsRefused(t *testing.T) {
	_, err := FromBytes([]byte{0x45, 0, 0})
	assert.ErrorIs(t, err, ErrMalformed)
	p := tcpPacket(t, netip.MustParseAddrPort("1.2.3.4:1"), netip.MustParseAddrPort("5.6.7.8:2"), header.TCPFlagSyn, "")
	short := append([]byte(nil), p.Bytes()[:header.IPv4MinimumSize+4]...)
	header.IPv4(short).SetTotalLength(uint16(len(short)))
	_, err = FromBytes(short)
	assert.ErrorIs(t, err, ErrMalformed)
}
