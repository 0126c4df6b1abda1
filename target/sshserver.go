package target

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/internal/splice"
	"github.com/vlab-sim/vlab/target/shell"
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
			return &ssh.Permissions{Extensions: map[string]string{"key": keyKind(key) + " " + ssh.FingerprintSHA256(key)}}, nil
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
	// sshd's process for the connection logs as one pid from the first
	// line to the last.
	pid := s.in.procs.reserve()
	addr, port := splitAddr(c.RemoteAddr())
	var attempt authAttempt
	cfg := *s.cfg
	cfg.AuthLogCallback = func(meta ssh.ConnMetadata, method string, err error) {
		if meta.User() != s.in.user && attempt.invalid == "" {
			attempt.invalid = meta.User()
			s.in.sshdLog(pid, "Invalid user %s from %s port %s", meta.User(), addr, port)
		}
		if err != nil && method != "none" {
			attempt.user = meta.User()
		}
	}
	rc := &readCounter{Conn: c}
	sc, chans, reqs, err := ssh.NewServerConn(rc, &cfg)
	s.startups.done()
	if err != nil {
		switch {
		case rc.n.Load() == 0 && s.in.image.OpenSSH74Logs:
			// A client that sent nothing, as an NLB's TCP health check.
			s.in.sshdLog(pid, "Did not receive identification string from %s port %s", addr, port)
		case rc.n.Load() == 0:
			s.in.sshdLog(pid, "Connection closed by %s port %s", addr, port)
		default:
			s.in.sshdLog(pid, "%s", attempt.closed(s.in.image, addr, port))
		}
		return
	}
	c.SetDeadline(time.Time{})
	defer sc.Close()
	user := sc.User()
	s.in.sshdLog(pid, "Accepted publickey for %s from %s port %s ssh2: %s", user, addr, port, sc.Permissions.Extensions["key"])
	if s.in.image.OpenSSH74Logs {
		s.in.sshdLog(pid, "pam_unix(sshd:session): session opened for user %s by (uid=0)", user)
	} else {
		// The login user's uid (1000, whatever its name: Config.User).
		s.in.sshdLog(pid, "pam_unix(sshd:session): session opened for user %s(uid=%d) by (uid=0)", user, shell.EC2User.With(s.in.user).UID)
	}
	endPriv := s.in.procs.startAs(pid, shell.Process{PPID: sshdPID, User: "root", TTY: "?", Command: "sshd: " + user + " [priv]"}, s.in.now())
	defer endPriv()
	defer func() {
		for _, line := range disconnected(s.in.image, sc.Wait(), user, addr, port) {
			s.in.sshdLog(pid, "%s", line)
		}
	}()
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
				newSession(ctx, s.in, sc, ch, pid).serve(creqs)
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

// keyKind is how sshd names a key's type in its log: ED25519, RSA, ECDSA.
func keyKind(k ssh.PublicKey) string {
	switch t := k.Type(); {
	case t == ssh.KeyAlgoED25519:
		return "ED25519"
	case t == ssh.KeyAlgoRSA:
		return "RSA"
	case strings.HasPrefix(t, "ecdsa-"):
		return "ECDSA"
	default:
		return strings.ToUpper(t)
	}
}

// authAttempt is what a connection that never logged in tried.
type authAttempt struct {
	user    string // the user a key was offered for, refused
	invalid string // a user the instance does not have
}

// closed is sshd's line for a connection that ended before logging in, in
// the image's OpenSSH's words.
func (a authAttempt) closed(im Image, addr, port string) string {
	switch {
	case im.OpenSSH74Logs || a.user == "":
		return fmt.Sprintf("Connection closed by %s port %s [preauth]", addr, port)
	case a.invalid != "":
		return fmt.Sprintf("Connection closed by invalid user %s %s port %s [preauth]", a.invalid, addr, port)
	default:
		return fmt.Sprintf("Connection closed by authenticating user %s %s port %s [preauth]", a.user, addr, port)
	}
}

// disconnected is sshd's lines for the end of a logged-in connection.
func disconnected(im Image, err error, user, addr, port string) []string {
	var lines []string
	if msg, ok := strings.CutPrefix(errString(err), "ssh: disconnect, reason "); ok {
		code, text, _ := strings.Cut(msg, ": ")
		if u, err := strconv.Unquote(text); err == nil {
			text = u // x/crypto/ssh quotes the peer's message
		}
		lines = append(lines, fmt.Sprintf("Received disconnect from %s port %s:%s: %s", addr, port, code, text))
		if im.OpenSSH74Logs {
			lines = append(lines, fmt.Sprintf("Disconnected from %s port %s", addr, port))
		} else {
			lines = append(lines, fmt.Sprintf("Disconnected from user %s %s port %s", user, addr, port))
		}
	} else {
		lines = append(lines, fmt.Sprintf("Connection closed by %s port %s", addr, port))
	}
	return append(lines, "pam_unix(sshd:session): session closed for user "+user)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// readCounter counts what a connection's client sent.
type readCounter struct {
	net.Conn
	n atomic.Int64
}

func (r *readCounter) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.n.Add(int64(n))
	return n, err
}
