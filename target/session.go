package target

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/ssh"
	"golang.org/x/term"

	"github.com/vlab-sim/vlab/target/shell"
)

// session is one SSH session channel: its environment, optional pty, and
// the one program (shell or command) it runs.
type session struct {
	// ctx ends when the client closes the channel (sshd hangs the
	// session's program up) or the connection ends.
	ctx     context.Context
	cancel  context.CancelFunc
	connCtx context.Context // the connection's: ends when the server stops
	in      *Instance
	conn    *ssh.ServerConn
	ch      lockedChannel

	mu      sync.Mutex
	env     map[string]string
	pty     bool
	cols    int
	rows    int
	term    *term.Terminal
	started bool
	done    chan struct{}
}

func newSession(ctx context.Context, in *Instance, conn *ssh.ServerConn, ch ssh.Channel) *session {
	home := "/home/" + in.user
	sctx, cancel := context.WithCancel(ctx)
	s := &session{
		ctx: sctx, cancel: cancel, connCtx: ctx, in: in, conn: conn, ch: newLockedChannel(ch), cols: 80, rows: 24, done: make(chan struct{}),
		env: map[string]string{
			"USER": in.user, "LOGNAME": in.user, "HOME": home, "PWD": home,
			"SHELL": "/bin/bash", "HOSTNAME": in.hostname,
			"PATH": "/usr/local/bin:/usr/bin:/usr/local/sbin:/usr/sbin",
		},
	}
	// OpenSSH sets these from its own view of the TCP connection: the peer
	// and local addresses the server's socket has.
	rh, rp := splitAddr(conn.RemoteAddr())
	lh, lp := splitAddr(conn.LocalAddr())
	s.env["SSH_CLIENT"] = fmt.Sprintf("%s %s %s", rh, rp, lp)
	s.env["SSH_CONNECTION"] = fmt.Sprintf("%s %s %s %s", rh, rp, lh, lp)
	return s
}

func splitAddr(a net.Addr) (string, string) {
	h, p, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String(), "0"
	}
	return h, p
}

func (s *session) serve(reqs <-chan *ssh.Request) {
	defer s.ch.Close()
	defer s.cancel()
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(s.ch.Stderr(), "vlab: internal error handling a request of this session: %v\r\n", r)
		}
	}()
	for {
		select {
		case r, ok := <-reqs:
			if !ok {
				// The client closed the channel: hang the program up, as
				// sshd does, and wait for it to end.
				s.cancel()
				s.wait()
				return
			}
			s.request(r)
		case <-s.done:
			// The program ended and closed the channel; drain what the
			// client still sends until the library closes reqs.
			for r := range reqs {
				if r.WantReply {
					r.Reply(false, nil)
				}
			}
			return
		case <-s.ctx.Done():
			return
		}
	}
}

func (s *session) wait() {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if started {
		select {
		case <-s.done:
		case <-s.connCtx.Done():
		}
	}
}

func (s *session) request(r *ssh.Request) {
	reply := func(ok bool) {
		if r.WantReply {
			r.Reply(ok, nil)
		}
	}
	switch r.Type {
	case "env":
		var kv struct{ Name, Value string }
		// Amazon Linux's sshd accepts the locale variables (AcceptEnv LANG
		// LC_*) and nothing else.
		if ssh.Unmarshal(r.Payload, &kv) == nil && (kv.Name == "LANG" || strings.HasPrefix(kv.Name, "LC_")) {
			s.mu.Lock()
			s.env[kv.Name] = kv.Value
			s.mu.Unlock()
			reply(true)
			return
		}
		reply(false)
	case "pty-req":
		var p struct {
			Term                         string
			Cols, Rows, WidthPx, HightPx uint32
			Modes                        string
		}
		if err := ssh.Unmarshal(r.Payload, &p); err != nil {
			reply(false)
			return
		}
		s.mu.Lock()
		s.pty, s.cols, s.rows = true, int(p.Cols), int(p.Rows)
		s.env["TERM"] = p.Term
		s.env["SSH_TTY"] = "/dev/pts/0"
		s.mu.Unlock()
		reply(true)
	case "window-change":
		var p struct{ Cols, Rows, WidthPx, HeightPx uint32 }
		if ssh.Unmarshal(r.Payload, &p) == nil {
			s.mu.Lock()
			s.cols, s.rows = int(p.Cols), int(p.Rows)
			if s.term != nil {
				s.term.SetSize(s.cols, s.rows)
			}
			s.mu.Unlock()
		}
		reply(true)
	case "shell", "exec":
		var cmd struct{ Command string }
		if r.Type == "exec" && ssh.Unmarshal(r.Payload, &cmd) != nil {
			reply(false)
			return
		}
		s.mu.Lock()
		if s.started {
			s.mu.Unlock()
			reply(false)
			return
		}
		s.started = true
		s.mu.Unlock()
		reply(true)
		go s.run(r.Type == "exec", cmd.Command)
	case "subsystem":
		var sub struct{ Name string }
		ssh.Unmarshal(r.Payload, &sub)
		fmt.Fprintf(s.ch.Stderr(), "vlab: subsystem %q is not available on this simulated instance (no sftp; use ssh -- COMMAND)\r\n", sub.Name)
		reply(false)
	case "auth-agent-req@openssh.com":
		fmt.Fprint(s.ch.Stderr(), "vlab: agent forwarding is refused on this simulated instance\r\n")
		reply(false)
	case "x11-req":
		fmt.Fprint(s.ch.Stderr(), "vlab: X11 forwarding is refused on this simulated instance\r\n")
		reply(false)
	default:
		reply(false)
	}
}

