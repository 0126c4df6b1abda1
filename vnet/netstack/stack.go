package netstack

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// Stack is one host's TCP/IP stack: IPv4, TCP, UDP and ICMP.
type Stack struct {
	s *stack.Stack

	mu     sync.Mutex
	nextID tcpip.NICID
	routes []Route
	closed bool
}

// Route is one entry of a host's own routing table (what `ip route` prints),
// not a VPC route table.
type Route struct {
	Dst     netip.Prefix
	Gateway netip.Addr // invalid for a directly connected subnet
	Dev     string
	Src     netip.Addr
}

// Interface is a NIC of a stack.
type Interface struct {
	Name   string
	Addr   netip.Prefix
	Link   *Link
	nicID  tcpip.NICID
	parent *Stack
}

// New returns a stack with Linux-like TCP defaults (SACK on, receive buffer
// moderation on) but without RACK's tail loss probes: gVisor schedules a
// probe at twice the smoothed RTT with no floor (Linux waits at least 10 ms),
// and in a lossless in-memory fabric whose RTT is microseconds any
// scheduling pause fired spurious retransmissions.
func New() *Stack {
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4},
	})
	sack := tcpip.TCPSACKEnabled(true)
	s.SetTransportProtocolOption(tcp.ProtocolNumber, &sack)
	mod := tcpip.TCPModerateReceiveBufferOption(true)
	s.SetTransportProtocolOption(tcp.ProtocolNumber, &mod)
	rec := tcpip.TCPRecovery(0)
	s.SetTransportProtocolOption(tcp.ProtocolNumber, &rec)
	return &Stack{s: s, nextID: 1}
}

// AddInterface adds a NIC named name (eth0, eth1…) with address addr whose
// packets go to sink, and the routes an OS installs for it: the connected
// subnet, and a default route via gateway when gateway is valid and no
// default route exists yet.
func (s *Stack) AddInterface(name string, addr netip.Prefix, gateway netip.Addr, sink Sink) (*Interface, error) {
	if !addr.Addr().Is4() {
		return nil, fmt.Errorf("interface %s: address %s is not IPv4 (IPv6 is not yet in scope)", name, addr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextID
	s.nextID++
	l := newLink(sink)
	if err := s.s.CreateNICWithOptions(id, l, stack.NICOptions{Name: name}); err != nil {
		return nil, fmt.Errorf("interface %s: %s", name, err)
	}
	pa := tcpip.ProtocolAddress{
		Protocol:          ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom4(addr.Addr().As4()), PrefixLen: addr.Bits()},
	}
	if err := s.s.AddProtocolAddress(id, pa, stack.AddressProperties{}); err != nil {
		return nil, fmt.Errorf("interface %s: address %s: %s", name, addr, err)
	}
	s.routes = append(s.routes, Route{Dst: addr.Masked(), Dev: name, Src: addr.Addr()})
	if gateway.IsValid() && !s.hasDefaultLocked() {
		s.routes = append(s.routes, Route{Dst: netip.PrefixFrom(netip.IPv4Unspecified(), 0), Gateway: gateway, Dev: name})
	}
	s.installRoutesLocked()
	return &Interface{Name: name, Addr: addr, Link: l, nicID: id, parent: s}, nil
}

func (s *Stack) hasDefaultLocked() bool {
	for _, r := range s.routes {
		if r.Dst.Bits() == 0 {
			return true
		}
	}
	return false
}

func (s *Stack) installRoutesLocked() {
	nics := map[string]tcpip.NICID{}
	for id, info := range s.s.NICInfo() {
		nics[info.Name] = id
	}
	var table []tcpip.Route
	// gVisor picks the first matching route, so the most specific come first.
	for bits := 32; bits >= 0; bits-- {
		for _, r := range s.routes {
			if r.Dst.Bits() != bits {
				continue
			}
			sn, err := tcpip.NewSubnet(tcpip.AddrFrom4(r.Dst.Addr().As4()), tcpip.MaskFromBytes(net.CIDRMask(bits, 32)))
			if err != nil {
				continue
			}
			tr := tcpip.Route{Destination: sn, NIC: nics[r.Dev]}
			if r.Gateway.IsValid() {
				tr.Gateway = tcpip.AddrFrom4(r.Gateway.As4())
			}
			table = append(table, tr)
		}
	}
	s.s.SetRouteTable(table)
}

// Routes returns the host's routing table, default route first, as `ip
// route` lists it.
func (s *Stack) Routes() []Route {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Route, 0, len(s.routes))
	for _, r := range s.routes {
		if r.Dst.Bits() == 0 {
			out = append([]Route{r}, out...)
		} else {
			out = append(out, r)
		}
	}
	return out
}

func fullAddr(a netip.AddrPort) tcpip.FullAddress {
	fa := tcpip.FullAddress{Port: a.Port()}
	if a.Addr().IsValid() && !a.Addr().IsUnspecified() {
		fa.Addr = tcpip.AddrFrom4(a.Addr().As4())
	}
	return fa
}

// DialTCP opens a TCP connection to dst from this stack.
func (s *Stack) DialTCP(ctx context.Context, dst netip.AddrPort) (net.Conn, error) {
	if !dst.Addr().Is4() {
		return nil, fmt.Errorf("dial %s: only IPv4 is in scope", dst)
	}
	c, err := gonet.DialContextTCP(ctx, s.s, fullAddr(dst), ipv4.ProtocolNumber)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ListenTCP listens on addr (an unspecified address means every address of
// the host).
func (s *Stack) ListenTCP(addr netip.AddrPort) (net.Listener, error) {
	l, err := gonet.ListenTCP(s.s, fullAddr(addr), ipv4.ProtocolNumber)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// DialUDP opens a connected UDP socket to dst.
func (s *Stack) DialUDP(dst netip.AddrPort) (net.Conn, error) {
	ra := fullAddr(dst)
	c, err := gonet.DialUDP(s.s, nil, &ra, ipv4.ProtocolNumber)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ListenUDP binds a UDP socket on addr.
func (s *Stack) ListenUDP(addr netip.AddrPort) (net.PacketConn, error) {
	la := fullAddr(addr)
	c, err := gonet.DialUDP(s.s, &la, nil, ipv4.ProtocolNumber)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// SetEphemeralPorts sets the range local ports are picked from.
func (s *Stack) SetEphemeralPorts(lo, hi uint16) error {
	if err := s.s.SetPortRange(lo, hi); err != nil {
		return fmt.Errorf("ephemeral ports %d-%d: %s", lo, hi, err)
	}
	return nil
}

// Close aborts every endpoint, detaches the interfaces and waits for the
// stack's goroutines to stop.
func (s *Stack) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.s.Close()
	s.s.Wait()
	s.s.Destroy()
}
