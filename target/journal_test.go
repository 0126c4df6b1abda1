package target

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/target/shell"
	"github.com/vlab-sim/vlab/vnet"
)

// journalInstance is just enough of an instance for journalctl: a clock,
// a hostname and a journal.
func journalInstance(t *testing.T) *Instance {
	t.Helper()
	n := vnet.New(vnet.Options{})
	t.Cleanup(func() { n.Close() })
	return &Instance{hostname: "ip-10-0-0-10", clock: n.Clock(), journal: newJournal()}
}

// runJournalctl runs journalctl with args (split on spaces) to its end.
func runJournalctl(t *testing.T, in *Instance, args string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	st := in.journalctl(context.Background(), shell.IO{Stdout: &out, Stderr: &errb}, strings.Fields("journalctl "+args))
	return st, out.String(), errb.String()
}

// Past the cap, since's indices stay absolute: a follower's next index
// still finds the entries added after it, and the journal keeps the
// newest maxJournal.
func TestJournalSinceAcrossTrim(t *testing.T) {
	j := newJournal()
	for i := range maxJournal {
		j.add(journalEntry{Msg: fmt.Sprint(i)})
	}
	_, next, _ := j.since(0)
	require.Equal(t, maxJournal, next)
	for i := maxJournal; i < 3*maxJournal; i++ {
		j.add(journalEntry{Msg: fmt.Sprint(i)})
		more, n, _ := j.since(next)
		require.Len(t, more, 1, "entry %d", i)
		require.Equal(t, fmt.Sprint(i), more[0].Msg)
		next = n
	}
	all, _, _ := j.since(0)
	require.Len(t, all, maxJournal, "the oldest go first")
	assert.Equal(t, fmt.Sprint(2*maxJournal), all[0].Msg)
	assert.Equal(t, fmt.Sprint(3*maxJournal-1), all[len(all)-1].Msg)
	assert.Less(t, len(j.entries), 2*maxJournal, "trimmed in batches")
}

// journalctl -f keeps printing new lines after the journal has filled
// past its cap, as in a long lab.
func TestJournalctlFollowPastCap(t *testing.T) {
	in := journalInstance(t)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- in.journalctl(ctx, shell.IO{Stdout: pw, Stderr: io.Discard}, []string{"journalctl", "-fu", "sshd", "-n", "1"})
		pw.Close()
	}()
	lines, stop := make(chan string), make(chan struct{})
	t.Cleanup(func() {
		cancel()
		close(stop)
		pr.Close()
		<-done
	})
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-stop:
				return
			}
		}
	}()
	// The follower has started once it prints the first entry (as the
	// last line or as a new one, whichever it finds).
	in.sshdLog(1, "first")
	waitLine := func(want string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				require.True(t, ok, "journalctl -f ended")
				if strings.HasSuffix(l, want) {
					return
				}
			case <-timeout:
				require.FailNow(t, "journalctl -f went silent", "waiting for %q", want)
			}
		}
	}
	waitLine("sshd[1]: first")
	for i := range 2*maxJournal + 10 {
		in.sshdLog(2, "filler %d", i)
	}
	in.sshdLog(3, "after the cap")
	waitLine("sshd[3]: after the cap")
}

// journalctl's short options bundle as getopt's do (-fu sshd, -xe), and
// -n's number is optional: -n -u sshd shows the last 10.
func TestJournalctlOptions(t *testing.T) {
	in := journalInstance(t)
	for i := range 1200 {
		in.sshdLog(i, "line %d", i)
	}
	in.journal.add(journalEntry{At: in.now(), Unit: "other.service", Ident: "other", PID: 9, Msg: "not sshd"})
	count := func(out string) int { return strings.Count(out, "sshd[") }

	st, out, errs := runJournalctl(t, in, "-n -u sshd")
	require.Zero(t, st, errs)
	assert.Equal(t, 10, count(out))
	assert.Contains(t, out, "line 1199")

	st, out, errs = runJournalctl(t, in, "-u sshd -n")
	require.Zero(t, st, errs)
	assert.Equal(t, 10, count(out))

	st, out, errs = runJournalctl(t, in, "-n 3 -u sshd")
	require.Zero(t, st, errs)
	assert.Equal(t, 3, count(out))

	st, out, errs = runJournalctl(t, in, "-n5 --unit=sshd")
	require.Zero(t, st, errs)
	assert.Equal(t, 5, count(out))

	st, out, errs = runJournalctl(t, in, "-xe")
	require.Zero(t, st, errs)
	assert.Equal(t, 1000, strings.Count(out, "\n"), "-e shows the last 1000")
	assert.Contains(t, out, "other[9]: not sshd")

	st, out, errs = runJournalctl(t, in, "-eu sshd")
	require.Zero(t, st, errs)
	assert.Equal(t, 1000, count(out))
	assert.NotContains(t, out, "not sshd")

	st, out, errs = runJournalctl(t, in, "-xeu sshd -n 2")
	require.Zero(t, st, errs)
	assert.Equal(t, 2, count(out), "-n wins over -e's 1000")

	st, _, errs = runJournalctl(t, in, "-n x")
	assert.Equal(t, 1, st, "x is not -n's: it is a match, which this journalctl refuses")
	assert.Contains(t, errs, "unrecognized option 'x'")
}

// rsyslog's /var/log/secure pads the day with a space (RFC 3164's
// "Nov  2"); journalctl's short format zero-pads it ("%b %d": "Nov 02").
func TestSecureLogPadsDayWithSpace(t *testing.T) {
	in := journalInstance(t)
	in.journal.add(journalEntry{At: time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC), Unit: "sshd.service", Ident: "sshd", PID: 7, Msg: "Accepted publickey"})
	in.journal.add(journalEntry{At: time.Date(2026, 11, 24, 3, 4, 5, 0, time.UTC), Unit: "sshd.service", Ident: "sshd", PID: 7, Msg: "Disconnected"})
	assert.Equal(t, "Nov  2 03:04:05 ip-10-0-0-10 sshd[7]: Accepted publickey\nNov 24 03:04:05 ip-10-0-0-10 sshd[7]: Disconnected\n", string(in.secureLog()))
	st, out, errs := runJournalctl(t, in, "-u sshd")
	require.Zero(t, st, errs)
	assert.Equal(t, "Nov 02 03:04:05 ip-10-0-0-10 sshd[7]: Accepted publickey\nNov 24 03:04:05 ip-10-0-0-10 sshd[7]: Disconnected\n", out)
}