// run runs the session's program and reports its exit status, as sshd
// does, before closing the channel.
func (s *session) run(exec bool, command string) {
	defer close(s.done)
	defer func() {
		// A bug in the simulated instance ends this session with an error
		// and a status, as a crashed program would; the lab lives on.
		if r := recover(); r != nil {
			fmt.Fprintf(s.ch.Stderr(), "vlab: internal error in the instance's session: %v\r\n", r)
			s.ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{shell.StatusInternalError}))
			s.ch.CloseWrite()
			s.ch.Close()
		}
	}()
	s.mu.Lock()
	sh := shell.New(system{s.in}, s.env)
	sh.Register("tcpdump", s.in.tcpdump)
	sh.Register("curl", s.in.curl)
	pty := s.pty
	s.mu.Unlock()
	var status int
	switch {
	case exec && pty:
		w := crlfWriter{s.ch}
		status = sh.Run(s.ctx, command, s.ch, w, w)
	case exec:
		status = sh.Run(s.ctx, command, s.ch, s.ch, s.ch.Stderr())
	case pty:
		status = s.interactive(sh)
	default:
		status = s.script(sh)
	}
	s.ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(status)}))
	s.ch.CloseWrite()
	s.ch.Close()
}

// prompt is bash's default prompt on Amazon Linux: [user@host dir]$.
func (s *session) prompt() string {
	return fmt.Sprintf("[%s@%s ~]$ ", s.in.user, s.in.hostname)
}

func (s *session) interactive(sh *shell.Shell) int {
	// A pump reads the terminal's keys all the time, so that Ctrl-C can
	// interrupt a running command (tcpdump) as it does in bash; between
	// commands the keys go to the line editor.
	var running atomic.Pointer[context.CancelFunc]
	pr, pw := io.Pipe()
	defer pr.Close()
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := s.ch.Read(buf)
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			data := buf[:n]
			if c := running.Load(); c != nil && bytes.IndexByte(data, 3) >= 0 {
				(*c)()
				data = bytes.ReplaceAll(data, []byte{3}, nil)
			}
			if _, err := pw.Write(data); err != nil {
				return
			}
		}
	}()
	t := term.NewTerminal(interruptReader{struct {
		io.Reader
		io.Writer
	}{pr, s.ch}}, s.prompt())
	s.mu.Lock()
	s.term = t
	t.SetSize(s.cols, s.rows)
	s.mu.Unlock()
	for {
		line, err := t.ReadLine()
		if err != nil {
			// Ctrl-D on an empty line.
			io.WriteString(t, "logout\n")
			return sh.Status()
		}
		ctx, cancel := context.WithCancel(s.ctx)
		running.Store(&cancel)
		st := sh.Run(ctx, line, nil, t, t)
		running.Store(nil)
		cancel()
		if sh.Exited {
			io.WriteString(t, "logout\n")
			return st
		}
	}
}

// script runs a shell without a terminal, reading commands from the
// channel line by line, as `echo cmd | ssh host` does.
func (s *session) script(sh *shell.Shell) int {
	sc := bufio.NewScanner(s.ch)
	for sc.Scan() {
		sh.Run(s.ctx, sc.Text(), nil, s.ch, s.ch.Stderr())
		if sh.Exited {
			break
		}
	}
	return sh.Status()
}

// interruptReader turns Ctrl-C into "kill the line, then Enter", so that a
// terminal's Ctrl-C abandons the line and shows a new prompt, as bash does,
// instead of ending the session (x/term reports Ctrl-C as end of input).
type interruptReader struct{ rw io.ReadWriter }

func (r interruptReader) Read(p []byte) (int, error) {
	n, err := r.rw.Read(p)
	if n > 0 && strings.IndexByte(string(p[:n]), 3) >= 0 {
		out := strings.ReplaceAll(string(p[:n]), "\x03", "\x05\x15\r")
		if len(out) <= len(p) {
			return copy(p, out), err
		}
	}
	return n, err
}

func (r interruptReader) Write(p []byte) (int, error) { return r.rw.Write(p) }

// crlfWriter converts \n to \r\n, as a pty's output processing does.
type crlfWriter struct{ w io.Writer }

func (c crlfWriter) Write(p []byte) (int, error) {
	if _, err := c.w.Write([]byte(strings.ReplaceAll(string(p), "\n", "\r\n"))); err != nil {
		return 0, err
	}
	return len(p), nil
}
