package target

import (
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// channelPair returns the server side of a session channel between two
// x/crypto/ssh ends over loopback TCP; the client side drains it.
func channelPair(t *testing.T) ssh.Channel {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	signer, err := ssh.NewSignerFromKey(priv)
	require.NoError(t, err)
	cfg := &ssh.ServerConfig{NoClientAuth: true}
	cfg.AddHostKey(signer)
	// A loopback pair (net.Pipe is unbuffered, and both ends of an SSH
	// handshake write first).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	b, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	a, err := ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { a.Close(); b.Close() })
	chs := make(chan ssh.Channel, 1)
	go func() {
		_, nchans, reqs, err := ssh.NewServerConn(a, cfg)
		if err != nil {
			close(chs)
			return
		}
		go ssh.DiscardRequests(reqs)
		nc := <-nchans
		ch, creqs, err := nc.Accept()
		if err != nil {
			close(chs)
			return
		}
		go ssh.DiscardRequests(creqs)
		chs <- ch
	}()
	cc, nchans, reqs, err := ssh.NewClientConn(b, "pipe", &ssh.ClientConfig{User: "u", HostKeyCallback: ssh.InsecureIgnoreHostKey()})
	require.NoError(t, err)
	cl := ssh.NewClient(cc, nchans, reqs)
	t.Cleanup(func() { cl.Close() })
	ch, creqs, err := cl.OpenChannel("session", nil)
	require.NoError(t, err)
	go ssh.DiscardRequests(creqs)
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := ch.Read(buf); err != nil {
				return
			}
		}
	}()
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := ch.Stderr().Read(buf); err != nil {
				return
			}
		}
	}()
	srv, ok := <-chs
	require.True(t, ok, "server accepted no channel")
	return srv
}

// x/crypto/ssh reads a flag in Write that CloseWrite sets, without a lock:
// a window change redrawing the line while the program ended raced there.
// go test -race reports it on a bare channel; a session's lockedChannel
// orders them.
func TestLockedChannelOrdersWritesAndCloseWrite(t *testing.T) {
	ch := newLockedChannel(channelPair(t))
	var wg sync.WaitGroup
	for _, w := range []func([]byte) (int, error){ch.Write, ch.Stderr().Write} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if _, err := w([]byte("redraw\r\n")); err != nil {
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{0}))
		ch.CloseWrite()
	}()
	wg.Wait()
	require.NoError(t, ch.Close())
}
