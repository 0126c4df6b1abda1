package capture

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/vlab-sim/vlab/vnet/wire"
)

// Options are tcpdump's output flags.
type Options struct {
	// Numeric is 0 (name hosts from the lab and ports), 1 (-n: numeric
	// hosts, named well-known ports, as the seed's tcpdump printed them) or
	// 2 (-nn: all numeric).
	Numeric int
	// AbsoluteSeq is -S.
	AbsoluteSeq bool
	// Verbose is the number of -v.
	Verbose int
	// ASCII is -A; Hex is -X (hex and ASCII).
	ASCII, Hex bool
	// Time is "" (15:04:05.000000), "t" (none) or "tttt" (with the date).
	Time string
	// Names names addresses without -n: the lab's own host names, never the
	// host machine's resolver.
	Names func(netip.Addr) (string, bool)
	// Legacy is tcpdump 4.9 (Amazon Linux 2): -n still names well-known
	// ports (10.0.128.108.ssh) and the start announces "capture size";
	// tcpdump 4.99 (Amazon Linux 2023) prints numbers with -n and
	// "snapshot length" (tcpdump's CHANGES, 4.99.0).
	Legacy bool
}

// Formatter prints packets as tcpdump does. It keeps, like tcpdump, the
// state that relative sequence numbers need; use one per capture.
type Formatter struct {
	o    Options
	seqs map[wire.Flow]*seqBase // by canonical flow
}

// seqBase holds a connection's bases: seq for the canonical direction's
// sequence space, ack for the reverse direction's (tcpdump's tcp_seq_hash).
type seqBase struct{ seq, ack uint32 }

// NewFormatter returns a formatter with options o.
func NewFormatter(o Options) *Formatter { return &Formatter{o: o, seqs: map[wire.Flow]*seqBase{}} }

// Format returns the text tcpdump prints for packet b captured at ts: one
// line, followed by the -A or -X dump when asked for, without the final
// newline.
func (f *Formatter) Format(ts time.Time, b []byte) string {
	var w strings.Builder
	switch f.o.Time {
	case "t":
	case "tttt":
		w.WriteString(ts.UTC().Format("2006-01-02 15:04:05.000000 "))
	default:
		w.WriteString(ts.UTC().Format("15:04:05.000000 "))
	}
	p, ok := decode(b)
	if !ok {
		fmt.Fprintf(&w, "IP truncated-ip - %d bytes missing!", 20-len(b))
		return w.String()
	}
	w.WriteString("IP ")
	if f.o.Verbose > 0 {
		flags := "none"
		switch {
		case p.df && p.mf:
			flags = "DF+"
		case p.df:
			flags = "DF"
		case p.mf:
			flags = "+"
		}
		fmt.Fprintf(&w, "(tos 0x%x, ttl %d, id %d, offset %d, flags [%s], proto %s (%d), length %d)\n    ",
			p.tos, p.ttl, p.id, p.fragOff*8, flags, protoTitle(p.proto), p.proto, p.totalLen)
	}
	switch p.proto {
	case protoTCP:
		f.tcp(&w, p)
	case protoUDP:
		if !p.ok {
			fmt.Fprintf(&w, "%s > %s: [|udp]", f.host(p.src), f.host(p.dst))
			break
		}
		fmt.Fprintf(&w, "%s.%s > %s.%s: UDP, length %d", f.host(p.src), f.port(p.sport), f.host(p.dst), f.port(p.dport), len(p.payload))
	case protoICMP:
		fmt.Fprintf(&w, "%s > %s: %s", f.host(p.src), f.host(p.dst), icmpText(p))
	default:
		fmt.Fprintf(&w, "%s > %s: ip-proto-%d %d", f.host(p.src), f.host(p.dst), p.proto, len(p.l4))
	}
	if f.o.Hex {
		w.WriteString(hexDump(p.raw))
	} else if f.o.ASCII {
		w.WriteString(asciiDump(p.raw))
	}
	return w.String()
}

