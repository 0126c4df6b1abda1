package capture

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func udp(src, dst string) []byte {
	b := seg(src, dst, 0, 0, 0, 0, nil, "")[:28]
	b[9] = protoUDP
	b[2], b[3] = 0, 28
	return b
}

func TestFilterTable(t *testing.T) {
	syn := seg("203.0.113.10:40000", "10.0.128.108:22", flagSYN, 1, 0, 100, nil, "")
	ack := seg("10.0.128.108:22", "203.0.113.10:40000", flagACK, 1, 1, 100, nil, "")
	rst := seg("203.0.113.10:40000", "10.0.128.108:22", flagRST|flagACK, 1, 1, 0, nil, "")
	hc := seg("10.0.10.25:33000", "10.0.128.108:22", flagSYN, 1, 0, 100, nil, "")
	dns := udp("10.0.128.108:5353", "10.0.0.2:53")
	resolve := func(n string) (netip.Addr, bool) {
		if n == "client" {
			return netip.MustParseAddr("203.0.113.10"), true
		}
		return netip.Addr{}, false
	}
	cases := []struct {
		expr string
		pkts [][]byte
		want []bool // per packet: syn, ack, rst, hc, dns
	}{
		{"", nil, []bool{true, true, true, true, true}},
		{"port 22", nil, []bool{true, true, true, true, false}},
		{"port ssh", nil, []bool{true, true, true, true, false}},
		{"tcp port 22", nil, []bool{true, true, true, true, false}},
		{"udp", nil, []bool{false, false, false, false, true}},
		{"udp port 53 or port 22", nil, []bool{true, true, true, true, true}},
		{"host 203.0.113.10", nil, []bool{true, true, true, false, false}},
		{"host client", nil, []bool{true, true, true, false, false}},
		{"src host 203.0.113.10", nil, []bool{true, false, true, false, false}},
		{"dst 203.0.113.10", nil, []bool{false, true, false, false, false}},
		{"net 10.0.0.0/16", nil, []bool{true, true, true, true, true}},
		{"src net 10.0.0.0/20", nil, []bool{false, false, false, true, false}},
		{"not host 10.0.10.25 and tcp", nil, []bool{true, true, true, false, false}},
		{"! port 22", nil, []bool{false, false, false, false, true}},
		{"portrange 20-23", nil, []bool{true, true, true, true, false}},
		{"dst portrange 40000-40010", nil, []bool{false, true, false, false, false}},
		{"tcp[tcpflags] & tcp-syn != 0", nil, []bool{true, false, false, true, false}},
		{"tcp[tcpflags] & (tcp-syn|tcp-rst) != 0", nil, []bool{true, false, true, true, false}},
		{"tcp[13] == 2", nil, []bool{true, false, false, true, false}},
		{"(host 10.0.10.25 or src port 22) and tcp", nil, []bool{false, true, false, true, false}},
		{"port 22 && !(tcp[tcpflags] & tcp-rst != 0)", nil, []bool{true, true, false, true, false}},
		{"src or dst host 10.0.0.2", nil, []bool{false, false, false, false, true}},
		{"icmp", nil, []bool{false, false, false, false, false}},
		{"host 203.0.113.10/32", nil, nil},
	}
	pk := [][]byte{syn, ack, rst, hc, dns}
	for _, c := range cases {
		f, err := ParseFilter(c.expr, resolve)
		if c.want == nil {
			assert.Error(t, err, c.expr)
			continue
		}
		require.NoError(t, err, c.expr)
		for i, p := range pk {
			assert.Equal(t, c.want[i], f.Match(p), "%q on packet %d", c.expr, i)
		}
	}
}

func TestFilterErrorsPointAtTheToken(t *testing.T) {
	for _, c := range []struct {
		expr string
		col  int
		msg  string
	}{
		{"port x", 6, `"x" is not a port`},
		{"port 22 and", 12, "expected an expression"},
		{"hots 10.0.0.1", 1, `unknown keyword "hots"`},
		{"(port 22", 9, "expected ')'"},
		{"port 22 )", 9, `unexpected ")"`},
		{"host 300.1.1.1", 6, "not an IPv4 address"},
		{"portrange 30-20", 11, "is not a port range"},
		{"tcp[tcpflags] & tcp-foo != 0", 17, "flag name"},
		{"tcp host 10.0.0.1", 5, "does not take a tcp qualifier"},
	} {
		_, err := ParseFilter(c.expr, nil)
		var fe *FilterError
		require.ErrorAs(t, err, &fe, c.expr)
		assert.Equal(t, c.col, fe.Column, c.expr)
		assert.Contains(t, fe.Msg, c.msg, c.expr)
	}
}

func FuzzFilter(f *testing.F) {
	for _, s := range []string{"port 22", "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0", "not (src net 10.0.0.0/8 or udp)", "portrange 1-2 and host 1.2.3.4", "((", "!!", "tcp[", "port 22 or 80"} {
		f.Add(s, []byte{0x45, 0, 0, 20})
	}
	pkt := seg("203.0.113.10:40000", "10.0.128.108:22", flagSYN, 1, 0, 100, nil, "")
	f.Fuzz(func(t *testing.T, expr string, b []byte) {
		flt, err := ParseFilter(expr, nil)
		if err != nil {
			return
		}
		flt.Match(b)
		flt.Match(pkt)
		NewFormatter(Options{ASCII: true, Hex: true, Verbose: 1}).Format(ts, b)
	})
}
