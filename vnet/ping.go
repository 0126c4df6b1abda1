package vnet

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/vlab-sim/vlab/vnet/netstack"
)

// PingConn is a host's ping socket connected to one address: Linux's
// unprivileged ICMP datagram socket, which iputils' ping uses. Its echo
// requests take the fabric's path as any packet of the host's does
// (security groups, network ACLs, routes, NAT gateways), and the replies
// that come back are those the other end's stack answered.
type PingConn = netstack.PingConn

// EchoReply is one echo reply a PingConn received.
type EchoReply = netstack.EchoReply

// DialPing opens a ping socket to dst from the host's stack. Send echo
// requests with Send(seq, data), read replies with Recv(ctx); the stack
// picks the echo identifier (Ident).
func (h *Host) DialPing(dst netip.Addr) (*PingConn, error) {
	c, err := h.st.DialPing(dst)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", h.name, err)
	}
	return c, nil
}

// Ping sends one echo request with sequence number seq and size bytes of
// data to dst and waits for its reply until ctx ends: the round trip on
// the wall clock and the reply's TTL. A request the fabric drops gets no
// reply: ctx's error then, and the drop is counted as every drop is.
func (h *Host) Ping(ctx context.Context, dst netip.Addr, seq int, size int) (rtt time.Duration, ttl uint8, err error) {
	c, err := h.DialPing(dst)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	start := time.Now()
	if err := c.Send(uint16(seq), make([]byte, size)); err != nil {
		return 0, 0, err
	}
	for {
		r, err := c.Recv(ctx)
		if err != nil {
			return 0, 0, err
		}
		if r.Seq == uint16(seq) {
			return r.At.Sub(start), r.TTL, nil
		}
	}
}