func protoTitle(p uint8) string {
	switch p {
	case protoTCP:
		return "TCP"
	case protoUDP:
		return "UDP"
	case protoICMP:
		return "ICMP"
	}
	return "unknown"
}

func (f *Formatter) host(a netip.Addr) string {
	if f.o.Numeric == 0 && f.o.Names != nil {
		if n, ok := f.o.Names(a); ok {
			return n
		}
	}
	return a.String()
}

func (f *Formatter) port(p uint16) string {
	return portName(p, f.o.Numeric >= 2 || f.o.Numeric == 1 && !f.o.Legacy)
}

// flagLetters are tcpdump's letters, in its order.
var flagLetters = []struct {
	bit    uint8
	letter string
}{{flagFIN, "F"}, {flagSYN, "S"}, {flagRST, "R"}, {flagPSH, "P"}, {flagACK, "."}, {flagURG, "U"}, {flagECE, "E"}, {flagCWR, "W"}}

func flagText(fl uint8) string {
	var s strings.Builder
	for _, l := range flagLetters {
		if fl&l.bit != 0 {
			s.WriteString(l.letter)
		}
	}
	if s.Len() == 0 {
		return "none"
	}
	return s.String()
}

func (f *Formatter) tcp(w *strings.Builder, p pkt) {
	fmt.Fprintf(w, "%s.%s > %s.%s: ", f.host(p.src), f.port(p.sport), f.host(p.dst), f.port(p.dport))
	if !p.ok {
		w.WriteString("[|tcp]")
		return
	}
	fmt.Fprintf(w, "Flags [%s]", flagText(p.flags))
	if f.o.Verbose > 0 {
		fmt.Fprintf(w, ", cksum 0x%04x (%s)", p.csum, tcpChecksumVerdict(p))
	}
	seq, ack := p.seq, p.ack
	var thseq uint32
	// tcpdump's relative sequence numbers (print-tcp.c): a connection's
	// bases are set by the first packet with ACK it sees (or a new SYN),
	// which prints absolute numbers; later packets print offsets.
	if !f.o.AbsoluteSeq && p.flags&flagACK != 0 {
		k, fwd := wire.Flow{Proto: protoTCP, Src: netip.AddrPortFrom(p.src, p.sport), Dst: netip.AddrPortFrom(p.dst, p.dport)}.Canonical()
		rev := !fwd
		th := f.seqs[k]
		if th == nil || p.flags&flagSYN != 0 {
			th = &seqBase{}
			if rev {
				th.ack, th.seq = p.seq, p.ack-1
			} else {
				th.seq, th.ack = p.seq, p.ack-1
			}
			f.seqs[k] = th
			thseq = 0
		} else {
			if rev {
				seq -= th.ack
				ack -= th.seq
				thseq = th.ack
			} else {
				seq -= th.seq
				ack -= th.ack
				thseq = th.seq
			}
		}
	}
	n := len(p.payload)
	if n > 0 || p.flags&(flagSYN|flagFIN|flagRST) != 0 {
		fmt.Fprintf(w, ", seq %d", seq)
		if n > 0 {
			fmt.Fprintf(w, ":%d", seq+uint32(n))
		}
	}
	if p.flags&flagACK != 0 {
		fmt.Fprintf(w, ", ack %d", ack)
	}
	fmt.Fprintf(w, ", win %d", p.win)
	if p.flags&flagURG != 0 {
		fmt.Fprintf(w, ", urg %d", p.urg)
	}
	if len(p.opts) > 0 {
		fmt.Fprintf(w, ", options [%s]", optionsText(p.opts, thseq))
	}
	fmt.Fprintf(w, ", length %d", n)
}

