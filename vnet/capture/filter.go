package capture

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vlab-sim/vlab/vnet/wire"
)

// Filter is a compiled pcap-filter expression (the subset people type:
// host, net, port, portrange with src/dst qualifiers, tcp, udp, icmp, ip,
// tcp[tcpflags] tests, and, or, not, !, parentheses). It is hand-written:
// github.com/packetcap/go-pcap/filter compiles to BPF for Ethernet frames and
// resolves host names through the machine's resolver, which the lab must
// never ask; the lab's captures are raw IPv4.
type Filter struct {
	src  string
	root node
}

// FilterError is an expression that does not parse: the 1-based column of
// the offending token and what was expected.
type FilterError struct {
	Expr   string
	Column int
	Msg    string
}

func (e *FilterError) Error() string {
	return fmt.Sprintf("filter %q: column %d: %s", e.Expr, e.Column, e.Msg)
}

// Match reports whether the IPv4 packet b passes the filter. A nil or empty
// filter passes everything.
func (f *Filter) Match(b []byte) bool {
	if f == nil || f.root == nil {
		return true
	}
	p, ok := decode(b)
	return ok && f.root.match(&p)
}

func (f *Filter) String() string { return f.src }

// ParseFilter compiles expr. resolve, if not nil, turns a host name into an
// address (the lab's own names only).
func ParseFilter(expr string, resolve func(string) (netip.Addr, bool)) (*Filter, error) {
	ps := &parser{expr: expr, resolve: resolve}
	ps.lex()
	f := &Filter{src: expr}
	if len(ps.toks) == 0 {
		return f, nil
	}
	n, err := ps.or()
	if err != nil {
		return nil, err
	}
	if ps.i < len(ps.toks) {
		return nil, ps.errf("unexpected %q", ps.toks[ps.i].s)
	}
	f.root = n
	return f, nil
}

type node interface{ match(p *pkt) bool }

type andNode struct{ a, b node }
type orNode struct{ a, b node }
type notNode struct{ a node }

func (n andNode) match(p *pkt) bool { return n.a.match(p) && n.b.match(p) }
func (n orNode) match(p *pkt) bool  { return n.a.match(p) || n.b.match(p) }
func (n notNode) match(p *pkt) bool { return !n.a.match(p) }

// dir is a src/dst qualifier.
type dir int

const (
	dirAny dir = iota // src or dst
	dirSrc
	dirDst
	dirBoth // src and dst
)

func (d dir) test(s, t bool) bool {
	switch d {
	case dirSrc:
		return s
	case dirDst:
		return t
	case dirBoth:
		return s && t
	}
	return s || t
}

type protoNode struct{ proto uint8 } // 0: ip

func (n protoNode) match(p *pkt) bool { return n.proto == 0 || p.proto == n.proto }

type netNode struct {
	d      dir
	prefix netip.Prefix
}

func (n netNode) match(p *pkt) bool {
	return n.d.test(n.prefix.Contains(p.src), n.prefix.Contains(p.dst))
}

type portNode struct {
	d      dir
	proto  uint8 // 0: tcp or udp
	lo, hi uint16
}

func (n portNode) match(p *pkt) bool {
	if (p.proto != protoTCP && p.proto != protoUDP) || !p.ok || (n.proto != 0 && p.proto != n.proto) {
		return false
	}
	in := func(x uint16) bool { return x >= n.lo && x <= n.hi }
	return n.d.test(in(p.sport), in(p.dport))
}

// byteTest is proto[offset] & mask <op> value.
type byteTest struct {
	proto  uint8
	offset int
	mask   int
	op     string
	value  int
}

func (n byteTest) match(p *pkt) bool {
	if p.proto != n.proto || n.offset >= len(p.l4) {
		return false
	}
	v := int(p.l4[n.offset]) & n.mask
	switch n.op {
	case "=", "==":
		return v == n.value
	case "!=":
		return v != n.value
	case ">":
		return v > n.value
	case "<":
		return v < n.value
	case ">=":
		return v >= n.value
	case "<=":
		return v <= n.value
	}
	return false
}

type token struct {
	s   string
	col int
}

type parser struct {
	expr    string
	toks    []token
	i       int
	resolve func(string) (netip.Addr, bool)
	// the last qualifiers, for pcap's "port 22 or 80" shorthand
	last func(value token) (node, error)
}

