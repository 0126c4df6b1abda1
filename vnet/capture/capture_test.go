package capture

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seg builds an IPv4/TCP packet with a correct TCP checksum.
func seg(src, dst string, flags uint8, seq, ack uint32, win uint16, opts []byte, payload string) []byte {
	s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
	thl := 20 + len(opts)
	b := make([]byte, 20+thl+len(payload))
	b[0], b[1], b[8], b[9] = 0x45, 0, 64, protoTCP
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	binary.BigEndian.PutUint16(b[4:], 4242)
	binary.BigEndian.PutUint16(b[6:], 0x4000)
	copy(b[12:], s.Addr().AsSlice())
	copy(b[16:], d.Addr().AsSlice())
	t := b[20:]
	binary.BigEndian.PutUint16(t[0:], s.Port())
	binary.BigEndian.PutUint16(t[2:], d.Port())
	binary.BigEndian.PutUint32(t[4:], seq)
	binary.BigEndian.PutUint32(t[8:], ack)
	t[12], t[13] = byte(thl/4)<<4, flags
	binary.BigEndian.PutUint16(t[14:], win)
	copy(t[20:], opts)
	copy(t[thl:], payload)
	var sum uint32
	add := func(x []byte) {
		for i := 0; i+1 < len(x); i += 2 {
			sum += uint32(x[i])<<8 | uint32(x[i+1])
		}
		if len(x)%2 == 1 {
			sum += uint32(x[len(x)-1]) << 8
		}
	}
	add(b[12:20])
	sum += uint32(protoTCP) + uint32(len(t))
	add(t)
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(t[16:], ^uint16(sum))
	return b
}

var synOpts = []byte{2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7}

const (
	cli = "203.0.113.10:65367"
	srv = "10.0.128.108:22"
)

// conversation is a handshake, data both ways, FIN both ways and an RST.
func conversation() [][]byte {
	return [][]byte{
		seg(cli, srv, flagSYN, 486427985, 0, 64240, synOpts, ""),
		seg(srv, cli, flagSYN|flagACK, 2090933414, 486427986, 65160, synOpts, ""),
		seg(cli, srv, flagACK, 486427986, 2090933415, 502, nil, ""),
		seg(srv, cli, flagPSH|flagACK, 2090933415, 486427986, 945, nil, "SSH-2.0-OpenSSH_8.7\r\n"),
		seg(cli, srv, flagACK, 486427986, 2090933436, 502, nil, ""),
		seg(cli, srv, flagFIN|flagPSH|flagACK, 486427986, 2090933436, 502, nil, "bye"),
		seg(srv, cli, flagFIN|flagACK, 2090933436, 486427990, 945, nil, ""),
		seg(cli, srv, flagRST, 486427990, 0, 0, nil, ""),
	}
}

var ts = time.Date(2026, 11, 24, 3, 20, 59, 752727000, time.UTC)

func TestGoldenLines(t *testing.T) {
	want := []string{
		"03:20:59.752727 IP 203.0.113.10.65367 > 10.0.128.108.ssh: Flags [S], seq 486427985, win 64240, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0",
		"03:20:59.752727 IP 10.0.128.108.ssh > 203.0.113.10.65367: Flags [S.], seq 2090933414, ack 486427986, win 65160, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0",
		"03:20:59.752727 IP 203.0.113.10.65367 > 10.0.128.108.ssh: Flags [.], ack 1, win 502, length 0",
		"03:20:59.752727 IP 10.0.128.108.ssh > 203.0.113.10.65367: Flags [P.], seq 1:22, ack 1, win 945, length 21",
		"03:20:59.752727 IP 203.0.113.10.65367 > 10.0.128.108.ssh: Flags [.], ack 22, win 502, length 0",
		"03:20:59.752727 IP 203.0.113.10.65367 > 10.0.128.108.ssh: Flags [FP.], seq 1:4, ack 22, win 502, length 3",
		"03:20:59.752727 IP 10.0.128.108.ssh > 203.0.113.10.65367: Flags [F.], seq 22, ack 5, win 945, length 0",
		"03:20:59.752727 IP 203.0.113.10.65367 > 10.0.128.108.ssh: Flags [R], seq 486427990, win 0, length 0",
	}
	f := NewFormatter(Options{Numeric: 1, Legacy: true})
	for i, b := range conversation() {
		assert.Equal(t, want[i], f.Format(ts, b), "packet %d", i)
	}
	// -S: absolute numbers; -nn: numeric ports; -tttt: the date.
	f = NewFormatter(Options{Numeric: 2, AbsoluteSeq: true, Time: "tttt"})
	c := conversation()
	f.Format(ts, c[0])
	f.Format(ts, c[1])
	f.Format(ts, c[2])
	assert.Equal(t, "2026-11-24 03:20:59.752727 IP 10.0.128.108.22 > 203.0.113.10.65367: Flags [P.], seq 2090933415:2090933436, ack 486427986, win 945, length 21", f.Format(ts, c[3]))
}

// The seed's line: a capture that starts mid-connection prints absolute
// numbers for the first packet it sees, as tcpdump does.
func TestSeedLine(t *testing.T) {
	f := NewFormatter(Options{Numeric: 1, Legacy: true})
	b := seg("10.0.128.108:22", "203.0.113.10:65367", flagPSH|flagACK, 2090933415, 486427986, 945, nil, string(make([]byte, 116)))
	assert.Equal(t, "03:20:59.752727 IP 10.0.128.108.ssh > 203.0.113.10.65367: Flags [P.], seq 2090933415:2090933531, ack 486427986, win 945, length 116", f.Format(ts, b))
}

