package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/vlab-sim/vlab/internal/splice"
)

// ListenLoopback listens on a host loopback address ("127.0.0.1:2222",
// "localhost:0", "[::1]:2222"). Any other address is refused: the only host
// sockets vlab opens are on loopback.
func ListenLoopback(address string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("--listen %q: %w (want 127.0.0.1:PORT)", address, err)
	}
	switch host {
	case "localhost":
		host = "127.0.0.1"
	case "":
		return nil, fmt.Errorf("--listen %q: give a loopback address (127.0.0.1:%s): vlab never listens on every interface", address, port)
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.IsLoopback() {
		return nil, fmt.Errorf("--listen %q: %s is not a loopback address: vlab only listens on 127.0.0.1 or ::1", address, host)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(a.String(), port))
	if err != nil {
		return nil, fmt.Errorf("--listen %q: %w", address, err)
	}
	return ln, nil
}

// Forwarder carries every connection accepted on a host listener through the
// PC's stack to one address in the lab, so the lab sees the PC as the client.
type Forwarder struct {
	pc   *PC
	ln   net.Listener
	to   netip.AddrPort
	dial func(context.Context) (net.Conn, error)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	onErr  func(error)
}

// Forward starts forwarding connections accepted on ln to to. onErr, if not
// nil, is told of connections that could not be carried.
func (pc *PC) Forward(ln net.Listener, to netip.AddrPort, onErr func(error)) *Forwarder {
	return pc.ForwardWith(ln, to, func(ctx context.Context) (net.Conn, error) { return pc.host.Dial(ctx, to) }, onErr)
}

// ForwardWith is Forward with the PC's connections opened by dial (which
// may choose its path, as a lab landing on one target does); to names them
// in errors.
func (pc *PC) ForwardWith(ln net.Listener, to netip.AddrPort, dial func(context.Context) (net.Conn, error), onErr func(error)) *Forwarder {
	f := &Forwarder{pc: pc, ln: ln, to: to, dial: dial, onErr: onErr}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.wg.Add(1)
	go f.serve()
	return f
}

// Addr is the host address the forwarder listens on.
func (f *Forwarder) Addr() net.Addr { return f.ln.Addr() }

// Accept's retry delays, as net/http's Server.Serve backs off.
const (
	acceptRetryFirst = 5 * time.Millisecond
	acceptRetryMax   = time.Second
)

func (f *Forwarder) serve() {
	defer f.wg.Done()
	var delay time.Duration
	for {
		c, err := f.ln.Accept()
		if err != nil {
			if f.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// As net/http's Server.Serve: only a temporary error (EMFILE,
			// ENFILE…) is retried; another ends the loop, but not silently.
			var ne interface{ Temporary() bool }
			if !errors.As(err, &ne) || !ne.Temporary() {
				if f.onErr != nil {
					f.onErr(fmt.Errorf("accept on %s: %w: no longer forwarding", f.ln.Addr(), err))
				}
				return
			}
			// Out of file descriptors (a low ulimit -n and a burst of
			// connections), say: back off and keep serving, as net/http
			// does; say so once a streak, not once a retry.
			if delay == 0 {
				delay = acceptRetryFirst
				if f.onErr != nil {
					f.onErr(fmt.Errorf("accept on %s: %w; retrying with backoff (up to %v) until it succeeds", f.ln.Addr(), err, acceptRetryMax))
				}
			} else {
				delay = min(2*delay, acceptRetryMax)
			}
			select {
			case <-time.After(delay):
			case <-f.ctx.Done():
				return
			}
			continue
		}
		delay = 0
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.carry(c)
		}()
	}
}

func (f *Forwarder) carry(c net.Conn) {
	defer c.Close()
	ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
	lc, err := f.dial(ctx)
	cancel()
	if err != nil {
		if f.onErr != nil {
			f.onErr(fmt.Errorf("forward %s -> %s: %w", c.RemoteAddr(), f.to, err))
		}
		return
	}
	splice.Splice(f.ctx, c, lc)
}

// Close stops accepting, cuts forwarded connections and waits for them.
func (f *Forwarder) Close() error {
	err := f.ln.Close()
	f.cancel()
	f.wg.Wait()
	return err
}
