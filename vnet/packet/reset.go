package packet

import (
	"fmt"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// NewReset builds the TCP RST that answers p, as RFC 9293 (section 3.10.7.1)
// has a closed endpoint answer a segment: from p's destination to its source;
// if p carries an ACK the reset takes its number as sequence, otherwise it
// acknowledges everything p occupied.
func NewReset(p *Packet) (*Packet, error) {
	if p.Protocol() != TCP {
		return nil, fmt.Errorf("reset: %s is not TCP", p.Flow())
	}
	in := header.TCP(p.ip().Payload())
	if in.Flags()&header.TCPFlagRst != 0 {
		return nil, fmt.Errorf("reset: never answer an RST")
	}
	b := make([]byte, header.IPv4MinimumSize+header.TCPMinimumSize)
	ip := header.IPv4(b)
	src, dst := p.ip().DestinationAddress(), p.ip().SourceAddress()
	ip.Encode(&header.IPv4Fields{TotalLength: uint16(len(b)), TTL: 64, Protocol: uint8(header.TCPProtocolNumber), SrcAddr: src, DstAddr: dst})
	ip.SetChecksum(^ip.CalculateChecksum())
	f := header.TCPFields{SrcPort: in.DestinationPort(), DstPort: in.SourcePort(), DataOffset: header.TCPMinimumSize}
	if in.Flags()&header.TCPFlagAck != 0 {
		f.SeqNum, f.Flags = in.AckNumber(), header.TCPFlagRst
	} else {
		seglen := uint32(len(in) - int(in.DataOffset()))
		if in.Flags()&header.TCPFlagSyn != 0 {
			seglen++
		}
		if in.Flags()&header.TCPFlagFin != 0 {
			seglen++
		}
		f.AckNum, f.Flags = in.SequenceNumber()+seglen, header.TCPFlagRst|header.TCPFlagAck
	}
	t := header.TCP(b[header.IPv4MinimumSize:])
	t.Encode(&f)
	t.SetChecksum(^t.CalculateChecksum(header.PseudoHeaderChecksum(header.TCPProtocolNumber, src, dst, uint16(len(t)))))
	return FromView(buffer.NewViewWithData(b))
}