func optionsText(o []byte, thseq uint32) string {
	var parts []string
	for len(o) > 0 {
		kind := o[0]
		if kind == 0 {
			parts = append(parts, "eol")
			break
		}
		if kind == 1 {
			parts = append(parts, "nop")
			o = o[1:]
			continue
		}
		if len(o) < 2 || int(o[1]) < 2 || int(o[1]) > len(o) {
			parts = append(parts, "bad opt")
			break
		}
		l, v := int(o[1]), o[2:o[1]]
		switch {
		case kind == 2 && l == 4:
			parts = append(parts, fmt.Sprintf("mss %d", be16(v)))
		case kind == 3 && l == 3:
			parts = append(parts, fmt.Sprintf("wscale %d", v[0]))
		case kind == 4 && l == 2:
			parts = append(parts, "sackOK")
		case kind == 5 && (l-2)%8 == 0:
			s := fmt.Sprintf("sack %d ", (l-2)/8)
			for i := 0; i+8 <= len(v); i += 8 {
				s += fmt.Sprintf("{%d:%d}", be32(v[i:])-thseq, be32(v[i+4:])-thseq)
			}
			parts = append(parts, s)
		case kind == 8 && l == 10:
			parts = append(parts, fmt.Sprintf("TS val %d ecr %d", be32(v), be32(v[4:])))
		default:
			parts = append(parts, fmt.Sprintf("unknown-%d", kind))
		}
		o = o[l:]
	}
	return strings.Join(parts, ",")
}

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }
func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func tcpChecksumVerdict(p pkt) string {
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	s, d := p.src.As4(), p.dst.As4()
	add(s[:])
	add(d[:])
	sum += uint32(protoTCP) + uint32(len(p.l4))
	add(p.l4)
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	if sum == 0xffff {
		return "correct"
	}
	return "incorrect"
}

func icmpText(p pkt) string {
	if !p.ok {
		return "[|icmp]"
	}
	t, code := p.l4[0], p.l4[1]
	id, seq := be16(p.l4[4:]), be16(p.l4[6:])
	switch t {
	case 8:
		return fmt.Sprintf("ICMP echo request, id %d, seq %d, length %d", id, seq, len(p.l4))
	case 0:
		return fmt.Sprintf("ICMP echo reply, id %d, seq %d, length %d", id, seq, len(p.l4))
	case 3:
		return fmt.Sprintf("ICMP unreachable (code %d), length %d", code, len(p.l4))
	case 11:
		return fmt.Sprintf("ICMP time exceeded in-transit, length %d", len(p.l4))
	}
	return fmt.Sprintf("ICMP type-#%d, length %d", t, len(p.l4))
}

// asciiDump is tcpdump -A: the packet from the IP header on, printable
// bytes as they are, others as dots, newlines kept and carriage returns
// before them dropped.
func asciiDump(b []byte) string {
	var s strings.Builder
	s.WriteByte('\n')
	for i, c := range b {
		switch {
		case c == '\r' && i+1 < len(b) && b[i+1] == '\n':
		case c == '\n':
			s.WriteByte('\n')
		case c >= 0x20 && c < 0x7f:
			s.WriteByte(c)
		default:
			s.WriteByte('.')
		}
	}
	return s.String()
}

// hexDump is tcpdump -X: offset, 16 bytes in groups of two, then ASCII.
func hexDump(b []byte) string {
	var s strings.Builder
	for off := 0; off < len(b); off += 16 {
		line := b[off:min(off+16, len(b))]
		fmt.Fprintf(&s, "\n\t0x%04x:  ", off)
		hex := ""
		for i := 0; i < 16; i += 2 {
			switch {
			case i+1 < len(line):
				hex += fmt.Sprintf("%02x%02x ", line[i], line[i+1])
			case i < len(line):
				hex += fmt.Sprintf("%02x   ", line[i])
			default:
				hex += "     "
			}
		}
		s.WriteString(hex)
		s.WriteByte(' ')
		for _, c := range line {
			if c >= 0x20 && c < 0x7f {
				s.WriteByte(c)
			} else {
				s.WriteByte('.')
			}
		}
	}
	return s.String()
}
