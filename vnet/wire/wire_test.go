package wire

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIPv4View(t *testing.T) {
	b := make([]byte, 44)
	b[0], b[2], b[3], b[6], b[8], b[9] = 0x45, 0, 40, 0x40, 64, TCP
	copy(b[12:], []byte{203, 0, 113, 10})
	copy(b[16:], []byte{10, 0, 128, 108})
	b[20], b[21], b[22], b[23] = 0x9c, 0x40, 0, 22
	b[32], b[33] = 5<<4, byte(SYN|ACK)
	p, ok := ParseIPv4(b)
	assert.True(t, ok)
	assert.Len(t, p, 40, "cut to its total length")
	assert.Equal(t, "tcp 203.0.113.10:40000 > 10.0.128.108:22", p.Flow().String())
	assert.Equal(t, SYN|ACK, p.Flags())
	assert.True(t, p.DF())
	h, ok := p.TCP()
	assert.True(t, ok)
	assert.Equal(t, 20, h.DataOffset())
	assert.Empty(t, h.Payload())

	cut, ok := ParseIPv4(b[:30])
	assert.True(t, ok, "a capture's cut packet still has its header")
	assert.True(t, cut.Truncated())
	_, ok = cut.TCP()
	assert.False(t, ok, "but not its whole TCP header")
	b[0] = 0x44
	_, ok = ParseIPv4(b)
	assert.False(t, ok, "IHL under 5")
}

func TestFlowCanonical(t *testing.T) {
	f := Flow{TCP, netip.MustParseAddrPort("203.0.113.10:40000"), netip.MustParseAddrPort("10.0.128.108:22")}
	c, fwd := f.Canonical()
	r, rfwd := f.Reverse().Canonical()
	assert.Equal(t, c, r, "a packet and its reply share the key")
	assert.NotEqual(t, fwd, rfwd)
}

func TestEnding(t *testing.T) {
	var e Ending
	e = e.Note(ACK, true)
	assert.False(t, e.Closing(), "a live connection")
	e = e.Note(FIN|ACK, true)
	assert.True(t, e.Closing())
	e = e.Note(ACK, false)
	assert.False(t, e.IsClosed(), "one FIN is not the end")
	e = e.Note(FIN|ACK, false)
	assert.False(t, e.IsClosed(), "the second FIN awaits its ACK")
	e = e.Note(ACK, true)
	assert.True(t, e.IsClosed())
	assert.True(t, Ending(0).Note(RST, false).IsClosed())
	assert.Equal(t, Closed|FinFromA, (FinFromA|Closed).Note(FIN, false), "closed stays closed")
}
