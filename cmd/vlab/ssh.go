package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"
	"golang.org/x/term"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/vnet"
)

func newSSH() *cobra.Command {
	var (
		lf        labFlags
		timeout   time.Duration
		timeScale float64
	)
	cmd := &cobra.Command{
		Use:   "ssh [-- COMMAND [ARG…]]",
		Short: "SSH from the client PC through the NLB to the instance",
		Long: `Build the lab and open an SSH session from the client PC (203.0.113.10)
to the NLB's listener (198.51.100.10:51512), which forwards it to the
instance's port 22.

Without a command: an interactive shell on the instance (a raw terminal;
Ctrl-D or 'exit' leaves). With a command after '--': run it, pass its stdout
and stderr through unchanged, and exit with its status, as OpenSSH does
(arguments are joined with spaces). vlab exits 255 when no session could be
opened.

The instance serves a small shell of the simulated host: hostname, whoami,
echo, ss, ip addr, ip route, env, id, true, false, exit, and cat, head,
grep, wc for pipes; 'help' lists them.`,
		Example: `  vlab ssh
  vlab ssh -- 'echo $SSH_CLIENT'
  vlab ssh -- ss -tn
  vlab ssh --targets 2 --target ec2-2 -- hostname
  vlab ssh --file examples/two-nlbs.yaml --lb admin -- 'echo $SSH_CLIENT'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() > 0 {
				return &usageError{fmt.Errorf("ssh: put the remote command after '--' (vlab ssh -- %s)", strings.Join(args, " "))}
			}
			if err := checkTimeout(timeout); err != nil {
				return err
			}
			if err := checkTimeScale(timeScale); err != nil {
				return err
			}
			c, err := lf.config()
			if err != nil {
				return err
			}
			// Lab time follows the wall clock (captures show real intervals).
			c.ManualClock, c.TimeScale = false, timeScale
			return runSSH(&lf, c, strings.Join(args, " "), timeout)
		},
	}
	lf.register(cmd)
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "how long to wait for the connection and SSH handshake")
	cmd.Flags().Float64Var(&timeScale, "time-scale", 1, "interactive: how fast lab time runs (health checks, delays) against the wall clock")
	return cmd
}

func runSSH(lf *labFlags, c lab.Config, command string, timeout time.Duration) error {
	l, err := lf.buildFrom(c)
	if err != nil {
		return err
	}
	defer l.Close()
	if err := l.CanConnect(); err != nil {
		return &exitCode{code: exitNoSession, err: fmt.Errorf("ssh: %w", err)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	cfg := l.SSHConfig()
	cfg.Timeout = timeout
	// The library gives up as soon as the fabric drops a packet of the
	// session, with the drop: it explains the failure better than a
	// timeout would.
	ep := l.Endpoint()
	cl, err := l.Client.SSH(ctx, ep, cfg)
	cancel()
	if err != nil {
		var de *vnet.DropError
		if errors.As(err, &de) {
			err = fmt.Errorf("ssh: %s: %s", ep, de)
		}
		return &exitCode{code: exitNoSession, err: err}
	}
	defer cl.Close()
	// A session the fabric cuts (the NLB resetting an idle flow) ends with
	// the reason, not only "connection reset".
	var cut atomic.Pointer[vnet.DropEvent]
	if local, err := netip.ParseAddrPort(cl.LocalAddr().String()); err == nil {
		defer l.Net.WatchConnection(local, func(e vnet.DropEvent) { cut.CompareAndSwap(nil, &e) })()
	}
	ended := func(err error) error {
		var already *exitCode
		if !errors.As(err, &already) {
			err = exitStatus(err)
		}
		var ec *exitCode
		if e := cut.Load(); e != nil && errors.As(err, &ec) && ec.code == exitNoSession {
			ec.err = fmt.Errorf("ssh: %s: %s", ep, &vnet.DropError{Event: *e})
		}
		return err
	}
	s, err := cl.NewSession()
	if err != nil {
		return &exitCode{code: exitNoSession, err: fmt.Errorf("ssh: session: %w", err)}
	}
	defer s.Close()

	interactive := command == "" && term.IsTerminal(int(os.Stdin.Fd()))
	if interactive {
		return ended(interactiveShell(l, s))
	}
	s.Stdout, s.Stderr = os.Stdout, os.Stderr
	stdin, err := s.StdinPipe()
	if err != nil {
		return &exitCode{code: exitNoSession, err: err}
	}
	go func() {
		// Like OpenSSH, pass stdin through; a terminal's stdin is not read
		// for a remote command (ssh would wait for it too, but users of
		// `vlab ssh -- CMD` at a prompt expect it to return).
		if !term.IsTerminal(int(os.Stdin.Fd())) {
			io.Copy(stdin, os.Stdin)
		}
		stdin.Close()
	}()
	if command == "" {
		err = s.Shell()
		if err == nil {
			err = s.Wait()
		}
	} else {
		err = s.Run(command)
	}
	return ended(err)
}

// logEvents logs drops and target health changes to stderr until the
// returned function is called (vlab up's log: every event, one a line).
func logEvents(l *lab.Lab, eol string) (stop func()) {
	return watchEvents(l, func(key, line string) { fmt.Fprintf(os.Stderr, "vlab: %s%s", line, eol) })
}

// watchEvents hands each drop and target health change to emit, with a
// key saying which kind of event it is, until the returned function is
// called.
func watchEvents(l *lab.Lab, emit func(key, line string)) (stop func()) {
	var stopped atomic.Bool
	stopDrops := l.Net.OnDrop(func(e vnet.DropEvent) {
		if !stopped.Load() {
			emit(fmt.Sprintf("drop %s %s", e.Where, e.Reason), e.String())
		}
	})
	for _, tg := range l.TargetGroups {
		group := ""
		if len(l.TargetGroups) > 1 {
			group = " of " + tg.Name()
		}
		tg.OnHealthChange(func(h nlb.HealthChange) {
			if stopped.Load() {
				return
			}
			why := ""
			if h.Reason != "" {
				why = " (" + h.Reason + ")"
			}
			emit(fmt.Sprintf("health %s %d %s", h.TargetID, h.Port, h.To), fmt.Sprintf("%s target %s:%d%s %s -> %s%s", h.At.Format(time.RFC3339), h.TargetID, h.Port, group, h.From, h.To, why))
		})
	}
	return func() { stopped.Store(true); stopDrops() }
}

// quietInterval is how long an interactive session's log stays quiet
// about events of a kind it has just shown.
const quietInterval = 5 * time.Second

// terminalLog shows events in an interactive session: one line per kind of
// event per quietInterval (a drop storm is one line, then a count), each
// on a line of its own, after which the instance's line editor redraws
// its prompt and the line being typed, so that no message lands inside
// them. Events come from the fabric's own goroutines, which must not wait
// for the session: a worker of its own prints them.
type terminalLog struct {
	mu     sync.Mutex
	last   map[string]time.Time
	muted  map[string]int
	redraw func()
	out    io.Writer
	lines  chan string
	done   chan struct{}
}

func newTerminalLog(out io.Writer, redraw func()) *terminalLog {
	t := &terminalLog{last: map[string]time.Time{}, muted: map[string]int{}, redraw: redraw, out: out, lines: make(chan string, 64), done: make(chan struct{})}
	go t.run(t.lines)
	return t
}

func (t *terminalLog) emit(key, line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	if at, ok := t.last[key]; ok && now.Sub(at) < quietInterval {
		t.muted[key]++
		return
	}
	if n := t.muted[key]; n > 0 {
		line += fmt.Sprintf(" (and %d more like it in the last %v)", n, now.Sub(t.last[key]).Round(time.Second))
	}
	t.last[key], t.muted[key] = now, 0
	select {
	case t.lines <- line:
	default: // the terminal is behind: this line is dropped
	}
}

func (t *terminalLog) run(lines <-chan string) {
	defer close(t.done)
	for line := range lines {
		// Clear the line the cursor is on (the prompt), print, and ask
		// the instance to draw its prompt again.
		fmt.Fprintf(t.out, "\r\x1b[Kvlab: %s\r\n", line)
		if t.redraw != nil {
			t.redraw()
		}
	}
}

// close stops the worker once the lines queued are printed.
func (t *terminalLog) close() {
	t.mu.Lock()
	close(t.lines)
	t.lines = nil
	t.mu.Unlock()
	select {
	case <-t.done:
	case <-time.After(time.Second): // a redraw stuck on a dead connection
	}
}

// exitStatus turns a session's end into vlab's exit.
func exitStatus(err error) error {
	var ee *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		return &exitCode{code: ee.ExitStatus()}
	case errors.As(err, &missing):
		return &exitCode{code: exitNoSession, err: errors.New("ssh: the session ended without an exit status")}
	}
	return &exitCode{code: exitNoSession, err: err}
}

// interactiveShell runs a shell with a pty, the local terminal in raw mode
// and its size kept in step.
func interactiveShell(l *lab.Lab, s *ssh.Session) error {
	in, out := int(os.Stdin.Fd()), int(os.Stdout.Fd())
	w, h, err := term.GetSize(out)
	if err != nil {
		w, h = 80, 24
	}
	termName := os.Getenv("TERM")
	if termName == "" {
		termName = "xterm-256color"
	}
	if err := s.RequestPty(termName, h, w, ssh.TerminalModes{ssh.ECHO: 1}); err != nil {
		return &exitCode{code: exitNoSession, err: fmt.Errorf("ssh: pty: %w", err)}
	}
	old, err := term.MakeRaw(in)
	if err != nil {
		return &exitCode{code: exitNoSession, err: fmt.Errorf("terminal: %w", err)}
	}
	defer term.Restore(in, old)

	// Drops and health changes are shown as they happen, on stderr, in
	// raw-mode line endings, rate-limited, never inside the prompt line:
	// a window-change request of the same size makes the instance's line
	// editor redraw the prompt after each message.
	tl := newTerminalLog(os.Stderr, func() {
		if w, h, err := term.GetSize(out); err == nil {
			s.WindowChange(h, w)
		}
	})
	defer tl.close()
	defer watchEvents(l, tl.emit)()

	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	defer signal.Stop(winch)
	go func() {
		for range winch {
			if w, h, err := term.GetSize(out); err == nil {
				s.WindowChange(h, w)
			}
		}
	}()
	s.Stdin, s.Stdout, s.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := s.Shell(); err != nil {
		return &exitCode{code: exitNoSession, err: fmt.Errorf("ssh: shell: %w", err)}
	}
	err = s.Wait()
	term.Restore(in, old)
	return err
}
