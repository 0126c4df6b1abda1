package e2e

import (
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/vnet"
)

// The idle timeout ends a flow for its target too: a target that writes on
// a connection the NLB forgot (no packet for tcp.idle_timeout.seconds, 350
// s of lab time) is answered with an RST from the client's address and
// port, counted, and its connection fails with a reset; the client is told
// nothing (AWS resets only the side that sends).
func TestIdleTimeoutResetsTheTarget(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	const port = 9100
	_, err := l.NLB.AddListener(nlbListener(l, port))
	require.NoError(t, err)
	ln, err := l.Target.Listen("tcp", ":9100")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !strings.HasPrefix(peerOf(c), "203.0.113.10:") {
				c.Close() // a health check of the new target group
				continue
			}
			select {
			case accepted <- c:
			default:
				c.Close()
			}
		}
	}()

	c, err := l.Client.Dial(ctxT(t), "tcp", "198.51.100.10:9100")
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "hello")
	require.NoError(t, err)
	var srv net.Conn
	select {
	case srv = <-accepted:
	case <-time.After(20 * time.Second):
		t.Fatal("the target accepted no connection from the client")
	}
	defer srv.Close()
	srv.SetReadDeadline(time.Now().Add(20 * time.Second))
	buf := make([]byte, 16)
	n, err := io.ReadFull(srv, buf[:5])
	require.NoError(t, err)
	require.Equal(t, "hello", string(buf[:n]))
	client, err := netip.ParseAddrPort(c.LocalAddr().String())
	require.NoError(t, err)
	targetEnd := netip.AddrPortFrom(l.Target.Addr(), port)

	// What reaches the target's interface from the client's address and
	// port, and anything the client's stack receives, from here on.
	var mu sync.Mutex
	var toTarget []segment
	stopT := l.Target.ENI().Tap(func(_ time.Time, dir vnet.Direction, b []byte) {
		if s, ok := tcpSegment(b); ok && dir == vnet.In && s.src == client && s.dst == targetEnd {
			mu.Lock()
			toTarget = append(toTarget, s)
			mu.Unlock()
		}
	})
	defer stopT()
	var toClient int
	stopC := l.Client.Host().PrimaryENI().Tap(func(_ time.Time, dir vnet.Direction, b []byte) {
		if s, ok := tcpSegment(b); ok && dir == vnet.In && s.dst == client {
			mu.Lock()
			toClient++
			mu.Unlock()
		}
	})
	defer stopC()

	l.Clock().Advance(351 * time.Second)
	for _, f := range l.NLB.Flows() {
		require.NotEqual(t, client, f.Client, "the flow is forgotten after 350 s idle")
	}
	resets := l.NLB.Resets()

	_, err = io.WriteString(srv, "late")
	if err == nil {
		// The write was queued; the RST it draws fails the next read.
		srv.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, err = srv.Read(buf)
	}
	require.Error(t, err)
	assert.ErrorContains(t, err, "connection reset by peer", "the target's connection is reset, not timed out")
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, toTarget, "the target's capture shows a packet from the client's address")
	assert.Equal(t, flagRST, toTarget[len(toTarget)-1].flags&flagRST, "an RST from %s", client)
	assert.Zero(t, toClient, "the client hears nothing")
	assert.Equal(t, resets+1, l.NLB.Resets(), "TCP_ELB_Reset_Count")
}
