package target

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
)

func (n *ncRun) listen(ctx context.Context) int {
	ops := n.opt.operands
	host, port := "", n.opt.port
	switch {
	case port == "" && len(ops) == 1:
		port = ops[0]
	case port == "" && len(ops) == 2:
		host, port = ops[0], ops[1]
	case port != "" && len(ops) == 1:
		host = ops[0]
	case port == "" && len(ops) == 0:
		port = "31337" // ncat's default
	case len(ops) > 0:
		fmt.Fprintln(n.o.Stderr, "Ncat: Got more than one port specification. QUITTING.")
		return 2
	}
	lo, hi, ok := portRange(port)
	if !ok || lo != hi {
		fmt.Fprintf(n.o.Stderr, "Ncat: Invalid port number %q. QUITTING.\n", port)
		return 2
	}
	bind := netip.IPv4Unspecified()
	if host != "" {
		a, ok := n.in.lookup(host)
		if !ok {
			fmt.Fprintf(n.o.Stderr, "Ncat: Could not resolve hostname %q: Name or service not known. QUITTING.\n", host)
			return 2
		}
		bind = a
	}
	at := netip.AddrPortFrom(bind, lo)
	if n.opt.verbose > 0 {
		fmt.Fprintln(n.o.Stderr, n.version)
	}
	if n.opt.udp {
		return n.listenUDP(ctx, at)
	}
	if lo < 1024 && n.o.Getenv("USER") != "root" {
		fmt.Fprintf(n.o.Stderr, "Ncat: bind to %s: Permission denied. QUITTING.\n", at)
		return 2
	}
	ln, err := n.in.listenAs(n.pid, "tcp", at.String())
	if err != nil {
		fmt.Fprintf(n.o.Stderr, "Ncat: bind to %s: Address already in use. QUITTING.\n", at)
		return 2
	}
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer ln.Close()
	n.verbosef("Listening on %s", at)
	if !n.opt.keep {
		c, err := ln.Accept()
		ln.Close() // ncat takes one connection and stops listening
		if err != nil {
			return 1
		}
		n.announce(c)
		start := time.Now()
		sent, recvd := n.session(ctx, c)
		n.verbosef("%d bytes sent, %d bytes received in %.2f seconds.", sent, recvd, time.Since(start).Seconds())
		return 0
	}
	return n.keepOpen(ctx, ln)
}

func (n *ncRun) announce(c net.Conn) {
	if ap, ok := addrPortOf(c.RemoteAddr()); ok {
		n.verbosef("Connection from %s.", ap.Addr())
		n.verbosef("Connection from %s.", ap)
	}
}

// keepOpen serves every connection until ctx ends: each one's data goes
// to stdout, stdin's to all those connected.
func (n *ncRun) keepOpen(ctx context.Context, ln net.Listener) int {
	var (
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
		wg    sync.WaitGroup
		out   sync.Mutex // one connection's chunk at a time on stdout
	)
	pump := newStdinPump(n.o.Stdin)
	defer pump.stop()
	quit := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case b, ok := <-pump.chunks:
				if !ok {
					return
				}
				// Write outside mu: a client that stopped reading blocks
				// its Write, and holding mu then would block the accept
				// loop's Lock, so nc would never end on Ctrl-C or kill
				// (closing the connections is what unblocks the Write).
				mu.Lock()
				to := make([]net.Conn, 0, len(conns))
				for c := range conns {
					to = append(to, c)
				}
				mu.Unlock()
				for _, c := range to {
					c.Write(b)
				}
			case <-quit:
				return
			}
		}
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			break
		}
		n.announce(c)
		mu.Lock()
		conns[c] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 32*1024)
			for {
				k, err := c.Read(buf)
				if k > 0 {
					out.Lock()
					n.o.Stdout.Write(buf[:k])
					out.Unlock()
				}
				if err != nil {
					break
				}
			}
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
			c.Close()
		}()
	}
	close(quit)
	mu.Lock()
	for c := range conns {
		c.Close()
	}
	mu.Unlock()
	wg.Wait()
	return 0
}

// listenUDP waits for the first datagram, then talks with its sender as
// connect mode does.
func (n *ncRun) listenUDP(ctx context.Context, at netip.AddrPort) int {
	pc, err := n.in.host.ListenPacket("udp", at.String())
	if err != nil {
		fmt.Fprintf(n.o.Stderr, "Ncat: bind to %s: Address already in use. QUITTING.\n", at)
		return 2
	}
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	defer pc.Close()
	n.verbosef("Listening on %s", at)
	buf := make([]byte, 65536)
	k, from, err := pc.ReadFrom(buf)
	if err != nil {
		return 1
	}
	n.o.Stdout.Write(buf[:k])
	// Replies go to the first sender; later datagrams from anyone are
	// printed.
	c := &packetConnTo{PacketConn: pc, to: from}
	return n.udpSession(ctx, c, nil)
}

// packetConnTo is a bound UDP socket used as a connection to one peer.
type packetConnTo struct {
	net.PacketConn
	to net.Addr
}

func (c *packetConnTo) Read(p []byte) (int, error) {
	k, _, err := c.PacketConn.ReadFrom(p)
	return k, err
}

func (c *packetConnTo) Write(p []byte) (int, error) { return c.PacketConn.WriteTo(p, c.to) }
func (c *packetConnTo) RemoteAddr() net.Addr        { return c.to }
