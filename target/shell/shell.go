package shell

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"sync"
)

// System is what the shell's commands know of the host they run on.
type System interface {
	Hostname() string
	// Sockets lists the host's TCP sockets.
	Sockets() []Socket
	// Interfaces lists the host's network interfaces (without lo).
	Interfaces() []Interface
	// Routes lists the host's own routing table, default route first.
	Routes() []Route
}

// Socket is a TCP socket as ss shows it.
type Socket struct {
	State string // ESTAB, LISTEN…
	Local netip.AddrPort
	Peer  netip.AddrPort
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

// Command is a built-in command. It returns the exit status.
type Command func(ctx context.Context, io IO, args []string) int

// IO is a command's standard streams and the shell it runs in.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Shell          *Shell
}

// Shell runs command lines. It is not safe for concurrent use: one session,
// one shell.
type Shell struct {
	Sys System
	Env map[string]string
	// Exited is set by the exit builtin; Status is then the status to exit
	// with.
	Exited bool

	status   int
	commands map[string]Command
}

// New returns a shell with the built-in commands and env as its variables.
func New(sys System, env map[string]string) *Shell {
	s := &Shell{Sys: sys, Env: map[string]string{}, commands: builtins()}
	for k, v := range env {
		s.Env[k] = v
	}
	return s
}

// Register adds or replaces a command (for commands whose implementation
// lives outside this package, such as tcpdump).
func (s *Shell) Register(name string, c Command) { s.commands[name] = c }

// Commands lists the command names, sorted.
func (s *Shell) Commands() []string {
	out := make([]string, 0, len(s.commands))
	for k := range s.commands {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Status is the exit status of the last command ($?).
func (s *Shell) Status() int { return s.status }

// Run parses and runs one line and returns the status of its last command.
// A syntax error is reported on stderr with status 2, as bash does.
func (s *Shell) Run(ctx context.Context, line string, stdin io.Reader, stdout, stderr io.Writer) (status int) {
	defer func() {
		// Whatever a remote user types ends, at worst, that line.
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "-bash: internal error: %v\n", r)
			s.status = StatusInternalError
			status = StatusInternalError
		}
	}()
	items, err := parse(line)
	if err != nil {
		fmt.Fprintf(stderr, "-bash: %v\n", err)
		s.status = 2
		return 2
	}
	run := true
	for _, it := range items {
		if run {
			s.status = s.runPipeline(ctx, it.pipe, stdin, stdout, stderr)
			if s.Exited {
				return s.status
			}
		}
		switch it.next {
		case opSeq:
			run = true
		case opAnd:
			run = s.status == 0
		case opOr:
			run = s.status != 0
		}
	}
	return s.status
}

// subshell returns a copy of s for one pipeline stage: the same commands
// and system, its own variables and status; exit ends only the subshell.
func (s *Shell) subshell() *Shell {
	sub := &Shell{Sys: s.Sys, Env: make(map[string]string, len(s.Env)), status: s.status, commands: s.commands}
	for k, v := range s.Env {
		sub.Env[k] = v
	}
	return sub
}

func (s *Shell) runPipeline(ctx context.Context, p pipeline, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(p.cmds) == 1 {
		return s.runSimpleSafe(ctx, p.cmds[0], stdin, stdout, stderr)
	}
	statuses := make([]int, len(p.cmds))
	var wg sync.WaitGroup
	in := stdin
	for i, c := range p.cmds {
		var out io.Writer = stdout
		var pw *io.PipeWriter
		var next io.Reader
		if i < len(p.cmds)-1 {
			pr, w := io.Pipe()
			pw, out, next = w, w, pr
		}
		// Each stage runs in a subshell, as bash runs it: its own copy of
		// the variables, so A=1 | env neither sees nor leaves A=1, and no
		// two stages share a map.
		sub := s.subshell()
		wg.Add(1)
		go func(i int, c simple, in io.Reader, out io.Writer, pw *io.PipeWriter) {
			defer wg.Done()
			statuses[i] = sub.runSimpleSafe(ctx, c, in, out, stderr)
			if pw != nil {
				pw.Close()
			}
			// A reader that stops early (head) must not block the writer;
			// the caller's own stdin (stage 0's) is not the pipeline's to
			// close.
			if r, ok := in.(*io.PipeReader); ok && i > 0 {
				r.Close()
			}
		}(i, c, in, out, pw)
		in = next
	}
	wg.Wait()
	return statuses[len(statuses)-1]
}

// runSimpleSafe runs one command, turning a panic inside it into an error
// on stderr and status 70 (EX_SOFTWARE): a command's bug ends that command,
// never the session or the lab.
func (s *Shell) runSimpleSafe(ctx context.Context, c simple, stdin io.Reader, stdout, stderr io.Writer) (status int) {
	defer func() {
		if r := recover(); r != nil {
			name := "command"
			if len(c.words) > 0 && len(c.words[0]) > 0 {
				name = c.words[0][0].text
			}
			fmt.Fprintf(stderr, "-bash: %s: internal error: %v\n", name, r)
			status = StatusInternalError
		}
	}()
	return s.runSimple(ctx, c, stdin, stdout, stderr)
}

// StatusInternalError is the status of a command that failed inside the
// simulated shell itself (sysexits.h's EX_SOFTWARE).
const StatusInternalError = 70

func (s *Shell) runSimple(ctx context.Context, c simple, stdin io.Reader, stdout, stderr io.Writer) int {
	var args []string
	for _, w := range c.words {
		args = append(args, s.expand(w)...)
	}
	// Leading NAME=value words set shell variables.
	for len(args) > 0 {
		name, value, ok := assignment(args[0])
		if !ok {
			break
		}
		s.Env[name] = value
		args = args[1:]
	}
	if len(args) == 0 {
		return 0
	}
	cmd, ok := s.commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "-bash: %s: command not found\n", args[0])
		return 127
	}
	return cmd(ctx, IO{Stdin: stdin, Stdout: stdout, Stderr: stderr, Shell: s}, args)
}
