package netstack

import (
	"errors"
	"net"
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// ListenTCPReuseAddr listens on addr with SO_REUSEADDR, as sshd does: the
// port may be bound again while connections of a previous listener are in
// TIME-WAIT (a daemon restarted after it closed its connections).
func (s *Stack) ListenTCPReuseAddr(addr netip.AddrPort) (net.Listener, error) {
	var wq waiter.Queue
	ep, terr := s.s.NewEndpoint(tcp.ProtocolNumber, ipv4.ProtocolNumber, &wq)
	if terr != nil {
		return nil, errors.New(terr.String())
	}
	ep.SocketOptions().SetReuseAddress(true)
	fa := fullAddr(addr)
	if terr := ep.Bind(fa); terr != nil {
		ep.Close()
		return nil, &net.OpError{Op: "bind", Net: "tcp", Addr: net.TCPAddrFromAddrPort(addr), Err: errors.New(terr.String())}
	}
	if terr := ep.Listen(4096); terr != nil {
		ep.Close()
		return nil, &net.OpError{Op: "listen", Net: "tcp", Addr: net.TCPAddrFromAddrPort(addr), Err: errors.New(terr.String())}
	}
	return gonet.NewTCPListener(s.s, &wq, ep), nil
}
