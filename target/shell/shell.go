package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/vlab-sim/vlab/target/vfs"
)

// System is what the shell's commands know of the host they run on.
type System interface {
	Hostname() string
	// Domain is the internal DNS domain (hostname -f).
	Domain() string
	// KernelRelease is the image's kernel (uname -r).
	KernelRelease() string
	// Sockets lists the host's TCP sockets.
	Sockets() []Socket
	// Interfaces lists the host's network interfaces (without lo).
	Interfaces() []Interface
	// Routes lists the host's own routing table, default route first.
	Routes() []Route
	// Now is the lab clock's time; Booted when the instance started.
	Now() time.Time
	Booted() time.Time
	// Processes lists what runs on the instance, as ps shows it.
	Processes() []Process
	// Start records a process (a command a session runs) until done is
	// called; cancel ends it (kill).
	Start(p Process, cancel context.CancelFunc) (pid int, done func())
	// Kill ends the process pid as signal sig would, as user uid.
	Kill(pid int, sig int, uid int) error
}

// Process is one line of ps.
type Process struct {
	PID, PPID int
	User      string
	TTY       string // "pts/0", or "?" without a terminal
	Started   time.Time
	Command   string // the command line
}

// Socket is a TCP socket as ss shows it.
type Socket struct {
	State string // ESTAB, LISTEN…
	Local netip.AddrPort
	Peer  netip.AddrPort
	// RecvQ and SendQ are ss's Recv-Q and Send-Q: a connection's unread
	// and unacknowledged bytes, a listener's waiting connections and
	// backlog.
	RecvQ, SendQ int
	// Users are the processes that hold the socket, highest number first
	// (ss -p).
	Users []SocketUser
}

// SocketUser is a process that holds a socket: users:(("sshd",pid=1843,fd=3)).
type SocketUser struct {
	Name    string // the program, as ps names it
	PID, FD int
	User    string // the process's user: ss -p shows only one's own unless root
}

// ShellWatcher is a System that is told of each shell made on it (the
// instance learns from a session's shell which sshd processes hold the
// session's connection).
type ShellWatcher interface {
	ShellStarted(c Config)
}

// Interface is a network interface as ip addr shows it.
type Interface struct {
	Name string
	MAC  string
	MTU  int
	Addr netip.Prefix
}

// Route is an OS route as ip route shows it.
type Route struct {
	Dst     netip.Prefix
	Gateway netip.Addr
	Dev     string
	Src     netip.Addr
}

// Command is a command of the instance. args[0] is its name; it returns
// its exit status.
type Command func(ctx context.Context, io IO, args []string) int

// IO is a command's standard streams, working directory, variables and
// filesystem, and the shell it runs in.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Shell          *Shell
	// Dir is the working directory.
	Dir string
	// FS is the instance's filesystem as the command's user sees it.
	FS *vfs.View
	// PID is the process the command runs as (ps, kill).
	PID int
	env expand.Environ
}

// Getenv returns a variable's value, "" when unset.
func (o IO) Getenv(name string) string {
	if o.env == nil {
		return ""
	}
	return o.env.Get(name).String()
}

// Environ lists the exported variables as NAME=value, sorted.
func (o IO) Environ() []string {
	var out []string
	if o.env != nil {
		o.env.Each(func(name string, vr expand.Variable) bool {
			if vr.Exported && vr.IsSet() {
				out = append(out, name+"="+vr.String())
			}
			return true
		})
	}
	sort.Strings(out)
	return out
}

// Path resolves a file name against the working directory.
func (o IO) Path(name string) string { return vfs.Abs(o.Dir, name) }

// Errorf writes "NAME: message" on stderr, as coreutils reports errors.
func (o IO) Errorf(name, format string, args ...any) {
	fmt.Fprintf(o.Stderr, name+": "+format+"\n", args...)
}

// User is the user a shell runs as.
type User struct {
	Name     string
	UID, GID int
	Home     string
}

// Users of every image: ec2-user, as cloud-init makes it, and root.
var (
	EC2User = User{Name: "ec2-user", UID: 1000, GID: 1000, Home: "/home/ec2-user"}
	Root    = User{Name: "root", UID: 0, GID: 0, Home: "/root"}
)

// With is u under another login name, with that name's home directory: an
// image whose login user is not ec2-user.
func (u User) With(name string) User {
	if name != "" && name != u.Name {
		u.Name, u.Home = name, "/home/"+name
	}
	return u
}

// Incomplete reports whether src ends inside a command (an open quote, a
// here-document, a loop without done): a script reader reads on.
func Incomplete(src string) bool {
	_, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), "")
	return syntax.IsIncomplete(err)
}

