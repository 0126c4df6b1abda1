package packet

import (
	"encoding/binary"
	"fmt"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"

	"github.com/vlab-sim/vlab/vnet/wire"
)

// TCP returns p's TCP header and data as wire reads them; ok is false for
// other protocols.
func (p *Packet) TCP() (wire.TCPHeader, bool) { return p.ipv4().TCP() }

func (p *Packet) tcp() header.TCP { return header.TCP(p.ip().Payload()) }

// SetSeq rewrites a TCP packet's sequence number, updating the checksum
// incrementally.
func (p *Packet) SetSeq(n uint32) {
	t := p.tcp()
	old := t.SequenceNumber()
	t.SetSequenceNumber(n)
	update32(t, old, n)
}

// SetAck rewrites a TCP packet's acknowledgement number, updating the
// checksum incrementally.
func (p *Packet) SetAck(n uint32) {
	t := p.tcp()
	old := t.AckNumber()
	t.SetAckNumber(n)
	update32(t, old, n)
}

// SetWindow rewrites a TCP packet's window field (as sent: before any
// window scaling), updating the checksum incrementally.
func (p *Packet) SetWindow(w uint16) {
	t := p.tcp()
	old := t.WindowSize()
	t.SetWindowSize(w)
	t.SetChecksum(^update16(^t.Checksum(), old, w))
}

// update32 folds the change of a 2-byte-aligned 32-bit field into t's
// checksum (RFC 1624).
func update32(t header.TCP, old, new uint32) {
	x := ^t.Checksum()
	x = update16(x, uint16(old>>16), uint16(new>>16))
	x = update16(x, uint16(old), uint16(new))
	t.SetChecksum(^x)
}

func update16(xsum, old, new uint16) uint16 {
	if old == new {
		return xsum
	}
	return checksum.Combine(xsum, checksum.Combine(new, ^old))
}

// SYNOptions returns the maximum segment size and window scale a SYN or
// SYN-ACK announces: 536 when it names no MSS (RFC 1122), -1 when it
// carries no window scale.
func (p *Packet) SYNOptions() (mss uint16, wscale int) {
	t := p.tcp()
	o := header.ParseSynOptions(t.Options(), t.Flags()&header.TCPFlagAck != 0)
	return o.MSS, o.WS
}

// SACKBlock is one block of a SACK option: the left edge and the right
// edge (the number after the block's last byte).
type SACKBlock struct{ Left, Right uint32 }

// EditSACK passes the blocks of p's SACK option to f and writes back the
// blocks f returns, which must be no more than it was given: an option
// left with fewer blocks is shortened and the room freed filled with
// no-operation options, so the header keeps its length. The TCP checksum is
// recomputed. EditSACK reports whether p carried a SACK option.
func (p *Packet) EditSACK(f func([]SACKBlock) []SACKBlock) bool {
	t := p.tcp()
	opts := t.Options()
	for i := 0; i < len(opts); {
		switch opts[i] {
		case header.TCPOptionEOL:
			return false
		case header.TCPOptionNOP:
			i++
			continue
		}
		if i+1 >= len(opts) || opts[i+1] < 2 || i+int(opts[i+1]) > len(opts) {
			return false // malformed options: leave them as they are
		}
		n := int(opts[i+1])
		if opts[i] != header.TCPOptionSACK {
			i += n
			continue
		}
		o := opts[i : i+n]
		var in [header.TCPMaxSACKBlocks]SACKBlock
		blocks := in[:0]
		for e := 2; e+8 <= n && len(blocks) < len(in); e += 8 {
			blocks = append(blocks, SACKBlock{binary.BigEndian.Uint32(o[e:]), binary.BigEndian.Uint32(o[e+4:])})
		}
		out := f(blocks)
		if len(out) > len(blocks) {
			out = out[:len(blocks)]
		}
		for j := range o {
			o[j] = header.TCPOptionNOP
		}
		if len(out) > 0 {
			o[0], o[1] = header.TCPOptionSACK, byte(2+8*len(out))
			for j, b := range out {
				binary.BigEndian.PutUint32(o[2+8*j:], b.Left)
				binary.BigEndian.PutUint32(o[6+8*j:], b.Right)
			}
		}
		p.setTCPChecksum()
		return true
	}
	return false
}

// setTCPChecksum computes a TCP packet's checksum from scratch.
func (p *Packet) setTCPChecksum() {
	ip, t := p.ip(), p.tcp()
	t.SetChecksum(0)
	xsum := header.PseudoHeaderChecksum(header.TCPProtocolNumber, ip.SourceAddress(), ip.DestinationAddress(), uint16(len(t)))
	t.SetChecksum(^checksum.Checksum(t, xsum))
}

// Resegment returns a new TCP packet with p's IPv4 and TCP headers, options
// included, carrying data with sequence number seq and flags: how a
// middlebox that inserts bytes into a stream rebuilds a segment. p is left
// as it is.
func (p *Packet) Resegment(seq uint32, flags wire.TCPFlags, data []byte) (*Packet, error) {
	if p.Protocol() != TCP {
		return nil, fmt.Errorf("resegment: %s is not TCP", p.Flow())
	}
	ip, t := p.ip(), p.tcp()
	hl, tl := int(ip.HeaderLength()), int(t.DataOffset())
	total := hl + tl + len(data)
	if total > 0xffff {
		return nil, fmt.Errorf("resegment: %d bytes do not fit an IPv4 packet", total)
	}
	b := make([]byte, total)
	copy(b, p.b[:hl+tl])
	copy(b[hl+tl:], data)
	nip := header.IPv4(b)
	nip.SetTotalLength(uint16(total))
	nip.SetChecksum(0)
	nip.SetChecksum(^nip.CalculateChecksum())
	nt := header.TCP(b[hl:])
	nt.SetSequenceNumber(seq)
	nt.SetFlags(uint8(flags))
	q, err := FromView(buffer.NewViewWithData(b))
	if err != nil {
		return nil, err
	}
	q.setTCPChecksum()
	q.noWait = p.noWait
	return q, nil
}
