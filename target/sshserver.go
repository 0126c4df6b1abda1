package target

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/internal/splice"
)

// sshServer is the instance's sshd: public-key authentication for one user,
// sessions (exec, shell, pty) and direct-tcpip forwarding. It owns every
// goroutine it starts; close stops them all.
type sshServer struct {
	in  *Instance
	ln  net.Listener
	cfg *ssh.ServerConfig

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}

	startups   startups
	loginGrace time.Duration
}

func newSSHServer(in *Instance, ln net.Listener, limit MaxStartups, grace time.Duration) *sshServer {
	s := &sshServer{in: in, ln: ln, conns: map[net.Conn]struct{}{}, startups: startups{limit: limit}, loginGrace: grace}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.cfg = &ssh.ServerConfig{
		// No PasswordCallback and no NoClientAuth: public keys only, as on
		// an EC2 instance launched from an Amazon Linux AMI.
		PublicKeyCallback: func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if meta.User() != in.user {
				return nil, fmt.Errorf("user %q may not log in (the instance's user is %s)", meta.User(), in.user)
			}
			if !in.authorized(key) {
				return nil, fmt.Errorf("key %s is not authorized for %s", ssh.FingerprintSHA256(key), in.user)
			}
			return &ssh.Permissions{}, nil
		},
		ServerVersion: in.image.ServerVersion(),
	}
	s.cfg.AddHostKey(in.hostKey)
	s.wg.Add(1)
	go s.serve()
	return s
}

func (s *sshServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.serveConn(c)
	}
}

// serveConn serves one connection, tracked so that close can cut it.
func (s *sshServer) serveConn(c net.Conn) {
	s.mu.Lock()
	if s.conns == nil {
		s.mu.Unlock()
		c.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	s.handle(c)
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *sshServer) close() {
	s.ln.Close()
	s.cancel()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.conns = nil
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *sshServer) handle(c net.Conn) {
	defer c.Close()
	// As sshd: past MaxStartups unauthenticated connections, a new one is
	// closed before the banner; an unauthenticated client gets
	// LoginGraceTime.
	if !s.startups.admit() {
		return
	}
	c.SetDeadline(time.Now().Add(s.loginGrace))
	sc, chans, reqs, err := ssh.NewServerConn(c, s.cfg)
	s.startups.done()
	if err != nil {
		return
	}
	c.SetDeadline(time.Time{})
	defer sc.Close()
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	go func() {
		// Close the connection when the server stops.
		<-ctx.Done()
		sc.Close()
	}()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for r := range reqs {
			// tcpip-forward (ssh -R) and other global requests are refused.
			if r.WantReply {
				r.Reply(r.Type == "keepalive@openssh.com", nil)
			}
		}
	}()
	for nc := range chans {
		switch nc.ChannelType() {
		case "session":
			ch, creqs, err := nc.Accept()
			if err != nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				newSession(ctx, s.in, sc, ch).serve(creqs)
			}()
		case "direct-tcpip":
			wg.Add(1)
			go func() {
				defer wg.Done()
				// A bug in forwarding ends that channel, not the lab.
				defer func() { recover() }()
				s.directTCPIP(ctx, nc)
			}()
		default:
			nc.Reject(ssh.UnknownChannelType, fmt.Sprintf("channel type %q is not supported by this instance", nc.ChannelType()))
		}
	}
	cancel()
	wg.Wait()
}

// directTCPIP serves ssh -L: the instance opens the connection from its own
// stack, so it reaches what the instance can reach.
func (s *sshServer) directTCPIP(ctx context.Context, nc ssh.NewChannel) {
	var req struct {
		Host       string
		Port       uint32
		OriginHost string
		OriginPort uint32
	}
	if err := ssh.Unmarshal(nc.ExtraData(), &req); err != nil {
		nc.Reject(ssh.ConnectionFailed, "malformed direct-tcpip request")
		return
	}
	host := req.Host
	switch host {
	case "":
		nc.Reject(ssh.ConnectionFailed, fmt.Sprintf("connect to port %d failed: no host given", req.Port))
		return
	case "localhost", "127.0.0.1", "0.0.0.0":
		// Linux connects to 0.0.0.0 as to the host itself.
		host = s.in.Addr().String()
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := s.in.host.DialContext(dctx, "tcp", net.JoinHostPort(host, strconv.Itoa(int(req.Port))))
	if err != nil {
		nc.Reject(ssh.ConnectionFailed, fmt.Sprintf("connect to %s port %d failed: %v", req.Host, req.Port, err))
		return
	}
	ch, reqs, err := nc.Accept()
	if err != nil {
		conn.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	splice.Splice(ctx, ch, conn)
}