// Config is a shell's surroundings.
type Config struct {
	Sys System
	FS  *vfs.FS
	// User is who the shell runs as; Env its initial variables (USER,
	// HOME and LOGNAME are set from User).
	User User
	Env  map[string]string
	// TTY is the terminal's name ("pts/0"), "" without one.
	TTY string
	// PID and PPID are the shell's process and its parent's ($$, $PPID,
	// ps).
	PID, PPID int
	// Arg0 is $0: "-bash" for a login shell (the default), "bash" for
	// bash -c, as sshd runs a command.
	Arg0 string
	// Size reports the terminal's columns and rows (stty size, tput).
	Size func() (cols, rows int)
	// History lists the lines typed so far (history).
	History func() []string
	// Login runs an interactive login shell as another user in place of
	// the current one until it exits (sudo -i, sudo su -); nil where the
	// session cannot.
	Login func(ctx context.Context, u User) int
}

// Shell runs command lines in bash's language (mvdan.cc/sh's interpreter),
// with the instance's commands and filesystem. It is not safe for
// concurrent use: one session, one shell.
type Shell struct {
	Config
	runner   *interp.Runner
	commands map[string]Command
	status   int
	exited   bool
	out, err *syncWriter // the current line's streams
}

// New returns a shell with the instance's built-in commands.
func New(c Config) *Shell {
	s := &Shell{Config: c, commands: builtins()}
	if s.Size == nil {
		s.Size = func() (int, int) { return 80, 24 }
	}
	if s.Arg0 == "" {
		s.Arg0 = "-bash"
	}
	if s.History == nil {
		s.History = func() []string { return nil }
	}
	env := []string{}
	for k, v := range c.Env {
		env = append(env, k+"="+v)
	}
	uid := strconv.Itoa(c.User.UID)
	env = append(env, "USER="+c.User.Name, "LOGNAME="+c.User.Name, "HOME="+c.User.Home, "UID="+uid, "EUID="+uid, "PWD="+c.User.Home)
	s.out, s.err = &syncWriter{}, &syncWriter{}
	// No interp.Dir: it would look for the directory on the host.
	r, err := interp.New(
		interp.Env(homeEnviron{expand.ListEnviron(env...), map[string]string{
			"root": Root.Home, c.User.Name: c.User.Home, EC2User.Name: EC2User.Home,
			"bin": "/bin", "daemon": "/sbin", "sshd": "/usr/share/empty.sshd",
		}}),
		interp.Params(),
		interp.StdIO(nil, s.out, s.err),
		interp.ExecHandlers(func(interp.ExecHandlerFunc) interp.ExecHandlerFunc { return s.exec }),
		interp.CallHandler(s.call),
		interp.OpenHandler(s.open),
		interp.StatHandler(s.stat),
		interp.ReadDirHandler2(s.readDir),
		interp.AccessHandler(s.access),
	)
	if err != nil {
		panic(err) // the options above are fixed: a bug here is ours
	}
	r.Dir = c.User.Home
	r.Reset()
	s.runner = r
	if w, ok := c.Sys.(ShellWatcher); ok {
		w.ShellStarted(c)
	}
	return s
}

// Register adds or replaces a command (for commands whose implementation
// lives outside this package, such as tcpdump).
func (s *Shell) Register(name string, c Command) { s.commands[name] = c }

