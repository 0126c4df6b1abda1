package packet

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"

	"github.com/vlab-sim/vlab/vnet/wire"
)

// TCPSegment describes a TCP/IPv4 segment for NewTCP: tests and tools build
// packets with it instead of a stack.
type TCPSegment struct {
	Src, Dst netip.AddrPort
	Seq, Ack uint32
	Flags    wire.TCPFlags
	Window   uint16
	MSS      uint16      // an MSS option, when not zero
	WScale   int         // a window scale option, when zero or more; -1 for none
	SACK     [][2]uint32 // SACK blocks (left, right edges)
	TSVal    uint32      // a timestamps option, when TSVal is not zero
	Payload  []byte
}

// NewTCP builds the segment s describes, with valid checksums and its
// options in the order Linux sends them.
func NewTCP(s TCPSegment) (*Packet, error) {
	var opts []byte
	if s.MSS != 0 {
		opts = binary.BigEndian.AppendUint16(append(opts, header.TCPOptionMSS, 4), s.MSS)
	}
	if s.TSVal != 0 {
		opts = append(opts, header.TCPOptionNOP, header.TCPOptionNOP, header.TCPOptionTS, 10)
		opts = binary.BigEndian.AppendUint32(opts, s.TSVal)
		opts = binary.BigEndian.AppendUint32(opts, 0)
	}
	if s.WScale >= 0 && s.Flags&wire.SYN != 0 {
		opts = append(opts, header.TCPOptionNOP, header.TCPOptionWS, 3, byte(s.WScale))
	}
	if len(s.SACK) > 0 {
		opts = append(opts, header.TCPOptionNOP, header.TCPOptionNOP, header.TCPOptionSACK, byte(2+8*len(s.SACK)))
		for _, b := range s.SACK {
			opts = binary.BigEndian.AppendUint32(opts, b[0])
			opts = binary.BigEndian.AppendUint32(opts, b[1])
		}
	}
	for len(opts)%4 != 0 {
		opts = append(opts, header.TCPOptionNOP)
	}
	tl := header.TCPMinimumSize + len(opts)
	if tl > 60 {
		return nil, fmt.Errorf("new TCP segment: %d bytes of options do not fit a TCP header", len(opts))
	}
	b := make([]byte, header.IPv4MinimumSize+tl+len(s.Payload))
	ip := header.IPv4(b)
	src, dst := tcpip.AddrFrom4(s.Src.Addr().As4()), tcpip.AddrFrom4(s.Dst.Addr().As4())
	ip.Encode(&header.IPv4Fields{TotalLength: uint16(len(b)), TTL: 64, Protocol: uint8(header.TCPProtocolNumber), SrcAddr: src, DstAddr: dst})
	ip.SetChecksum(^ip.CalculateChecksum())
	t := header.TCP(b[header.IPv4MinimumSize:])
	t.Encode(&header.TCPFields{SrcPort: s.Src.Port(), DstPort: s.Dst.Port(), SeqNum: s.Seq, AckNum: s.Ack, DataOffset: uint8(tl), Flags: header.TCPFlags(s.Flags), WindowSize: s.Window})
	copy(t[header.TCPMinimumSize:], opts)
	copy(t[tl:], s.Payload)
	p, err := FromView(buffer.NewViewWithData(b))
	if err != nil {
		return nil, err
	}
	p.setTCPChecksum()
	return p, nil
}
