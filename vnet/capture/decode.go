package capture

import (
	"net/netip"

	"github.com/vlab-sim/vlab/vnet/wire"
)

// The vocabulary is wire's.
const (
	protoICMP = wire.ICMP
	protoTCP  = wire.TCP
	protoUDP  = wire.UDP

	flagFIN = uint8(wire.FIN)
	flagSYN = uint8(wire.SYN)
	flagRST = uint8(wire.RST)
	flagPSH = uint8(wire.PSH)
	flagACK = uint8(wire.ACK)
	flagURG = uint8(wire.URG)
	flagECE = uint8(wire.ECE)
	flagCWR = uint8(wire.CWR)
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
	ip, ok := wire.ParseIPv4(b)
	if !ok {
		return p, false
	}
	p.raw = ip
	p.tos, p.ttl, p.proto = ip.TOS(), ip.TTL(), ip.Protocol()
	p.totalLen = ip.TotalLen()
	p.id = ip.ID()
	p.df, p.mf, p.fragOff = ip.DF(), ip.MF(), ip.FragOffset()
	p.src, p.dst = ip.Src(), ip.Dst()
	p.l4 = ip.Payload()
	switch p.proto {
	case protoTCP:
		t, ok := ip.TCP()
		if !ok {
			return p, true
		}
		p.sport, p.dport = t.SrcPort(), t.DstPort()
		p.seq, p.ack = t.Seq(), t.Ack()
		p.flags = uint8(t.Flags())
		p.win, p.csum, p.urg = t.Window(), t.Checksum(), t.Urgent()
		p.opts, p.payload = t.Options(), t.Payload()
		p.ok = true
	case protoUDP:
		u, ok := ip.UDP()
		if !ok {
			return p, true
		}
		p.sport, p.dport = u.SrcPort(), u.DstPort()
		p.payload = u.Payload()
		p.ok = true
	case protoICMP:
		p.ok = len(p.l4) >= 8
	}
	return p, true
}