// Commands lists the command names, the shell's own included, sorted.
func (s *Shell) Commands() []string {
	seen := map[string]bool{}
	for k := range s.commands {
		seen[k] = true
	}
	for _, k := range shellBuiltins {
		seen[k] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Status is the exit status of the last command ($?).
func (s *Shell) Status() int { return s.status }

// Exited reports whether the shell ran exit (or logout).
func (s *Shell) Exited() bool { return s.exited }

// Dir is the shell's working directory.
func (s *Shell) Dir() string { return s.runner.Dir }

// Run parses and runs one command line (or a whole script) and returns
// the status of its last command. A syntax error is reported on stderr
// with status 2, as bash does.
func (s *Shell) Run(ctx context.Context, line string, stdin io.Reader, stdout, stderr io.Writer) (status int) {
	defer func() {
		// Whatever a remote user types ends, at worst, that line.
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "-bash: internal error: %v\n", r)
			s.status = StatusInternalError
			status = StatusInternalError
		}
	}()
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(line), "")
	if err != nil {
		fmt.Fprintf(stderr, "-bash: %s\n", syntaxError(err))
		s.status = 2
		return 2
	}
	if msg, st := unsupported(f, line); msg != "" {
		fmt.Fprintf(stderr, "-bash: %s\n", msg)
		s.status = st
		return st
	}
	s.ownPIDs(f)
	in, closeIn, err := stdinFile(stdin)
	if err != nil {
		fmt.Fprintf(stderr, "-bash: %v\n", err)
		s.status = StatusInternalError
		return StatusInternalError
	}
	defer closeIn()
	s.out.set(stdout)
	s.err.set(stderr)
	defer s.out.set(nil)
	defer s.err.set(nil)
	interp.StdIO(in, s.out, s.err)(s.runner)
	// Statement by statement: running a whole File would also run the
	// EXIT trap after every line.
	for _, st := range f.Stmts {
		err = s.runner.Run(ctx, st)
		s.status = 0
		if code, ok := interp.IsExitStatus(err); ok {
			s.status = int(code)
		} else if err != nil && ctx.Err() != nil {
			s.status = 130 // interrupted, as by SIGINT
		} else if err != nil {
			fmt.Fprintf(stderr, "-bash: %v\n", err)
			s.status = 1
		}
		if ctx.Err() != nil && s.status == 0 {
			s.status = 130
		}
		if s.runner.Exited() {
			s.exited = true
		}
		if s.exited || ctx.Err() != nil {
			break
		}
	}
	if background(f) {
		// The line ends when its background jobs do (cmd &): their
		// output goes to this line's streams, which the caller closes
		// after it. $? stays the line's.
		s.runner.Run(ctx, parseStmt("wait"))
		s.runner.Run(ctx, parseStmt(fmt.Sprintf("(exit %d)", s.status)))
	}
	return s.status
}

// background reports whether f starts a job in the background.
func background(f *syntax.File) (bg bool) {
	syntax.Walk(f, func(n syntax.Node) bool {
		if st, ok := n.(*syntax.Stmt); ok && st.Background {
			bg = true
		}
		return !bg
	})
	return bg
}

func parseStmt(src string) *syntax.Stmt {
	f, err := syntax.NewParser().Parse(strings.NewReader(src), "")
	if err != nil {
		panic(err) // our own fixed sources
	}
	return f.Stmts[0]
}

// syntaxError words a parse error as bash does.
func syntaxError(err error) string {
	var pe syntax.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("syntax error: %s", pe.Text)
	}
	return err.Error()
}

// unsupported names what the line uses that the simulated instance does
// not do, with the status to return: process substitution makes named
// pipes in the host's own temporary directory, which the instance must
// never touch. An assignment to no name (+=x), which bash runs as a
// command of that name, would stop the interpreter.
func unsupported(f *syntax.File, src string) (msg string, status int) {
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.ProcSubst:
			msg, status = "process substitution <(...) is not supported on this simulated instance; use a pipe or a file", 2
		case *syntax.Assign:
			if n.Name == nil || n.Name.Value == "" {
				word := src[min(int(n.Pos().Offset()), len(src)):min(int(n.End().Offset()), len(src))]
				msg, status = word+": command not found", 127
			}
		}
		return msg == ""
	})
	return msg, status
}

// stdinFile gives the interpreter the *os.File it needs as standard input
// (it shares it with pipeline stages): an OS pipe fed from r, closed when
// the line is done. The pipe never leaves the process.
func stdinFile(r io.Reader) (*os.File, func(), error) {
	if r == nil {
		return nil, func() {}, nil
	}
	if f, ok := r.(*os.File); ok {
		return f, func() {}, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	go func() {
		io.Copy(pw, r)
		pw.Close()
	}()
	return pr, func() {
		// The copier's next write fails: it ends. One still waiting on r
		// ends when r does; the line does not wait for it, as a command's
		// exit does not wait for its stdin's writer: sshd ends `sleep 9 |
		// ssh host true` at once, and scp -O's client closes its side only
		// once the session has ended.
		pr.Close()
	}, nil
}

// StatusInternalError is the status of a command that failed inside the
// simulated shell itself (sysexits.h's EX_SOFTWARE).
const StatusInternalError = 70

// StatusBrokenPipe is the status of a command whose output's reader went
// away (128 + SIGPIPE), as bash reports it.
const StatusBrokenPipe = 141

// syncWriter is a writer the interpreter keeps across lines whose target
// changes per line; writes from background jobs and pipeline stages are
// serialised.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *syncWriter) set(to io.Writer) {
	w.mu.Lock()
	w.w = to
	w.mu.Unlock()
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.w == nil {
		return len(p), nil // a background job writing after its line ended
	}
	return w.w.Write(p)
}