// tcpdump 4.99 (Amazon Linux 2023) prints port numbers with -n; 4.9
// (Amazon Linux 2, the seed's) named them.
func TestNumericPortsByVersion(t *testing.T) {
	b := seg("10.0.128.108:22", "203.0.113.10:65367", flagPSH|flagACK, 2090933415, 486427986, 945, nil, "x")
	assert.Contains(t, NewFormatter(Options{Numeric: 1}).Format(ts, b), "IP 10.0.128.108.22 > 203.0.113.10.65367:")
	assert.Contains(t, NewFormatter(Options{Numeric: 1, Legacy: true}).Format(ts, b), "IP 10.0.128.108.ssh > 203.0.113.10.65367:")
	assert.Contains(t, NewFormatter(Options{}).Format(ts, b), ".ssh > ", "without -n both name ports")
}

var lineRE = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{6} IP (\S+)\.(\w+) > (\S+)\.(\w+): Flags \[([FSRP.UEW]+|none)\](?:, seq (\d+)(?::(\d+))?)?(?:, ack (\d+))?, win (\d+)(?:, options \[[^\]]*\])?, length (\d+)$`)

// Every printed line reads back to the packet it describes (absolute
// numbers, numeric ports).
func TestLinesReadBack(t *testing.T) {
	f := NewFormatter(Options{Numeric: 2, AbsoluteSeq: true})
	for i, b := range conversation() {
		p, ok := decode(b)
		require.True(t, ok)
		line := f.Format(ts, b)
		m := lineRE.FindStringSubmatch(line)
		require.NotNil(t, m, "line %d: %s", i, line)
		assert.Equal(t, p.src.String(), m[1])
		assert.Equal(t, strconv.Itoa(int(p.sport)), m[2])
		assert.Equal(t, p.dst.String(), m[3])
		assert.Equal(t, strconv.Itoa(int(p.dport)), m[4])
		assert.Equal(t, flagText(p.flags), m[5])
		if m[6] != "" {
			assert.Equal(t, fmt.Sprint(p.seq), m[6])
		}
		if m[7] != "" {
			assert.Equal(t, fmt.Sprint(p.seq+uint32(len(p.payload))), m[7])
		}
		if p.flags&flagACK != 0 {
			assert.Equal(t, fmt.Sprint(p.ack), m[8])
		}
		assert.Equal(t, fmt.Sprint(p.win), m[9])
		assert.Equal(t, fmt.Sprint(len(p.payload)), m[10])
	}
}

func TestDumpsAndVerbose(t *testing.T) {
	b := conversation()[3]
	out := NewFormatter(Options{Numeric: 1, Legacy: true, ASCII: true}).Format(ts, b)
	assert.Contains(t, out, "length 21\nE..=")
	assert.Contains(t, out, "SSH-2.0-OpenSSH_8.7\n", "-A keeps the payload's text and drops the CR")
	out = NewFormatter(Options{Numeric: 1, Legacy: true, Hex: true}).Format(ts, b)
	assert.Contains(t, out, "\n\t0x0000:  4500 003d 1092 4000 4006")
	assert.Contains(t, out, "\n\t0x0020:  5018 03b1 1ae0 0000 5353 482d 322e 302d  P.......SSH-2.0-")
	assert.Contains(t, out, "\n\t0x0030:  4f70 656e 5353 485f 382e 370d 0a         OpenSSH_8.7..")
	out = NewFormatter(Options{Numeric: 1, Legacy: true, Verbose: 1}).Format(ts, b)
	assert.Contains(t, out, "IP (tos 0x0, ttl 64, id 4242, offset 0, flags [DF], proto TCP (6), length 61)\n    10.0.128.108.ssh > ")
	assert.Contains(t, out, "cksum 0x", "checksum shown")
	assert.Contains(t, out, "(correct)")
	names := func(a netip.Addr) (string, bool) {
		return map[string]string{"10.0.128.108": "ip-10-0-128-108"}[a.String()], a.String() == "10.0.128.108"
	}
	out = NewFormatter(Options{Names: names}).Format(ts, b)
	assert.Contains(t, out, "IP ip-10-0-128-108.ssh > 203.0.113.10.65367:", "names come from the lab only")
}

func TestArgs(t *testing.T) {
	c, err := ParseArgs([]string{"-nnvA", "-c5", "-i", "eth0", "port", "22", "and", "host", "10.0.0.1"})
	require.NoError(t, err)
	assert.Equal(t, 2, c.Numeric)
	assert.Equal(t, 1, c.Verbose)
	assert.True(t, c.ASCII)
	assert.Equal(t, 5, c.Count)
	assert.Equal(t, "eth0", c.Interface)
	assert.Equal(t, "port 22 and host 10.0.0.1", c.Expr)
	c, err = ParseArgs([]string{"-tttt", "-c", "3", "-S"})
	require.NoError(t, err)
	assert.Equal(t, "tttt", c.Time)
	assert.True(t, c.AbsoluteSeq)
	_, err = ParseArgs([]string{"-c"})
	assert.ErrorContains(t, err, "requires an argument -- 'c'")
	_, err = ParseArgs([]string{"-Z"})
	assert.ErrorContains(t, err, "invalid option -- 'Z'")
}
