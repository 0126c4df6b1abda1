package target

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vlab-sim/vlab/target/shell"
)

// journal is the instance's systemd journal: what its daemons log, on the
// lab clock. Amazon Linux 2 also runs rsyslog, which copies sshd's lines
// to /var/log/secure; Amazon Linux 2023 has no rsyslog.
type journal struct {
	mu      sync.Mutex
	entries []journalEntry
	base    int           // entries ever dropped: entries[0]'s absolute index
	changed chan struct{} // closed and replaced at each entry: journalctl -f
}

type journalEntry struct {
	At    time.Time
	Unit  string // sshd.service
	Ident string // sshd
	PID   int
	Msg   string
}

// maxJournal bounds the journal as journald's SystemMaxUse does: the
// oldest entries go first.
const maxJournal = 10000

func newJournal() *journal { return &journal{changed: make(chan struct{})} }

func (j *journal) add(e journalEntry) {
	j.mu.Lock()
	j.entries = append(j.entries, e)
	// Trim in batches, at twice the cap, so that an add at the cap does
	// not copy it whole; since shows only the newest maxJournal. base
	// keeps the indices since takes absolute, so a follower's next stays
	// valid across the trim.
	if len(j.entries) >= 2*maxJournal {
		drop := len(j.entries) - maxJournal
		j.entries = append(j.entries[:0:0], j.entries[drop:]...)
		j.base += drop
	}
	close(j.changed)
	j.changed = make(chan struct{})
	j.mu.Unlock()
}

// since returns the entries from absolute index i on (the count of
// entries ever added before them; the oldest kept when those went), the
// index after them, and a channel closed at the next entry.
func (j *journal) since(i int) ([]journalEntry, int, <-chan struct{}) {
	j.mu.Lock()
	defer j.mu.Unlock()
	end := j.base + len(j.entries)
	i = min(max(i, end-maxJournal, j.base), end)
	return append([]journalEntry(nil), j.entries[i-j.base:]...), end, j.changed
}

// sshdLog writes a line of sshd's, as process pid, on the lab clock.
func (in *Instance) sshdLog(pid int, format string, args ...any) {
	in.journal.add(journalEntry{At: in.now(), Unit: "sshd.service", Ident: "sshd", PID: pid, Msg: fmt.Sprintf(format, args...)})
}

// short is journalctl's line: "Nov 24 03:20:00 host sshd[1843]: msg", the
// day zero-padded as systemd's "%b %d" prints it.
func (in *Instance) short(e journalEntry) string {
	return fmt.Sprintf("%s %s %s[%d]: %s", e.At.Format("Jan 02 15:04:05"), in.hostname, e.Ident, e.PID, e.Msg)
}

// secureLog is /var/log/secure on Amazon Linux 2: rsyslog's copy of the
// authentication lines (sshd's), root's only.
func (in *Instance) secureLog() []byte {
	entries, _, _ := in.journal.since(0)
	var b strings.Builder
	for _, e := range entries {
		if e.Ident == "sshd" {
			// rsyslog's traditional format pads the day with a space
			// ("Jan  2"), where journalctl's %b %d gives "Jan 02".
			fmt.Fprintf(&b, "%s %s %s[%d]: %s\n", e.At.Format("Jan _2 15:04:05"), in.hostname, e.Ident, e.PID, e.Msg)
		}
	}
	return []byte(b.String())
}

// addSecureLog places /var/log/secure where the image's rsyslog keeps it.
func (in *Instance) addSecureLog() error {
	if !in.image.Rsyslog {
		return nil
	}
	return in.fs.Root().AddGenerated("/var/log/secure", fs.FileMode(0o600), in.secureLog)
}

