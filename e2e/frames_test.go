package e2e

import (
	"encoding/binary"
	"net/netip"
)

// Hand-built IPv4 frames for FuzzInjectAtClientENI: well-formed ones to
// every part of the lab, and the malformations a stack never writes.

// ipFrame is an IPv4 packet to build: the fields a test varies, the rest
// filled in as a stack would.
type ipFrame struct {
	src, dst netip.Addr
	proto    uint8
	ihl      int    // header length in 32-bit words; 5 when zero
	total    int    // TotalLength; the real length when zero, -1 for 0
	flagsOff uint16 // flags (DF 0x4000, MF 0x2000) and fragment offset (8-byte units)
	ttl      uint8  // 64 when zero
	version  uint8  // 4 when zero
	options  []byte // IP options, padded to ihl
	payload  []byte // the transport header and data, as built below
	cut      int    // bytes removed from the end after building (truncation)
	badSum   bool   // leave the checksums wrong
}

func (f ipFrame) bytes() []byte {
	ihl := f.ihl
	if ihl == 0 {
		ihl = 5 + (len(f.options)+3)/4
	}
	hlen := ihl * 4
	b := make([]byte, max(hlen, 20)+len(f.payload))
	ver := f.version
	if ver == 0 {
		ver = 4
	}
	b[0] = ver<<4 | byte(ihl&0x0f)
	total := len(b)
	switch {
	case f.total > 0:
		total = f.total
	case f.total < 0:
		total = 0
	}
	binary.BigEndian.PutUint16(b[2:], uint16(total))
	binary.BigEndian.PutUint16(b[4:], 0x5a5a)
	binary.BigEndian.PutUint16(b[6:], f.flagsOff)
	b[8] = f.ttl
	if b[8] == 0 {
		b[8] = 64
	}
	b[9] = f.proto
	s, d := f.src.As4(), f.dst.As4()
	copy(b[12:16], s[:])
	copy(b[16:20], d[:])
	copy(b[20:], f.options)
	copy(b[max(hlen, 20):], f.payload)
	if !f.badSum {
		fixChecksums(b)
	}
	return b[:len(b)-f.cut]
}

// edit applies f to b and sets its checksums again.
func edit(b []byte, f func([]byte)) []byte {
	f(b)
	fixChecksums(b)
	return b
}

// tcpHeader is a TCP header with flags, data offset (in words, 5 when
// zero) and data.
func tcpHeader(sport, dport uint16, flags uint8, off int, data []byte) []byte {
	if off == 0 {
		off = 5
	}
	b := make([]byte, max(20, off*4)+len(data))
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint32(b[4:], 0x01020304)
	if flags&0x10 != 0 {
		binary.BigEndian.PutUint32(b[8:], 0x0a0b0c0d)
	}
	b[12] = byte(off) << 4
	b[13] = flags
	binary.BigEndian.PutUint16(b[14:], 64240)
	copy(b[max(20, off*4):], data)
	return b
}

func udpHeader(sport, dport uint16, data []byte) []byte {
	b := make([]byte, 8+len(data))
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint16(b[4:], uint16(len(b)))
	copy(b[8:], data)
	return b
}

func icmpEcho(typ uint8, data []byte) []byte {
	b := make([]byte, 8+len(data))
	b[0] = typ
	binary.BigEndian.PutUint16(b[4:], 0x1234) // id
	binary.BigEndian.PutUint16(b[6:], 1)      // seq
	copy(b[8:], data)
	return b
}

// fixChecksums sets the IPv4 header checksum and, for a whole unfragmented
// TCP, UDP or ICMP packet, the transport checksum: what a fuzzed frame needs
// to get past a stack's checks. It leaves alone what it cannot parse.
func fixChecksums(b []byte) {
	if len(b) < 20 {
		return
	}
	hlen := int(b[0]&0x0f) * 4
	if hlen < 20 || hlen > len(b) {
		return
	}
	b[10], b[11] = 0, 0
	binary.BigEndian.PutUint16(b[10:], ^onesSum(0, b[:hlen]))
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if total < hlen || total > len(b) || binary.BigEndian.Uint16(b[6:8])&0x3fff != 0 {
		return
	}
	l4 := b[hlen:total]
	pseudo := func() uint32 {
		var ph [12]byte
		copy(ph[0:8], b[12:20])
		ph[9] = b[9]
		binary.BigEndian.PutUint16(ph[10:], uint16(len(l4)))
		return uint32(onesSum(0, ph[:]))
	}
	switch b[9] {
	case 6:
		if len(l4) >= 20 {
			l4[16], l4[17] = 0, 0
			binary.BigEndian.PutUint16(l4[16:], ^onesSum(pseudo(), l4))
		}
	case 17:
		if len(l4) >= 8 {
			l4[6], l4[7] = 0, 0
			s := ^onesSum(pseudo(), l4)
			if s == 0 {
				s = 0xffff
			}
			binary.BigEndian.PutUint16(l4[6:], s)
		}
	case 1:
		if len(l4) >= 4 {
			l4[2], l4[3] = 0, 0
			binary.BigEndian.PutUint16(l4[2:], ^onesSum(0, l4))
		}
	}
}

