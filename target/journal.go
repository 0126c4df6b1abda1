package target

import (
	"context"
	"fmt"
	"io/fs"
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
	if len(j.entries) > maxJournal {
		j.entries = append(j.entries[:0:0], j.entries[len(j.entries)-maxJournal:]...)
	}
	close(j.changed)
	j.changed = make(chan struct{})
	j.mu.Unlock()
}

// since returns the entries from index i on and a channel closed at the
// next entry.
func (j *journal) since(i int) ([]journalEntry, int, <-chan struct{}) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if i > len(j.entries) {
		i = len(j.entries)
	}
	return append([]journalEntry(nil), j.entries[i:]...), len(j.entries), j.changed
}

// sshdLog writes a line of sshd's, as process pid, on the lab clock.
func (in *Instance) sshdLog(pid int, format string, args ...any) {
	in.journal.add(journalEntry{At: in.now(), Unit: "sshd.service", Ident: "sshd", PID: pid, Msg: fmt.Sprintf(format, args...)})
}

// short is journalctl's and rsyslog's line: "Nov 24 03:20:00 host sshd[1843]: msg".
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
			b.WriteString(in.short(e) + "\n")
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
	var since time.Time
	for i := 1; i < len(args); i++ {
		a := args[i]
		val := func() (string, bool) {
			if k, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(k, "--") {
				return v, true
			}
			if len(a) > 2 && a[0] == '-' && a[1] != '-' {
				return a[2:], true
			}
			if i+1 < len(args) {
				i++
				return args[i], true
			}
			return "", false
		}
		name, _, _ := strings.Cut(a, "=")
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name = a[:2]
		}
		switch name {
		case "-u", "--unit":
			v, ok := val()
			if !ok {
				o.Errorf("journalctl", "option requires an argument -- 'u'")
				return 1
			}
			unit = strings.TrimSuffix(v, ".service") + ".service"
		case "-n", "--lines":
			v, ok := val()
			n, err := strconv.Atoi(v)
			if !ok || err != nil || n < 0 {
				o.Errorf("journalctl", "Failed to parse lines '%s'.", v)
				return 1
			}
			lines = n
		case "-f", "--follow":
			follow = true
		case "-e", "--pager-end":
			lines = 1000
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
