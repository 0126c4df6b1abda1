package target

import (
	"context"
	"sync"
	"time"

	"github.com/vlab-sim/vlab/target/shell"
)

// procs is an instance's process table: what ps lists and kill ends. The
// instance's daemons are permanent entries; sessions and their commands
// come and go.
type procs struct {
	mu     sync.Mutex
	next   int
	byPID  map[int]*proc
	booted time.Time
	ptys   map[int]bool
	// last is the previous login, for the next login's banner.
	last struct {
		at   time.Time
		from string
	}
}

// pty allocates the lowest free pseudo-terminal number, as the kernel
// does, until free is called.
func (t *procs) pty() (n int, free func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ptys == nil {
		t.ptys = map[int]bool{}
	}
	for t.ptys[n] {
		n++
	}
	t.ptys[n] = true
	return n, func() {
		t.mu.Lock()
		delete(t.ptys, n)
		t.mu.Unlock()
	}
}

type proc struct {
	shell.Process
	cancel context.CancelFunc // nil for what kill cannot end (the daemons)
}

// sshdPID is the SSH server's process number: early in boot, as on a real
// instance.
const sshdPID = 1843

func newProcs(booted time.Time) *procs {
	p := &procs{next: 3000, byPID: map[int]*proc{}, booted: booted}
	for _, d := range []shell.Process{
		{PID: 1, User: "root", TTY: "?", Command: "/usr/lib/systemd/systemd --switched-root --system --deserialize=32"},
		{PID: 1512, PPID: 1, User: "root", TTY: "?", Command: "/usr/lib/systemd/systemd-journald"},
		{PID: 1790, PPID: 1, User: "root", TTY: "?", Command: "/usr/sbin/amazon-ssm-agent"},
		{PID: sshdPID, PPID: 1, User: "root", TTY: "?", Command: "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"},
	} {
		d.Started = booted
		p.byPID[d.PID] = &proc{Process: d}
	}
	return p
}

// start records p and returns its number and the function that removes
// it.
func (t *procs) start(p shell.Process, cancel context.CancelFunc, now time.Time) (int, func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.next++
	p.PID, p.Started = t.next, now
	t.byPID[p.PID] = &proc{Process: p, cancel: cancel}
	pid := p.PID
	return pid, func() {
		t.mu.Lock()
		delete(t.byPID, pid)
		t.mu.Unlock()
	}
}

// reserve takes a process number for a process recorded later (sshd's
// per-connection process logs before it has a name).
func (t *procs) reserve() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.next++
	return t.next
}

// startAs records p under a number reserve gave.
func (t *procs) startAs(pid int, p shell.Process, now time.Time) func() {
	t.mu.Lock()
	defer t.mu.Unlock()
	p.PID, p.Started = pid, now
	t.byPID[pid] = &proc{Process: p}
	return func() {
		t.mu.Lock()
		delete(t.byPID, pid)
		t.mu.Unlock()
	}
}

// lastPID is the most recently allocated pid (/proc/loadavg's last
// field), read under mu: sessions start processes concurrently.
func (t *procs) lastPID() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.next
}

func (t *procs) list() []shell.Process {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]shell.Process, 0, len(t.byPID))
	for _, p := range t.byPID {
		out = append(out, p.Process)
	}
	return out
}

// kill ends pid for uid (root ends anything; a user, its own). user is
// uid's name: the instance's login user (Config.User), whose name its
// processes are recorded under, which need not be ec2-user. Signal 0 only
// checks, as kill(2) does.
func (t *procs) kill(pid, sig, uid int, user string) error {
	t.mu.Lock()
	p, ok := t.byPID[pid]
	t.mu.Unlock()
	if !ok {
		return shell.ErrNoProcess
	}
	if uid != 0 && p.User != user {
		return shell.ErrNotPermitted
	}
	if sig == 0 {
		return nil
	}
	if p.cancel == nil {
		if uid != 0 {
			return shell.ErrNotPermitted
		}
		return nil // the daemons of a simulated instance cannot be stopped
	}
	p.cancel()
	return nil
}

// login records a login from addr at now and returns the previous one's
// "Last login:" line, "" for the first.
func (t *procs) login(now time.Time, from string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	line := ""
	if !t.last.at.IsZero() {
		line = "Last login: " + t.last.at.Format("Mon Jan _2 15:04:05 2006") + " from " + t.last.from + "\n"
	}
	t.last.at, t.last.from = now, from
	return line
}
