package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/vnet"
)

// Config describes a PC.
type Config struct {
	// Name is the host name (client).
	Name string
	// Addr is the PC's address on the internet segment, with its link's
	// prefix (203.0.113.10/24).
	Addr netip.Prefix
	// Key is the SSH identity the PC logs in with.
	Key ssh.Signer
}

// PC is a client machine on the internet.
type PC struct {
	host *vnet.Host
	key  ssh.Signer
}

// New attaches a PC to the internet segment of n.
func New(n *vnet.Network, c Config) (*PC, error) {
	if c.Name == "" {
		c.Name = "client"
	}
	h, err := n.NewHost(c.Name)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if _, err := h.AttachInternet(c.Addr); err != nil {
		return nil, fmt.Errorf("client %s: %w", c.Name, err)
	}
	return &PC{host: h, key: c.Key}, nil
}

// Host returns the PC's vnet host.
func (pc *PC) Host() *vnet.Host { return pc.host }

// Addr returns the PC's address.
func (pc *PC) Addr() netip.Addr { return pc.host.Addr() }

// Key returns the PC's SSH identity.
func (pc *PC) Key() ssh.Signer { return pc.key }

// Dial connects from the PC's stack to address ("198.51.100.10:51512").
// A TCP connection the fabric refuses fails at once with a *vnet.DropError
// naming the drop (errors.As finds it), not after TCP's retries.
func (pc *PC) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	if network == "tcp" || network == "tcp4" {
		ap, err := netip.ParseAddrPort(address)
		if err == nil && ap.Addr().Is4() {
			return pc.host.DialOrDrop(ctx, ap)
		}
	}
	return pc.host.DialContext(ctx, network, address)
}

// SSHConfig says whom to log in as and which host key to expect.
type SSHConfig struct {
	User string
	// HostKey is the only host key accepted: the product path always
	// verifies the server.
	HostKey ssh.PublicKey
	// Timeout bounds the TCP connect and SSH handshake (10 s by default).
	Timeout time.Duration
	// Dial, when set, opens the connection in place of a plain dial to the
	// address (a lab that wants a given target behind a load balancer).
	Dial func(ctx context.Context) (net.Conn, error)
}

// SSH opens an SSH connection to addr over the PC's stack.
func (pc *PC) SSH(ctx context.Context, addr netip.AddrPort, c SSHConfig) (*ssh.Client, error) {
	if c.HostKey == nil {
		return nil, errors.New("ssh: a host key to verify the server against is required")
	}
	if pc.key == nil {
		return nil, errors.New("ssh: the client has no key")
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	dial := c.Dial
	if dial == nil {
		dial = func(ctx context.Context) (net.Conn, error) { return pc.host.DialOrDrop(ctx, addr) }
	}
	conn, err := dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("ssh: connect to %s: %w", addr, err)
	}
	// The handshake takes no context: bound it with the deadline, close
	// the connection if ctx ends first, and give up at once, saying why,
	// if the fabric drops a packet of it.
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	}
	var dropped atomic.Pointer[vnet.DropError]
	stopWatch := func() {}
	if local, err := netip.ParseAddrPort(conn.LocalAddr().String()); err == nil {
		stopWatch = pc.host.Network().WatchConnection(local, func(e vnet.DropEvent) {
			if dropped.CompareAndSwap(nil, &vnet.DropError{Event: e}) {
				conn.SetDeadline(time.Now()) // ends the handshake's reads from any goroutine
			}
		})
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(conn, addr.String(), &ssh.ClientConfig{
		User:            c.User,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(pc.key)},
		HostKeyCallback: ssh.FixedHostKey(c.HostKey),
		Timeout:         c.Timeout,
	})
	stopWatch()
	if !stop() || err != nil {
		conn.Close()
		if d := dropped.Load(); d != nil {
			err = d
		} else if err == nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("ssh: %s: %w", addr, err)
	}
	conn.SetDeadline(time.Time{})
	return ssh.NewClient(sc, chans, reqs), nil
}

// Result is what a remote command produced.
type Result struct {
	Stdout, Stderr string
	// ExitStatus is the command's exit status.
	ExitStatus int
	// Local is the client's own address and port of the connection.
	Local netip.AddrPort
}

// Run runs one command over a new SSH connection and returns its output and
// exit status. A non-zero exit status is an error too, wrapping
// x/crypto/ssh's *ssh.ExitError, as Session.Run's is; the Result is filled
// in all the same.
func (pc *PC) Run(ctx context.Context, addr netip.AddrPort, c SSHConfig, command string) (Result, error) {
	cl, err := pc.SSH(ctx, addr, c)
	if err != nil {
		return Result{}, err
	}
	defer cl.Close()
	var r Result
	if ap, err := netip.ParseAddrPort(cl.LocalAddr().String()); err == nil {
		r.Local = ap
	}
	s, err := cl.NewSession()
	if err != nil {
		return r, fmt.Errorf("ssh: session: %w", err)
	}
	defer s.Close()
	var out, errb bytes.Buffer
	s.Stdout, s.Stderr = &out, &errb
	stop := context.AfterFunc(ctx, func() { cl.Close() })
	defer stop()
	// A session the fabric cuts (the load balancer's reset of an idle
	// flow) says why.
	var dropped atomic.Pointer[vnet.DropError]
	defer pc.host.Network().WatchConnection(r.Local, func(e vnet.DropEvent) {
		dropped.CompareAndSwap(nil, &vnet.DropError{Event: e})
	})()
	err = s.Run(command)
	r.Stdout, r.Stderr = out.String(), errb.String()
	var ee *ssh.ExitError
	switch {
	case errors.As(err, &ee):
		// As x/crypto/ssh's Session.Run: a non-zero exit is an error
		// (*ssh.ExitError, for errors.As); the Result still holds the
		// output and the status.
		r.ExitStatus = ee.ExitStatus()
		return r, fmt.Errorf("ssh: %q: %w", command, err) // "Process exited with status N"
	case err != nil:
		if d := dropped.Load(); d != nil {
			err = d
		}
		return r, fmt.Errorf("ssh: run %q: %w", command, err)
	}
	return r, nil
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d from %s: stdout %q, stderr %q", r.ExitStatus, r.Local, r.Stdout, r.Stderr)
}
