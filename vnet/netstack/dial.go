package netstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// DialTCPFrom opens a TCP connection to dst from src (an address of this
// stack), telling bound the local address and port before the first SYN
// leaves, so that the caller can watch the connection's own 5-tuple from
// its first packet. It is gonet.DialTCPWithBind with the port chosen
// first.
func (s *Stack) DialTCPFrom(ctx context.Context, src netip.Addr, dst netip.AddrPort, bound func(local netip.AddrPort)) (net.Conn, error) {
	if !dst.Addr().Is4() || !src.Is4() {
		return nil, fmt.Errorf("dial %s: only IPv4 is in scope", dst)
	}
	var wq waiter.Queue
	ep, terr := s.s.NewEndpoint(tcp.ProtocolNumber, ipv4.ProtocolNumber, &wq)
	if terr != nil {
		return nil, errors.New(terr.String())
	}
	entry, notify := waiter.NewChannelEntry(waiter.WritableEvents)
	wq.EventRegister(&entry)
	defer wq.EventUnregister(&entry)
	if terr := ep.Bind(tcpip.FullAddress{Addr: tcpip.AddrFrom4(src.As4())}); terr != nil {
		ep.Close()
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("bind %s: %s", src, terr)}
	}
	la, terr := ep.GetLocalAddress()
	if terr != nil {
		ep.Close()
		return nil, errors.New(terr.String())
	}
	if bound != nil {
		bound(netip.AddrPortFrom(src, la.Port))
	}
	if err := ctx.Err(); err != nil {
		ep.Close()
		return nil, err
	}
	terr = ep.Connect(fullAddr(dst))
	if _, ok := terr.(*tcpip.ErrConnectStarted); ok {
		select {
		case <-ctx.Done():
			ep.Close()
			return nil, ctx.Err()
		case <-notify:
		}
		terr = ep.LastError()
	}
	if terr != nil {
		ep.Close()
		return nil, &net.OpError{Op: "connect", Net: "tcp", Addr: net.TCPAddrFromAddrPort(dst), Err: errors.New(terr.String())}
	}
	return gonet.NewTCPConn(&wq, ep), nil
}
