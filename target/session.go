package target

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"path"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/target/lineedit"
	"github.com/vlab-sim/vlab/target/shell"
	"github.com/vlab-sim/vlab/target/vfs"
)

// session is one SSH session channel: its environment, optional pty, and
// the one program (shell or command) it runs.
type session struct {
	// ctx ends when the client closes the channel (sshd hangs the
	// session's program up) or the connection ends.
	ctx    context.Context
	cancel context.CancelFunc
	in     *Instance
	conn   *ssh.ServerConn
	ch     lockedChannel

	mu      sync.Mutex
	env     map[string]string
	pty     bool
	cols    int
	rows    int
	priv    int // sshd's process for the connection
	editor  *lineedit.Editor
	hist    []string
	started bool
	done    chan struct{}
}

func newSession(ctx context.Context, in *Instance, conn *ssh.ServerConn, ch ssh.Channel, priv int) *session {
	home := "/home/" + in.user
	sctx, cancel := context.WithCancel(ctx)
	s := &session{
		ctx: sctx, cancel: cancel, in: in, conn: conn, ch: newLockedChannel(ch), cols: 80, rows: 24, done: make(chan struct{}), priv: priv,
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
	// Last, once the program is hung up and its channel closed (which
	// ends a write blocked on the client), wait for the program: the
	// server's close and Instance.Close/Stop wait for serve, so no shell
	// or sftp-server outlives them.
	defer s.wait()
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

// wait waits for the session's program, if one was started, to end. Every
// program ends once s.ctx is cancelled, so this does not wait on the
// connection too: returning at its end would leave the program running
// past the server's close.
func (s *session) wait() {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if started {
		<-s.done
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
			if s.editor != nil {
				s.editor.SetSize(s.cols, s.rows)
				// vlab ssh asks for a redraw this way after printing an
				// event of the lab's over the prompt.
				s.editor.Refresh()
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
		s.subsystem(r)
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
	pty := s.pty
	s.mu.Unlock()
	// sshd's processes for the session, and the shell it starts: what ps
	// shows.
	tty := ""
	if pty {
		n, free := s.in.procs.pty()
		defer free()
		tty = fmt.Sprintf("pts/%d", n)
		s.mu.Lock()
		s.env["SSH_TTY"] = "/dev/" + tty
		s.mu.Unlock()
	}
	now := s.in.now()
	priv := s.priv
	child := "sshd: " + s.in.user
	if tty != "" {
		child += "@" + tty
	} else {
		child += "@notty"
	}
	sshd, endSSHD := s.in.procs.start(shell.Process{PPID: priv, User: s.in.user, TTY: "?", Command: child}, nil, now)
	defer endSSHD()
	shellName := "-bash"
	if exec {
		shellName = "bash"
	}
	bashPID, endBash := s.in.procs.start(shell.Process{PPID: sshd, User: s.in.user, TTY: orQ(tty), Command: shellName}, s.cancel, now)
	defer endBash()
	if tty != "" {
		// utmp and wtmp: who, w and last list sessions with a terminal.
		from, _ := splitAddr(s.conn.RemoteAddr())
		defer s.in.loginStart(s.in.user, tty, from, bashPID)()
	}
	sh := s.newShell(shell.EC2User.With(s.in.user), tty, bashPID, sshd, shellName)
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

func orQ(tty string) string {
	if tty == "" {
		return "?"
	}
	return tty
}

// newShell is a shell of the session's, as user u.
func (s *session) newShell(u shell.User, tty string, pid, ppid int, arg0 string) *shell.Shell {
	s.mu.Lock()
	env := make(map[string]string, len(s.env))
	for k, v := range s.env {
		env[k] = v
	}
	s.mu.Unlock()
	sh := shell.New(shell.Config{
		Sys: system{s.in}, FS: s.in.fs, User: u, Env: env, TTY: tty, PID: pid, PPID: ppid, Arg0: arg0,
		Size: s.size, History: s.history,
	})
	for name, c := range s.in.commands() {
		sh.Register(name, c)
	}
	for name, c := range s.in.loginCommands() {
		sh.Register(name, c)
	}
	for name, c := range s.in.programCommands() {
		sh.Register(name, c)
	}
	return sh
}

// size is the terminal's size; a 0x0 window (ssh -tt from a script) counts
// as 80x24, as a terminal emulator's default.
func (s *session) size() (cols, rows int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cols, rows = s.cols, s.rows
	if cols <= 0 {
		cols = 80
	}
	if rows <= 0 {
		rows = 24
	}
	return cols, rows
}

func (s *session) history() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.hist...)
}

// prompt is bash's default prompt on Amazon Linux: [user@host dir]$, with
// # for root and ~ for the home directory.
func (s *session) prompt(sh *shell.Shell) string {
	dir := sh.Dir()
	switch {
	case dir == sh.User.Home:
		dir = "~"
	case dir != "/":
		dir = path.Base(dir)
	}
	sign := "$"
	if sh.User.UID == 0 {
		sign = "#"
	}
	return fmt.Sprintf("[%s@%s %s]%s ", sh.User.Name, s.in.hostname, dir, sign)
}

func (s *session) interactive(sh *shell.Shell) int {
	// A pump reads the terminal's keys all the time into a queue that never
	// blocks it, so that Ctrl-C interrupts a running command (tcpdump) even
	// behind typed-ahead keys, as a tty's interrupt character does (and,
	// as it does, flushes them); between commands the keys go to the line
	// editor.
	var running atomic.Pointer[context.CancelFunc]
	keys := newKeyQueue()
	defer keys.close()
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := s.ch.Read(buf)
			if err != nil {
				keys.end(err)
				return
			}
			data := buf[:n]
			if c := running.Load(); c != nil && bytes.IndexByte(data, 3) >= 0 {
				keys.flush()
				(*c)()
				data = data[bytes.LastIndexByte(data, 3)+1:]
			}
			keys.push(data)
		}
	}()
	ed := lineedit.New(keys, s.ch)
	ed.SetCompleter(completer(sh))
	s.mu.Lock()
	s.editor = ed
	s.mu.Unlock()
	ed.SetSize(s.size())
	s.in.greet(ed, s.conn.RemoteAddr())
	return s.loop(ed, sh, &running)
}

// loop reads and runs lines of sh until it exits or the terminal ends; a
// root login shell (sudo -i) runs its own loop inside.
func (s *session) loop(ed *lineedit.Editor, sh *shell.Shell, running *atomic.Pointer[context.CancelFunc]) int {
	sh.Login = func(ctx context.Context, u shell.User) int {
		root := s.newShell(u, sh.TTY, sh.PID+1, sh.PID, "-bash")
		root.Run(ctx, "cd", nil, io.Discard, io.Discard)
		st := s.loop(ed, root, running)
		return st
	}
	for {
		ed.SetPrompt(s.prompt(sh))
		line, err := ed.ReadLine()
		if err == lineedit.ErrInterrupt {
			continue
		}
		if err != nil {
			// Ctrl-D on an empty line.
			io.WriteString(ed, "logout\n")
			return sh.Status()
		}
		s.mu.Lock()
		s.hist = ed.History()
		s.mu.Unlock()
		ctx, cancel := context.WithCancel(s.ctx)
		running.Store(&cancel)
		st := sh.Run(ctx, line, nil, ed, ed)
		running.Store(nil)
		if ctx.Err() != nil && s.ctx.Err() == nil {
			io.WriteString(ed, "^C\n") // bash shows the interrupt
		}
		cancel()
		if sh.Exited() {
			io.WriteString(ed, "logout\n")
			return st
		}
	}
}

// completer completes command names at the start of a line and paths
// elsewhere, as bash does.
func completer(sh *shell.Shell) func(line string, pos int) (int, []string) {
	return func(line string, pos int) (int, []string) {
		start := strings.LastIndexAny(line[:pos], " \t;|&<>(") + 1
		word := line[start:pos]
		first := strings.TrimSpace(line[:start]) == "" || strings.ContainsAny(line[start-1:start], ";|&(")
		if first && !strings.Contains(word, "/") {
			var out []string
			for _, c := range sh.Commands() {
				if strings.HasPrefix(c, word) {
					out = append(out, c)
				}
			}
			return start, out
		}
		dir, base := path.Split(word)
		look := dir
		if look == "" {
			look = "."
		}
		if strings.HasPrefix(look, "~") {
			look = sh.User.Home + look[1:]
		}
		ents, err := sh.FS.As(sh.User.UID, sh.User.GID).ReadDir(vfs.Abs(sh.Dir(), look))
		if err != nil {
			return start, nil
		}
		var out []string
		for _, e := range ents {
			if !strings.HasPrefix(e.Name(), base) || strings.HasPrefix(e.Name(), ".") && !strings.HasPrefix(base, ".") {
				continue
			}
			c := dir + e.Name()
			if e.IsDir() {
				c += "/"
			}
			out = append(out, c)
		}
		return start, out
	}
}

// script runs a shell without a terminal, reading commands from the
// channel line by line, as `echo cmd | ssh host` does.
func (s *session) script(sh *shell.Shell) int {
	r := bufio.NewReader(s.ch)
	var src strings.Builder
	for {
		line, err := r.ReadString('\n')
		src.WriteString(line)
		// A command may span lines (a loop, a here-document): bash runs
		// each command once it is whole.
		if src.Len() > 0 && (err != nil || !shell.Incomplete(src.String())) {
			sh.Run(s.ctx, src.String(), nil, s.ch, s.ch.Stderr())
			src.Reset()
			if sh.Exited() {
				break
			}
		}
		if err != nil {
			break
		}
	}
	return sh.Status()
}

// crlfWriter converts \n to \r\n, as a pty's output processing does.
type crlfWriter struct{ w io.Writer }

func (c crlfWriter) Write(p []byte) (int, error) {
	if _, err := c.w.Write([]byte(strings.ReplaceAll(string(p), "\n", "\r\n"))); err != nil {
		return 0, err
	}
	return len(p), nil
}