func (ps *parser) lex() {
	s := ps.expr
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case strings.ContainsRune("()[]&|", rune(c)):
			if i+1 < len(s) && (c == '&' || c == '|') && s[i+1] == c {
				ps.toks = append(ps.toks, token{s[i : i+2], i + 1})
				i += 2
				continue
			}
			ps.toks = append(ps.toks, token{s[i : i+1], i + 1})
			i++
		case c == '!' || c == '=' || c == '<' || c == '>':
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			ps.toks = append(ps.toks, token{s[i:j], i + 1})
			i = j
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t()[]&|!=<>", rune(s[j])) {
				j++
			}
			ps.toks = append(ps.toks, token{s[i:j], i + 1})
			i = j
		}
	}
}

func (ps *parser) peek() string {
	if ps.i < len(ps.toks) {
		return ps.toks[ps.i].s
	}
	return ""
}

func (ps *parser) next() token {
	t := token{"", len(ps.expr) + 1}
	if ps.i < len(ps.toks) {
		t = ps.toks[ps.i]
		ps.i++
	}
	return t
}

func (ps *parser) errf(format string, a ...any) error {
	col := len(ps.expr) + 1
	if ps.i < len(ps.toks) {
		col = ps.toks[ps.i].col
	}
	return &FilterError{Expr: ps.expr, Column: col, Msg: fmt.Sprintf(format, a...)}
}

func (ps *parser) or() (node, error) {
	a, err := ps.and()
	if err != nil {
		return nil, err
	}
	for ps.peek() == "or" || ps.peek() == "||" {
		ps.next()
		b, err := ps.and()
		if err != nil {
			return nil, err
		}
		a = orNode{a, b}
	}
	return a, nil
}

func (ps *parser) and() (node, error) {
	a, err := ps.not()
	if err != nil {
		return nil, err
	}
	for ps.peek() == "and" || ps.peek() == "&&" {
		ps.next()
		b, err := ps.not()
		if err != nil {
			return nil, err
		}
		a = andNode{a, b}
	}
	return a, nil
}

func (ps *parser) not() (node, error) {
	if t := ps.peek(); t == "not" || t == "!" {
		ps.next()
		a, err := ps.not()
		if err != nil {
			return nil, err
		}
		return notNode{a}, nil
	}
	return ps.primary()
}

var protoNames = map[string]uint8{"ip": 0, "tcp": protoTCP, "udp": protoUDP, "icmp": protoICMP}

func (ps *parser) primary() (node, error) {
	t := ps.peek()
	switch {
	case t == "":
		return nil, ps.errf("expected an expression")
	case t == "(":
		ps.next()
		n, err := ps.or()
		if err != nil {
			return nil, err
		}
		if ps.peek() != ")" {
			return nil, ps.errf("expected ')'")
		}
		ps.next()
		return n, nil
	}
	// [proto] [dir] [type] value, or proto alone, or proto[...] test
	var proto uint8
	hasProto := false
	if p, ok := protoNames[t]; ok {
		ps.next()
		proto, hasProto = p, true
		if ps.peek() == "[" {
			return ps.byteTest(proto, t)
		}
	}
	d, hasDir := dirAny, false
	switch ps.peek() {
	case "src", "dst":
		hasDir = true
		d = map[string]dir{"src": dirSrc, "dst": dirDst}[ps.next().s]
		if w := ps.peek(); (w == "or" || w == "and") && ps.i+1 < len(ps.toks) && (ps.toks[ps.i+1].s == "src" || ps.toks[ps.i+1].s == "dst") {
			ps.next()
			ps.next()
			if w == "or" {
				d = dirAny
			} else {
				d = dirBoth
			}
		}
	}
	kind := ps.peek()
	switch kind {
	case "host", "net", "port", "portrange":
		if (kind == "host" || kind == "net") && hasProto && proto != 0 {
			return nil, ps.errf("%s does not take a %s qualifier", kind, t)
		}
		ps.next()
	default:
		if hasProto && !hasDir {
			return protoNode{proto}, nil
		}
		if !hasDir && ps.last != nil && kind != "" && kind != ")" {
			// "port 22 or 80": a bare value takes the last qualifiers.
			return ps.last(ps.next())
		}
		if hasDir {
			kind = "host"
		} else {
			return nil, ps.errf("unknown keyword %q: expected host, net, port, portrange, src, dst, tcp, udp, icmp, not, or a parenthesis", t)
		}
	}
	build := func(v token) (node, error) { return ps.value(kind, d, proto, v) }
	ps.last = build
	v := ps.next()
	if v.s == "" || v.s == ")" || v.s == "and" || v.s == "or" {
		ps.i--
		return nil, ps.errf("expected a value after %q", kind)
	}
	n, err := build(v)
	if err != nil {
		return nil, err
	}
	if hasProto && kind != "port" && kind != "portrange" && proto != 0 {
		n = andNode{protoNode{proto}, n}
	}
	return n, nil
}

