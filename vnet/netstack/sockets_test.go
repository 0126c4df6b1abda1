package netstack

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func pair(t *testing.T) (a, b *Stack) {
	t.Helper()
	a, b, err := NewPair(netip.MustParsePrefix("10.9.0.1/24"), netip.MustParsePrefix("10.9.0.2/24"))
	require.NoError(t, err)
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func socketOf(st *Stack, state string, local uint16) (Socket, bool) {
	for _, s := range st.TCPSockets() {
		if s.State == state && s.Local.Port() == local {
			return s, true
		}
	}
	return Socket{}, false
}

// ss's queues come from the endpoints themselves: the accept queue and the
// backlog of a listener, the unread bytes of a receiver, the
// unacknowledged bytes of a sender whose peer's window is full.
func TestSocketQueues(t *testing.T) {
	require.True(t, layout().ok, "gVisor's tcp.Endpoint has the fields queues reads: update queues.go for this gVisor")
	a, b := pair(t)
	ln, err := b.ListenTCP(netip.MustParseAddrPort("0.0.0.0:7000"))
	require.NoError(t, err)
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var conns []net.Conn
	for range 3 {
		c, err := a.DialTCP(ctx, netip.MustParseAddrPort("10.9.0.2:7000"))
		require.NoError(t, err)
		conns = append(conns, c)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	require.Eventually(t, func() bool { s, _ := socketOf(b, "LISTEN", 7000); return s.RecvQ == 3 }, 10*time.Second, time.Millisecond,
		"three connections wait to be accepted")
	s, ok := socketOf(b, "LISTEN", 7000)
	require.True(t, ok)
	assert.Equal(t, 4096, s.SendQ, "gonet's backlog")

	srv, err := ln.Accept()
	require.NoError(t, err)
	defer srv.Close()
	s, _ = socketOf(b, "LISTEN", 7000)
	assert.Equal(t, 2, s.RecvQ, "one accepted")

	// The first connection's server end never reads: its receive queue
	// fills, then the client's send queue holds what is not acknowledged.
	client := conns[0]
	local, err := netip.ParseAddrPort(client.LocalAddr().String())
	require.NoError(t, err)
	peerOf := func(st *Stack, port uint16) Socket {
		for _, s := range st.TCPSockets() {
			if s.State == "ESTAB" && (s.Local.Port() == port || s.Peer.Port() == port && s.Local.Port() == 7000) {
				return s
			}
		}
		return Socket{}
	}
	_, err = client.Write(bytes.Repeat([]byte("x"), 1000))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return peerOf(b, local.Port()).RecvQ == 1000 }, 10*time.Second, time.Millisecond,
		"the unread bytes wait at the server: %+v", b.TCPSockets())
	require.Eventually(t, func() bool { return peerOf(a, local.Port()).SendQ == 0 }, 10*time.Second, time.Millisecond, "acknowledged")

	done := make(chan struct{})
	go func() {
		defer close(done)
		client.SetWriteDeadline(time.Now().Add(20 * time.Second))
		client.Write(bytes.Repeat([]byte("y"), 16<<20)) // more than both buffers hold
	}()
	require.Eventually(t, func() bool { return peerOf(a, local.Port()).SendQ > 0 }, 10*time.Second, time.Millisecond,
		"the sender holds what the receiver's full window refuses")
	assert.Eventually(t, func() bool { return peerOf(b, local.Port()).RecvQ > 1000 }, 10*time.Second, time.Millisecond,
		"the receiver's queue holds more than the first write")
	client.Close()
	<-done
}

// A ping socket sends echo requests and receives the replies the other
// stack answers by itself.
func TestPing(t *testing.T) {
	a, _ := pair(t)
	pc, err := a.DialPing(netip.MustParseAddr("10.9.0.2"))
	require.NoError(t, err)
	defer pc.Close()
	assert.NotZero(t, pc.Ident())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for seq := uint16(1); seq <= 2; seq++ {
		require.NoError(t, pc.Send(seq, make([]byte, 56)))
		r, err := pc.Recv(ctx)
		require.NoError(t, err)
		assert.Equal(t, seq, r.Seq)
		assert.Equal(t, 64, r.Size, "8 bytes of header and 56 of data")
		assert.Equal(t, uint8(64), r.TTL)
		assert.Equal(t, "10.9.0.2", r.From.String())
	}
	short, cancelShort := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancelShort()
	_, err = pc.Recv(short)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "no reply without a request")
	go pc.Close()
	_, err = pc.Recv(ctx)
	assert.ErrorIs(t, err, ErrPingClosed)
}

// A connection in TIME-WAIT has nothing queued, as ss shows it on Linux
// (gVisor's teardown leaves its send counter at -1).
func TestTimeWaitQueuesAreZero(t *testing.T) {
	a, b := pair(t)
	ln, err := b.ListenTCP(netip.MustParseAddrPort("0.0.0.0:7001"))
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := a.DialTCP(ctx, netip.MustParseAddrPort("10.9.0.2:7001"))
	require.NoError(t, err)
	_, err = c.Write([]byte("bye"))
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.Eventually(t, func() bool {
		for _, s := range a.TCPSockets() {
			if s.State == "TIME-WAIT" {
				return true
			}
		}
		return false
	}, 10*time.Second, time.Millisecond)
	for _, s := range a.TCPSockets() {
		assert.GreaterOrEqual(t, s.SendQ, 0, "%+v", s)
		assert.GreaterOrEqual(t, s.RecvQ, 0, "%+v", s)
	}
}
