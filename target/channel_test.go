package target

import (
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// channelPair returns the server side of a session channel between two
// x/crypto/ssh ends over loopback TCP; with drain the client side reads
// all it is sent, else nothing (a client that stopped reading).
func channelPair(t *testing.T, drain bool) ssh.Channel {
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
	srv, ok := <-chs
	require.True(t, ok, "server accepted no channel")
	if !drain {
		return srv
	}
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
	return srv
}

// x/crypto/ssh reads a flag in Write that CloseWrite sets, without a lock:
// a window change redrawing the line while the program ended raced there.
// go test -race reports it on a bare channel; a session's lockedChannel
// orders them.
func TestLockedChannelOrdersWritesAndCloseWrite(t *testing.T) {
	ch := newLockedChannel(channelPair(t, true))
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

// A Write blocked on window space (the client stopped reading) holds the
// lock; Close must not wait behind it, or kill and a hang-up could never
// end the session. Close unblocks the Write.
func TestLockedChannelCloseDuringBlockedWrite(t *testing.T) {
	ch := newLockedChannel(channelPair(t, false))
	wrote := make(chan error, 1)
	go func() {
		// Past the 2 MiB window x/crypto/ssh's client grants.
		_, err := ch.Write(make([]byte, 4<<20))
		wrote <- err
	}()
	// Wait until the writer holds the lock (nothing else takes it).
	for ch.mu.TryLock() {
		ch.mu.Unlock()
		runtime.Gosched()
	}
	closed := make(chan error, 1)
	go func() { closed <- ch.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		require.FailNow(t, "Close waited behind a blocked Write")
	}
	select {
	case err := <-wrote:
		require.Error(t, err, "the close ends the blocked write")
	case <-time.After(10 * time.Second):
		require.FailNow(t, "the Write stayed blocked after Close")
	}
}