func (ps *parser) value(kind string, d dir, proto uint8, v token) (node, error) {
	bad := func(format string, a ...any) error {
		return &FilterError{Expr: ps.expr, Column: v.col, Msg: fmt.Sprintf(format, a...)}
	}
	switch kind {
	case "host":
		a, err := netip.ParseAddr(v.s)
		if err != nil {
			if ps.resolve != nil {
				if r, ok := ps.resolve(v.s); ok {
					return netNode{d, netip.PrefixFrom(r, 32)}, nil
				}
			}
			return nil, bad("%q is not an IPv4 address or a host of the lab", v.s)
		}
		if !a.Is4() {
			return nil, bad("%q: only IPv4 is in scope", v.s)
		}
		return netNode{d, netip.PrefixFrom(a, 32)}, nil
	case "net":
		pf, err := netip.ParsePrefix(v.s)
		if err != nil {
			a, err2 := netip.ParseAddr(v.s)
			if err2 != nil {
				return nil, bad("%q is not a network (10.0.0.0/16)", v.s)
			}
			pf = netip.PrefixFrom(a, 32)
		}
		if pf.Masked() != pf {
			return nil, bad("%q has host bits set", v.s)
		}
		return netNode{d, pf}, nil
	case "port":
		p, err := parsePort(v.s)
		if err != nil {
			return nil, bad("%v", err)
		}
		return portNode{d, proto, p, p}, nil
	default: // portrange
		a, b, ok := strings.Cut(v.s, "-")
		lo, err1 := parsePort(a)
		hi, err2 := parsePort(b)
		if !ok || err1 != nil || err2 != nil || lo > hi {
			return nil, bad("%q is not a port range (1024-65535)", v.s)
		}
		return portNode{d, proto, lo, hi}, nil
	}
}

func parsePort(s string) (uint16, error) {
	if p, ok := portByName[s]; ok {
		return p, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port (0-65535 or a service name such as ssh)", s)
	}
	return uint16(n), nil
}

var tcpFlagNames = map[string]int{"tcp-fin": int(wire.FIN), "tcp-syn": int(wire.SYN), "tcp-rst": int(wire.RST), "tcp-push": int(wire.PSH), "tcp-ack": int(wire.ACK), "tcp-urg": int(wire.URG), "tcp-ece": int(wire.ECE), "tcp-cwr": int(wire.CWR)}

// byteTest parses proto[offset] [& mask] op value, with tcpflags and the
// tcp-syn… names.
func (ps *parser) byteTest(proto uint8, name string) (node, error) {
	ps.next() // [
	off := ps.next()
	n := byteTest{proto: proto, mask: 0xff}
	switch {
	case off.s == "tcpflags" && proto == protoTCP:
		n.offset = 13
	default:
		v, err := strconv.Atoi(off.s)
		if err != nil || v < 0 {
			ps.i--
			return nil, ps.errf("expected a byte offset or tcpflags inside %s[ ]", name)
		}
		n.offset = v
	}
	if ps.peek() != "]" {
		return nil, ps.errf("expected ']'")
	}
	ps.next()
	if ps.peek() == "&" {
		ps.next()
		m, err := ps.flagValue()
		if err != nil {
			return nil, err
		}
		n.mask = m
	}
	switch op := ps.peek(); op {
	case "=", "==", "!=", ">", "<", ">=", "<=":
		ps.next()
		n.op = op
	default:
		return nil, ps.errf("expected a comparison (=, !=, >, <) after %s[…]", name)
	}
	v, err := ps.flagValue()
	if err != nil {
		return nil, err
	}
	n.value = v
	return n, nil
}

// flagValue reads a number, a tcp-… flag name, or a parenthesized | of them.
func (ps *parser) flagValue() (int, error) {
	if ps.peek() == "(" {
		ps.next()
		v := 0
		for {
			x, err := ps.flagValue()
			if err != nil {
				return 0, err
			}
			v |= x
			if ps.peek() == "|" {
				ps.next()
				continue
			}
			break
		}
		if ps.peek() != ")" {
			return 0, ps.errf("expected ')'")
		}
		ps.next()
		return v, nil
	}
	t := ps.peek()
	if v, ok := tcpFlagNames[t]; ok {
		ps.next()
		return v, nil
	}
	v, err := strconv.ParseInt(t, 0, 32)
	if err != nil {
		return 0, ps.errf("expected a number or a flag name (tcp-syn, tcp-rst…), got %q", t)
	}
	ps.next()
	return int(v), nil
}