// journalctl reads the journal: -u UNIT, -n N, -f, --since, -o
// short|short-iso, as systemd's journalctl prints it.
func (in *Instance) journalctl(ctx context.Context, o shell.IO, args []string) int {
	unit, lines, follow, format := "", -1, false, "short"
	pagerEnd := false
	var since time.Time
	// journalOpt is one option of the command line: "-fu sshd" is -f
	// then -u with sshd, as getopt bundles short options.
	type journalOpt struct {
		name   string // -u, --unit
		val    string // its argument when in the same word (-usshd, --unit=sshd)
		hasVal bool
	}
	for i := 1; i < len(args); i++ {
		a := args[i]
		var opts []journalOpt
		switch {
		case strings.HasPrefix(a, "--"):
			k, v, ok := strings.Cut(a, "=")
			opts = append(opts, journalOpt{k, v, ok})
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				op := journalOpt{name: "-" + a[j:j+1]}
				if strings.IndexByte("unoS", a[j]) >= 0 && j+1 < len(a) {
					// The rest of the word is the argument (-n5, -usshd).
					op.val, op.hasVal = a[j+1:], true
					opts = append(opts, op)
					break
				}
				opts = append(opts, op)
			}
		default:
			opts = append(opts, journalOpt{name: a})
		}
		for _, op := range opts {
			val := func() (string, bool) {
				if op.hasVal {
					return op.val, true
				}
				if i+1 < len(args) {
					i++
					return args[i], true
				}
				return "", false
			}
			switch op.name {
			case "-u", "--unit":
				v, ok := val()
				if !ok {
					o.Errorf("journalctl", "option requires an argument -- 'u'")
					return 1
				}
				unit = strings.TrimSuffix(v, ".service") + ".service"
			case "-n", "--lines":
				// systemd's -n takes its argument only in the same word
				// or, failing that, the next word when it is a number
				// (journalctl -n -u sshd); without one it means 10.
				v := op.val
				if !op.hasVal && i+1 < len(args) {
					if _, err := strconv.Atoi(args[i+1]); err == nil || args[i+1] == "all" {
						i++
						v = args[i]
					}
				}
				switch n, err := strconv.Atoi(v); {
				case v == "" && !op.hasVal:
					lines = 10
				case v == "all":
					lines = math.MaxInt
				case err != nil || n < 0:
					o.Errorf("journalctl", "Failed to parse lines '%s'.", v)
					return 1
				default:
					lines = n
				}
			case "-f", "--follow":
				follow = true
			case "-e", "--pager-end":
				pagerEnd = true
			case "-o", "--output":
				v, _ := val()
				if v != "short" && v != "short-iso" {
					o.Errorf("journalctl", "Unknown output format '%s' (this instance's journalctl prints short and short-iso).", v)
					return 1
				}
				format = v
			case "-S", "--since":
				v, _ := val()
				t, err := parseSince(v, in.now())
				if err != nil {
					o.Errorf("journalctl", "Failed to parse timestamp: %s", v)
					return 1
				}
				since = t
			case "--no-pager", "-q", "--quiet", "-a", "--all", "-l", "--full", "-x", "--catalog":
			default:
				o.Errorf("journalctl", "unrecognized option '%s' (this instance's journalctl knows -u, -n, -f, -e, -o, --since)", a)
				return 1
			}
		}
	}
	if pagerEnd && lines < 0 {
		lines = 1000 // -e without -n, as systemd has it
	}
	if lines < 0 && follow {
		lines = 10
	}
	entries, next, changed := in.journal.since(0)
	keep := func(e journalEntry) bool {
		return (unit == "" || e.Unit == unit) && !e.At.Before(since)
	}
	var shown []journalEntry
	for _, e := range entries {
		if keep(e) {
			shown = append(shown, e)
		}
	}
	if lines >= 0 && len(shown) > lines {
		shown = shown[len(shown)-lines:]
	}
	print := func(e journalEntry) bool {
		line := in.short(e)
		if format == "short-iso" {
			line = fmt.Sprintf("%s %s %s[%d]: %s", e.At.Format("2006-01-02T15:04:05-0700"), in.hostname, e.Ident, e.PID, e.Msg)
		}
		_, err := fmt.Fprintln(o.Stdout, line)
		return err == nil
	}
	if in.image.JournalSpan && len(entries) > 0 {
		fmt.Fprintf(o.Stdout, "-- Logs begin at %s, end at %s. --\n", entries[0].At.Format("Mon 2006-01-02 15:04:05 MST"), entries[len(entries)-1].At.Format("Mon 2006-01-02 15:04:05 MST"))
	}
	if len(shown) == 0 && !follow {
		fmt.Fprintln(o.Stdout, "-- No entries --")
		return 0
	}
	for _, e := range shown {
		if !print(e) {
			return shell.StatusBrokenPipe
		}
	}
	for follow {
		select {
		case <-ctx.Done():
			return 130
		case <-changed:
		}
		var more []journalEntry
		more, next, changed = in.journal.since(next)
		for _, e := range more {
			if keep(e) && !print(e) {
				return shell.StatusBrokenPipe
			}
		}
	}
	return 0
}

// parseSince reads journalctl's --since: "2026-11-24 03:20:00", a date,
// "today", "yesterday", "now", "N min ago".
func parseSince(v string, now time.Time) (time.Time, error) {
	switch v {
	case "today":
		y, m, d := now.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, now.Location()), nil
	case "yesterday":
		y, m, d := now.AddDate(0, 0, -1).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, now.Location()), nil
	case "now":
		return now, nil
	}
	if f := strings.Fields(v); len(f) == 3 && f[2] == "ago" || len(f) == 2 && strings.HasSuffix(f[1], "ago") {
		n, err := strconv.Atoi(f[0])
		if err != nil {
			return time.Time{}, err
		}
		unit := map[string]time.Duration{"s": time.Second, "sec": time.Second, "min": time.Minute, "m": time.Minute, "h": time.Hour, "hour": time.Hour, "hours": time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour}[strings.TrimSuffix(f[1], "ago")]
		if unit == 0 {
			return time.Time{}, fmt.Errorf("unit %q", f[1])
		}
		return now.Add(-time.Duration(n) * unit), nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02", "15:04:05", "15:04"} {
		if t, err := time.ParseInLocation(layout, v, now.Location()); err == nil {
			if !strings.Contains(layout, "2006") {
				y, m, d := now.Date()
				t = time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), 0, now.Location())
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("no layout matched %q", v)
}
