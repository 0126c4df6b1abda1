package shell

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// ErrNoProcess and ErrNotPermitted are what System.Kill returns for a
// number nothing has and for another user's process, in kill's words.
var (
	ErrNoProcess    = errors.New("No such process")
	ErrNotPermitted = errors.New("Operation not permitted")
)

func cmdPS(_ context.Context, o IO, args []string) int {
	full, all := false, false
	for _, a := range args[1:] {
		a = strings.TrimPrefix(a, "-")
		for _, c := range a {
			switch c {
			case 'e', 'A':
				all = true
			case 'f':
				full = true
			case 'a', 'x':
				all = true
			case 'u':
				full = true
			default:
				o.Errorf("ps", "unsupported option -%c (try ps, ps -ef, ps aux)", c)
				return 1
			}
		}
	}
	procs := o.Shell.Sys.Processes()
	sort.Slice(procs, func(i, j int) bool { return procs[i].PID < procs[j].PID })
	tw := tabwriter.NewWriter(o.Stdout, 0, 0, 1, ' ', 0)
	bsd := len(args) > 1 && !strings.HasPrefix(args[1], "-")
	switch {
	case bsd && full:
		fmt.Fprintln(tw, "USER\tPID\t%CPU\t%MEM\tVSZ\tRSS\tTTY\tSTAT\tSTART\tTIME\tCOMMAND")
		for _, p := range procs {
			fmt.Fprintf(tw, "%s\t%d\t0.0\t0.1\t%d\t%d\t%s\t%s\t%s\t0:00\t%s\n", p.User, p.PID, 12000+p.PID%997, 4000+p.PID%331, p.TTY, stat(p), p.Started.Format("15:04"), p.Command)
		}
	case full:
		fmt.Fprintln(tw, "UID\tPID\tPPID\tC\tSTIME\tTTY\tTIME\tCMD")
		for _, p := range procs {
			if !all && p.TTY != o.Shell.tty() {
				continue
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t0\t%s\t%s\t00:00:00\t%s\n", p.User, p.PID, p.PPID, p.Started.Format("15:04"), p.TTY, p.Command)
		}
	default:
		fmt.Fprintln(tw, "    PID\tTTY\tTIME\tCMD")
		for _, p := range procs {
			if !all && (p.TTY != o.Shell.tty() || p.User != o.Getenv("USER") && o.Getenv("USER") != "root") {
				continue
			}
			fmt.Fprintf(tw, "%7d\t%s\t%s\t%s\n", p.PID, p.TTY, "00:00:00", comm(p.Command))
		}
	}
	tw.Flush()
	return 0
}

// comm is a process's name as ps shows it without -f: the program's base
// name (sshd for "sshd: ec2-user@pts/0", bash for "-bash").
func comm(cmd string) string {
	name, _, _ := strings.Cut(cmd, " ")
	name = strings.TrimSuffix(strings.TrimPrefix(name, "-"), ":")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return name
}

func stat(p Process) string {
	if p.TTY == "?" {
		return "Ss"
	}
	return "S+"
}

// signals kill knows by name.
var signals = map[string]int{"HUP": 1, "INT": 2, "QUIT": 3, "KILL": 9, "TERM": 15, "USR1": 10, "USR2": 12}

func cmdKill(_ context.Context, o IO, args []string) int {
	sig := 15
	args = args[1:]
	if len(args) > 0 && args[0] == "-l" {
		fmt.Fprintln(o.Stdout, " 1) SIGHUP\t 2) SIGINT\t 3) SIGQUIT\t 9) SIGKILL\t10) SIGUSR1\t12) SIGUSR2\t15) SIGTERM")
		return 0
	}
	if len(args) > 0 && strings.HasPrefix(args[0], "-") {
		name := strings.TrimPrefix(strings.TrimPrefix(args[0], "-"), "SIG")
		if args[0] == "-s" && len(args) > 1 {
			name, args = strings.TrimPrefix(args[1], "SIG"), args[1:]
		}
		if n, err := strconv.Atoi(name); err == nil {
			sig = n
		} else if n, ok := signals[strings.ToUpper(name)]; ok {
			sig = n
		} else {
			fmt.Fprintf(o.Stderr, "-bash: kill: %s: invalid signal specification\n", name)
			return 1
		}
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(o.Stderr, "kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]")
		return 2
	}
	st := 0
	uid := EC2User.UID
	if o.Getenv("USER") == "root" {
		uid = 0
	}
	for _, a := range args {
		pid, err := strconv.Atoi(a)
		if err != nil {
			fmt.Fprintf(o.Stderr, "-bash: kill: %s: arguments must be process or job IDs\n", a)
			st = 1
			continue
		}
		if err := o.Shell.Sys.Kill(pid, sig, uid); err != nil {
			fmt.Fprintf(o.Stderr, "-bash: kill: (%d) - %s\n", pid, err)
			st = 1
		}
	}
	return st
}

func cmdUptime(_ context.Context, o IO, args []string) int {
	now, boot := o.Shell.Sys.Now(), o.Shell.Sys.Booted()
	up := now.Sub(boot)
	if len(args) > 1 && (args[1] == "-p" || args[1] == "--pretty") {
		fmt.Fprintf(o.Stdout, "up %s\n", pretty(up))
		return 0
	}
	if len(args) > 1 && (args[1] == "-s" || args[1] == "--since") {
		fmt.Fprintln(o.Stdout, boot.Format("2006-01-02 15:04:05"))
		return 0
	}
	users := map[string]bool{}
	for _, p := range o.Shell.Sys.Processes() {
		if p.TTY != "?" {
			users[p.TTY] = true
		}
	}
	fmt.Fprintln(o.Stdout, UptimeLine(now, boot, len(users)))
	return 0
}

// UptimeLine is uptime's line, which w prints first too: the time, how
// long since boot, the users logged in and the (quiet) load.
func UptimeLine(now, booted time.Time, users int) string {
	return fmt.Sprintf(" %s up %s,  %d user%s,  load average: 0.00, 0.00, 0.00", now.Format("15:04:05"), upText(now.Sub(booted)), users, plural(users))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// upText is uptime's own format: "5 min", "1:30", "2 days,  3:04".
func upText(d time.Duration) string {
	days := int(d.Hours()) / 24
	h, m := int(d.Hours())%24, int(d.Minutes())%60
	s := ""
	if days > 0 {
		s = fmt.Sprintf("%d day%s, ", days, plural(days))
	}
	if h == 0 {
		return s + fmt.Sprintf("%d min", m)
	}
	return s + fmt.Sprintf("%2d:%02d", h, m)
}

func pretty(d time.Duration) string {
	var parts []string
	if days := int(d.Hours()) / 24; days > 0 {
		parts = append(parts, fmt.Sprintf("%d day%s", days, plural(days)))
	}
	if h := int(d.Hours()) % 24; h > 0 {
		parts = append(parts, fmt.Sprintf("%d hour%s", h, plural(h)))
	}
	m := int(d.Minutes()) % 60
	if m > 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%d minute%s", m, plural(m)))
	}
	return strings.Join(parts, ", ")
}
