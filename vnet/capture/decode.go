package capture

import (
	"encoding/binary"
	"net/netip"
)

// Protocol numbers.
const (
	protoICMP = 1
	protoTCP  = 6
	protoUDP  = 17
)

// TCP flag bits.
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagPSH = 0x08
	flagACK = 0x10
	flagURG = 0x20
	flagECE = 0x40
	flagCWR = 0x80
)

// pkt is a decoded IPv4 packet; only the fields tcpdump prints.
type pkt struct {
	raw      []byte
	tos, ttl uint8
	id       uint16
	df, mf   bool
	fragOff  uint16
	proto    uint8
	totalLen int
	src, dst netip.Addr
	l4       []byte // the transport header and payload
	// TCP and UDP
	sport, dport uint16
	// TCP
	seq, ack uint32
	flags    uint8
	win      uint16
	csum     uint16
	urg      uint16
	opts     []byte
	payload  []byte
	ok       bool // the transport header is whole
}

func decode(b []byte) (pkt, bool) {
	var p pkt
	if len(b) < 20 || b[0]>>4 != 4 {
		return p, false
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if ihl < 20 || total < ihl || len(b) < ihl {
		return p, false
	}
	if total > len(b) {
		total = len(b)
	}
	p.raw = b[:total]
	p.tos, p.ttl, p.proto = b[1], b[8], b[9]
	p.totalLen = int(binary.BigEndian.Uint16(b[2:4]))
	p.id = binary.BigEndian.Uint16(b[4:6])
	fo := binary.BigEndian.Uint16(b[6:8])
	p.df, p.mf, p.fragOff = fo&0x4000 != 0, fo&0x2000 != 0, fo&0x1fff
	p.src = netip.AddrFrom4([4]byte(b[12:16]))
	p.dst = netip.AddrFrom4([4]byte(b[16:20]))
	p.l4 = b[ihl:total]
	l4 := p.l4
	switch p.proto {
	case protoTCP:
		if len(l4) < 20 {
			return p, true
		}
		off := int(l4[12]>>4) * 4
		if off < 20 || off > len(l4) {
			return p, true
		}
		p.sport, p.dport = binary.BigEndian.Uint16(l4[0:2]), binary.BigEndian.Uint16(l4[2:4])
		p.seq, p.ack = binary.BigEndian.Uint32(l4[4:8]), binary.BigEndian.Uint32(l4[8:12])
		p.flags = l4[13]
		p.win = binary.BigEndian.Uint16(l4[14:16])
		p.csum = binary.BigEndian.Uint16(l4[16:18])
		p.urg = binary.BigEndian.Uint16(l4[18:20])
		p.opts, p.payload = l4[20:off], l4[off:]
		p.ok = true
	case protoUDP:
		if len(l4) < 8 {
			return p, true
		}
		p.sport, p.dport = binary.BigEndian.Uint16(l4[0:2]), binary.BigEndian.Uint16(l4[2:4])
		p.payload = l4[8:]
		p.ok = true
	case protoICMP:
		p.ok = len(l4) >= 8
	}
	return p, true
}