// onesSum adds b to the 16-bit ones' complement sum acc.
func onesSum(acc uint32, b []byte) uint16 {
	for len(b) >= 2 {
		acc += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint32(b[0]) << 8
	}
	for acc > 0xffff {
		acc = acc>>16 + acc&0xffff
	}
	return uint16(acc)
}

// wellFormed is the fabric's contract, written independently of package
// packet: a frame is carried (delivered or dropped for a reason other than
// malformed) when it holds a whole IPv4 header, a TotalLength that fits in
// the frame and covers the header, and, for TCP and UDP, a whole transport
// header within TotalLength (whatever the fragment fields say).
func wellFormed(b []byte) bool {
	if len(b) < 20 || b[0]>>4 != 4 {
		return false
	}
	hlen := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if hlen < 20 || hlen > total || total > len(b) {
		return false
	}
	switch b[9] {
	case 6:
		return total-hlen >= 20
	case 17:
		return total-hlen >= 8
	}
	return true
}

var (
	aClient   = netip.MustParseAddr("203.0.113.10")
	aNLB      = netip.MustParseAddr("198.51.100.10")
	aNode     = netip.MustParseAddr("10.0.10.25")
	aInstance = netip.MustParseAddr("10.0.128.108")
	aMirror   = netip.MustParseAddr("192.0.2.80")
	aZero     = netip.MustParseAddr("0.0.0.0")
	aBcast    = netip.MustParseAddr("255.255.255.255")
)

