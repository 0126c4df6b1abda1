package netstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// PingConn is an unprivileged ping socket connected to one address:
// Linux's ICMP datagram socket (socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)),
// which iputils' ping uses. The stack picks the echo identifier, as a
// port, writes it into every echo request and checksums it, and hands the
// socket only the echo replies that carry it.
type PingConn struct {
	ep    tcpip.Endpoint
	wq    *waiter.Queue
	dst   netip.Addr
	ident uint16

	closeOnce sync.Once
	closed    chan struct{}
}

// EchoReply is one echo reply a PingConn received.
type EchoReply struct {
	From netip.Addr
	Seq  uint16
	// TTL is the reply's IPv4 time-to-live as it arrived.
	TTL uint8
	// Size is the ICMP message's size, header included: what ping prints
	// as "64 bytes from".
	Size int
	// At is when the stack received it.
	At time.Time
}

// DialPing opens a ping socket to dst.
func (s *Stack) DialPing(dst netip.Addr) (*PingConn, error) {
	if !dst.Is4() {
		return nil, fmt.Errorf("ping %s: only IPv4 is in scope", dst)
	}
	wq := &waiter.Queue{}
	ep, terr := s.s.NewEndpoint(icmp.ProtocolNumber4, ipv4.ProtocolNumber, wq)
	if terr != nil {
		return nil, fmt.Errorf("ping socket: %s", terr)
	}
	ep.SocketOptions().SetReceiveTTL(true)
	if terr := ep.Connect(tcpip.FullAddress{Addr: tcpip.AddrFrom4(dst.As4())}); terr != nil {
		ep.Close()
		return nil, fmt.Errorf("connect: %s", terr)
	}
	la, terr := ep.GetLocalAddress()
	if terr != nil {
		ep.Close()
		return nil, fmt.Errorf("ping socket: %s", terr)
	}
	return &PingConn{ep: ep, wq: wq, dst: dst, ident: la.Port, closed: make(chan struct{})}, nil
}

// Ident returns the echo identifier the stack gave the socket.
func (c *PingConn) Ident() uint16 { return c.ident }

// Send writes one echo request with sequence number seq and data after the
// 8-byte ICMP header.
func (c *PingConn) Send(seq uint16, data []byte) error {
	b := make([]byte, header.ICMPv4MinimumSize+len(data))
	h := header.ICMPv4(b)
	h.SetType(header.ICMPv4Echo)
	h.SetSequence(seq)
	copy(b[header.ICMPv4MinimumSize:], data)
	var r bytes.Reader
	r.Reset(b)
	if _, terr := c.ep.Write(&r, tcpip.WriteOptions{}); terr != nil {
		return fmt.Errorf("sendmsg: %s", terr)
	}
	return nil
}

// ErrPingClosed is what Recv returns once the socket is closed.
var ErrPingClosed = errors.New("ping socket closed")

// Recv waits for the next echo reply, until ctx ends or the socket is
// closed.
func (c *PingConn) Recv(ctx context.Context) (EchoReply, error) {
	entry, notify := waiter.NewChannelEntry(waiter.ReadableEvents | waiter.EventHUp)
	c.wq.EventRegister(&entry)
	defer c.wq.EventUnregister(&entry)
	for {
		var buf bytes.Buffer
		res, terr := c.ep.Read(&buf, tcpip.ReadOptions{NeedRemoteAddr: true})
		switch terr.(type) {
		case nil:
			b := buf.Bytes()
			if len(b) < header.ICMPv4MinimumSize {
				continue
			}
			r := EchoReply{Seq: header.ICMPv4(b).Sequence(), Size: res.Total, At: time.Now()}
			if a := res.RemoteAddr.Addr; a.Len() == 4 {
				r.From = netip.AddrFrom4(a.As4())
			}
			if res.ControlMessages.HasTTL {
				r.TTL = res.ControlMessages.TTL
			}
			if res.ControlMessages.HasTimestamp {
				r.At = res.ControlMessages.Timestamp
			}
			return r, nil
		case *tcpip.ErrWouldBlock:
		case *tcpip.ErrClosedForReceive:
			return EchoReply{}, ErrPingClosed
		default:
			return EchoReply{}, fmt.Errorf("recvmsg: %s", terr)
		}
		select {
		case <-notify:
		case <-c.closed:
			return EchoReply{}, ErrPingClosed
		case <-ctx.Done():
			return EchoReply{}, ctx.Err()
		}
	}
}

// Close closes the socket; a Recv waiting returns ErrPingClosed.
func (c *PingConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.ep.Close()
	})
	return nil
}
