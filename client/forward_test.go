package client

import (
	"context"
	"io"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/vnet"
)

// failingListener fails its next n Accepts with EMFILE, as a process out of
// file descriptors does, then accepts for real.
type failingListener struct {
	net.Listener
	mu sync.Mutex
	n  int
}

func (l *failingListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	fail := l.n > 0
	if fail {
		l.n--
	}
	l.mu.Unlock()
	if fail {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
	}
	return l.Listener.Accept()
}

// A burst of Accept errors once ended the forwarder's loop for good: every
// later ssh timed out while vlab up stayed alive.
func TestForwarderKeepsServingAfterAcceptErrors(t *testing.T) {
	n := vnet.New(vnet.Options{})
	defer n.Close()
	pc, err := New(n, Config{Addr: netip.MustParsePrefix("203.0.113.10/24")})
	require.NoError(t, err)

	ln, err := ListenLoopback("127.0.0.1:0")
	require.NoError(t, err)
	fl := &failingListener{Listener: ln, n: 5}
	var mu sync.Mutex
	var reported []error
	// The far end: an echo, over an in-memory pipe.
	dial := func(context.Context) (net.Conn, error) {
		a, b := net.Pipe()
		go func() { io.Copy(b, b); b.Close() }()
		return a, nil
	}
	f := pc.ForwardWith(fl, netip.MustParseAddrPort("198.51.100.10:51512"), dial, func(err error) {
		mu.Lock()
		reported = append(reported, err)
		mu.Unlock()
	})
	defer f.Close()

	c, err := net.DialTimeout("tcp", f.Addr().String(), 5*time.Second)
	require.NoError(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = c.Write([]byte("ping"))
	require.NoError(t, err)
	buf := make([]byte, 4)
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err, "the connection after the errors is carried")
	assert.Equal(t, "ping", string(buf))

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, reported, 1, "a streak of errors is reported once")
	assert.Contains(t, reported[0].Error(), "too many open files")
	assert.Contains(t, reported[0].Error(), "retrying")
}
