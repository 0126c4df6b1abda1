package target

import (
	"context"
	"fmt"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/vlab-sim/vlab/target/shell"
)

// login is a session with a terminal as utmp and wtmp record it: what who,
// w and last list.
type login struct {
	User, TTY, From string
	At, End         time.Time // End is zero while the session lasts
	PID             int       // the session's shell
}

// logins are the instance's utmp (current) and wtmp (all) records.
type logins struct {
	all []*login
}

// loginStart records a session with a terminal and returns the function
// that ends its record.
func (in *Instance) loginStart(user, tty, from string, pid int) func() {
	l := &login{User: user, TTY: tty, From: from, At: in.now(), PID: pid}
	in.procs.mu.Lock()
	in.logins.all = append(in.logins.all, l)
	in.procs.mu.Unlock()
	return func() {
		in.procs.mu.Lock()
		l.End = in.now()
		in.procs.mu.Unlock()
	}
}

// records returns a copy of the wtmp records, oldest first.
func (in *Instance) records() []login {
	in.procs.mu.Lock()
	defer in.procs.mu.Unlock()
	out := make([]login, 0, len(in.logins.all))
	for _, l := range in.logins.all {
		out = append(out, *l)
	}
	return out
}

func (in *Instance) current() []login {
	var out []login
	for _, l := range in.records() {
		if l.End.IsZero() {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TTY < out[j].TTY })
	return out
}

// who lists who is logged in, as coreutils' who prints it.
func (in *Instance) who(_ context.Context, o shell.IO, args []string) int {
	for _, l := range in.current() {
		fmt.Fprintf(o.Stdout, "%-8s %-12s %s (%s)\n", l.User, l.TTY, l.At.Format("2006-01-02 15:04"), l.From)
	}
	return 0
}

// w lists who is logged in and what they run, as procps' w prints it.
func (in *Instance) w(ctx context.Context, o shell.IO, args []string) int {
	users := in.current()
	fmt.Fprintln(o.Stdout, shell.UptimeLine(in.now(), in.bootTime(), len(users)))
	tw := tabwriter.NewWriter(o.Stdout, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "USER\tTTY\tFROM\tLOGIN@\tIDLE\tJCPU\tPCPU\tWHAT")
	procs := in.procs.list()
	for _, l := range users {
		what := "-bash"
		for _, p := range procs {
			if p.TTY == l.TTY && p.PID > l.PID && p.PPID == l.PID {
				what = p.Command
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t0.00s\t0.00s\t0.00s\t%s\n", l.User, l.TTY, l.From, l.At.Format("15:04"), what)
	}
	tw.Flush()
	return 0
}

// last lists the logins since boot, newest first, as util-linux's last
// prints them.
func (in *Instance) last(_ context.Context, o shell.IO, args []string) int {
	recs := in.records()
	for i := len(recs) - 1; i >= 0; i-- {
		l := recs[i]
		span := "  still logged in"
		if !l.End.IsZero() {
			d := l.End.Sub(l.At)
			span = fmt.Sprintf(" - %s  (%02d:%02d)", l.End.Format("15:04"), int(d.Hours()), int(d.Minutes())%60)
		}
		fmt.Fprintf(o.Stdout, "%-8s %-12s %-16s %s%s\n", l.User, l.TTY, l.From, l.At.Format("Mon Jan _2 15:04"), span)
	}
	fmt.Fprintf(o.Stdout, "\nwtmp begins %s\n", in.bootTime().Format("Mon Jan _2 15:04:05 2006"))
	return 0
}

// loginCommands are the commands that read sshd's records.
func (in *Instance) loginCommands() map[string]shell.Command {
	return map[string]shell.Command{
		"journalctl": in.journalctl,
		"who":        in.who,
		"w":          in.w,
		"last":       in.last,
	}
}