// injectSeeds are the seed corpus of FuzzInjectAtClientENI, by name (the
// names of the files under testdata/fuzz/FuzzInjectAtClientENI).
func injectSeeds() map[string][]byte {
	syn := func(sport uint16) []byte { return tcpHeader(sport, 51512, 0x02, 0, nil) }
	return map[string][]byte{
		"empty":    {},
		"short-19": ipFrame{src: aClient, dst: aNLB, proto: 6, payload: syn(40001)}.bytes()[:19],
		"version-6": ipFrame{src: aClient, dst: aNLB, proto: 6, version: 6,
			payload: syn(40002)}.bytes(),
		"ihl-4": ipFrame{src: aClient, dst: aNLB, proto: 6, ihl: 4, payload: syn(40003)}.bytes(),
		"ihl-15-past-total": ipFrame{src: aClient, dst: aNLB, proto: 6, ihl: 15,
			total: 40, payload: syn(40004)}.bytes(),
		"total-past-frame": ipFrame{src: aClient, dst: aNLB, proto: 6, total: 200, payload: syn(40005)}.bytes(),
		"total-zero":       ipFrame{src: aClient, dst: aNLB, proto: 6, total: -1, payload: syn(40006)}.bytes(),
		"total-short-of-frame": ipFrame{src: aClient, dst: aNLB, proto: 6, total: 48,
			payload: tcpHeader(40007, 51512, 0x18, 0, []byte("SSH-2.0-trailing bytes past TotalLength"))}.bytes(),
		"tcp-header-truncated": ipFrame{src: aClient, dst: aNLB, proto: 6, payload: syn(40008)[:12]}.bytes(),
		"udp-header-truncated": ipFrame{src: aClient, dst: aNLB, proto: 17, payload: udpHeader(40009, 53, nil)[:6]}.bytes(),
		"tcp-data-offset-15": edit(ipFrame{src: aClient, dst: aNLB, proto: 6,
			payload: tcpHeader(40010, 51512, 0x02, 0, nil)}.bytes(), func(b []byte) { b[32] = 0xf0 }),
		"fragment-first-mf": ipFrame{src: aClient, dst: aNLB, proto: 6, flagsOff: 0x2000,
			payload: syn(40011)}.bytes(),
		"fragment-later-offset": ipFrame{src: aClient, dst: aNLB, proto: 6, flagsOff: 185,
			payload: []byte("later fragment: no TCP header here, just data")}.bytes(),
		"fragment-short-tcp": ipFrame{src: aClient, dst: aNLB, proto: 6, flagsOff: 0x2000,
			payload: syn(40012)[:8]}.bytes(),
		"ip-options-rr": ipFrame{src: aClient, dst: aNLB, proto: 6,
			options: []byte{7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1}, payload: syn(40013)}.bytes(),
		"ip-options-garbage-len": ipFrame{src: aClient, dst: aNLB, proto: 6,
			options: []byte{0x44, 0xff, 0, 1}, payload: syn(40014)}.bytes(),
		"syn-listener":      ipFrame{src: aClient, dst: aNLB, proto: 6, payload: syn(40015)}.bytes(),
		"syn-bad-checksums": ipFrame{src: aClient, dst: aNLB, proto: 6, payload: syn(40016), badSum: true}.bytes(),
		"syn-with-data": ipFrame{src: aClient, dst: aNLB, proto: 6,
			payload: tcpHeader(40017, 51512, 0x02, 0, []byte("SSH-2.0-early\r\n"))}.bytes(),
		"syn-src-instance": ipFrame{src: aInstance, dst: aNLB, proto: 6, payload: syn(22)}.bytes(),
		"syn-src-node":     ipFrame{src: aNode, dst: aNLB, proto: 6, payload: syn(40018)}.bytes(),
		"syn-src-nlb":      ipFrame{src: aNLB, dst: aNLB, proto: 6, payload: syn(51512)}.bytes(),
		"syn-src-zero":     ipFrame{src: aZero, dst: aNLB, proto: 6, payload: syn(0)}.bytes(),
		"syn-src-broadcast": ipFrame{src: aBcast, dst: aNLB, proto: 6,
			payload: syn(40019)}.bytes(),
		"tcp-flags-none":   ipFrame{src: aClient, dst: aNLB, proto: 6, payload: tcpHeader(40020, 51512, 0x00, 0, nil)}.bytes(),
		"tcp-flags-all":    ipFrame{src: aClient, dst: aNLB, proto: 6, payload: tcpHeader(40021, 51512, 0xff, 0, nil)}.bytes(),
		"tcp-flags-xmas":   ipFrame{src: aClient, dst: aNLB, proto: 6, payload: tcpHeader(40022, 51512, 0x29, 0, nil)}.bytes(),
		"tcp-flags-synfin": ipFrame{src: aClient, dst: aNLB, proto: 6, payload: tcpHeader(40023, 51512, 0x03, 0, nil)}.bytes(),
		"tcp-flags-synrst": ipFrame{src: aClient, dst: aNLB, proto: 6, payload: tcpHeader(40024, 51512, 0x06, 0, nil)}.bytes(),
		"tcp-ack-no-flow":  ipFrame{src: aClient, dst: aNLB, proto: 6, payload: tcpHeader(40025, 51512, 0x10, 0, nil)}.bytes(),
		"tcp-rst-no-flow":  ipFrame{src: aClient, dst: aNLB, proto: 6, payload: tcpHeader(40026, 51512, 0x04, 0, nil)}.bytes(),
		"tcp-no-listener":  ipFrame{src: aClient, dst: aNLB, proto: 6, payload: tcpHeader(40027, 22, 0x02, 0, nil)}.bytes(),
		"tcp-to-instance":  ipFrame{src: aClient, dst: aInstance, proto: 6, payload: tcpHeader(40028, 22, 0x02, 0, nil)}.bytes(),
		"tcp-to-mirror":    ipFrame{src: aClient, dst: aMirror, proto: 6, payload: tcpHeader(40029, 80, 0x02, 0, nil)}.bytes(),
		"tcp-to-self":      ipFrame{src: aClient, dst: aClient, proto: 6, payload: tcpHeader(40030, 40031, 0x02, 0, nil)}.bytes(),
		"tcp-to-broadcast": ipFrame{src: aClient, dst: aBcast, proto: 6, payload: tcpHeader(40032, 51512, 0x02, 0, nil)}.bytes(),
		"udp-listener-port": ipFrame{src: aClient, dst: aNLB, proto: 17,
			payload: udpHeader(40033, 51512, []byte("hello"))}.bytes(),
		"udp-node-dns": ipFrame{src: aClient, dst: aNLB, proto: 17, payload: udpHeader(40034, 53, nil)}.bytes(),
		"udp-length-lies": func() []byte {
			u := udpHeader(40035, 51512, []byte("abc"))
			u[4], u[5] = 0xff, 0xff
			return ipFrame{src: aClient, dst: aNLB, proto: 17, payload: u}.bytes()
		}(),
		"icmp-echo-node":     ipFrame{src: aClient, dst: aNLB, proto: 1, payload: icmpEcho(8, []byte("ping"))}.bytes(),
		"icmp-echo-instance": ipFrame{src: aClient, dst: aInstance, proto: 1, payload: icmpEcho(8, nil)}.bytes(),
		"icmp-unreachable-node": ipFrame{src: aClient, dst: aNLB, proto: 1,
			payload: append(icmpEcho(3, nil), ipFrame{src: aNLB, dst: aClient, proto: 6, payload: syn(51512)}.bytes()...)}.bytes(),
		"icmp-truncated": ipFrame{src: aClient, dst: aNLB, proto: 1, payload: []byte{8}}.bytes(),
		"gre-node":       ipFrame{src: aClient, dst: aNLB, proto: 47, payload: []byte{0, 0, 8, 0}}.bytes(),
		"ttl-zero": edit(ipFrame{src: aClient, dst: aNLB, proto: 6, payload: syn(40036)}.bytes(),
			func(b []byte) { b[8] = 0 }),
	}
}
