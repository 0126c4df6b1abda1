package shell

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
)

var miscCases = []lineCase{
	// date, on the lab clock (2026-11-30 13:19:26 UTC)
	{line: `date; date -u; date +%F; date '+%Y-%m-%d %H:%M:%S'`, out: "Mon Nov 30 13:19:26 UTC 2026\nMon Nov 30 13:19:26 UTC 2026\n2026-11-30\n2026-11-30 13:19:26\n"},
	{line: `date +%s; date '+%a %b %e %T %Z %z %:z %N %3N %%'; date -I; date --iso-8601=seconds; date -R`,
		out: "1796044766\nMon Nov 30 13:19:26 UTC +0000 +00:00 000000000 000 %\n2026-11-30\n2026-11-30T13:19:26+00:00\nMon, 30 Nov 2026 13:19:26 +0000\n"},
	{line: `date -d @0; date -d @1700000000 +%s; date -d '@1.5' +%s.%N; date -d @0 -Ins; date --rfc-3339=seconds -d @0`,
		out: "Thu Jan  1 00:00:00 UTC 1970\n1700000000\n1.500000000\n1970-01-01T00:00:00,000000000+00:00\n1970-01-01 00:00:00+00:00\n"},
	{line: `date -u -d '2024-02-29 12:34:56' '+%a %A %b %B %c %C %d %D %e %F %g %G %H %I %j %k %l %m %M %p %P %r %R %S %T %u %U %V %w %W %x %X %y %Y'`,
		out: "Thu Thursday Feb February Thu Feb 29 12:34:56 2024 20 29 02/29/24 29 2024-02-29 24 2024 12 12 060 12 12 02 34 PM pm 12:34:56 PM 12:34 56 12:34:56 4 08 09 4 09 02/29/24 12:34:56 24 2024\n"},
	{line: `date -d '2024-01-05' +%-d/%_m/%^a/%#b/%10Y; date -d '2024-01-01 +2 days' +%F; date -d '2024-01-10 3 days ago' +%F; date -d yesterday +%F; date -d '1 hour ago' +%T`,
		out: "5/ 1/FRI/JAN/0000002024\n2024-01-03\n2024-01-07\n2026-11-29\n12:19:26\n"},
	{line: `touch -d '2025-06-01 10:00' f; date -r f`, out: "Sun Jun  1 10:00:00 UTC 2025\n"},
	{line: `date -d 'not a date'`, errs: "date: invalid date ‘not a date’\n", status: 1},
	{line: `date +%F extra`, errs: "date: extra operand ‘extra’\nTry 'date --help' for more information.\n", status: 1},
	{line: `date 010100002030; date -s 'next year'`, errs: "date: cannot set date: Operation not permitted\ndate: cannot set date: Operation not permitted\n", status: 1},
	// sleep
	{line: `sleep 0.01; echo $?; sleep 0.001s 0`, out: "0\n"},
	{line: `sleep`, errs: "sleep: missing operand\nTry 'sleep --help' for more information.\n", status: 1},
	{line: `sleep x`, errs: "sleep: invalid time interval ‘x’\nTry 'sleep --help' for more information.\n", status: 1},
	// seq
	{line: `seq 3; seq 2 2 10 | tr '\n' ' '; echo; seq 10 -3 1; seq -1 1`, out: "1\n2\n3\n2 4 6 8 10 \n10\n7\n4\n1\n-1\n0\n1\n"},
	{line: `seq -w 8 11; seq -s, 1 5; seq -s ' ' 3; seq -w -5 5 | head -3; seq 5 1; echo $?`, out: "08\n09\n10\n11\n1,2,3,4,5\n1 2 3\n-5\n-4\n-3\n0\n"},
	{line: `seq 1 0.5 3; seq 0.1 0.1 0.5; seq -f '%03g' 3; seq 1e2 1e2 3e2; seq 2 -0.5 1; seq 0 0.1 0.3 | tail -1`,
		out: "1.0\n1.5\n2.0\n2.5\n3.0\n0.1\n0.2\n0.3\n0.4\n0.5\n001\n002\n003\n100\n200\n300\n2.0\n1.5\n1.0\n0.3\n"},
	{line: `seq`, errs: "seq: missing operand\nTry 'seq --help' for more information.\n", status: 1},
	{line: `seq x`, errs: "seq: invalid floating point argument: ‘x’\nTry 'seq --help' for more information.\n", status: 1},
	{line: `seq 0 0 1`, errs: "seq: invalid Zero increment value: ‘0’\nTry 'seq --help' for more information.\n", status: 1},
	{line: `seq 1 2 3 4`, errs: "seq: extra operand ‘4’\nTry 'seq --help' for more information.\n", status: 1},
	// yes
	{line: `yes | head -2; yes abc def | head -2; yes | head -c 7`, out: "y\ny\nabc def\nabc def\ny\ny\ny\ny"},
}

func TestMisc(t *testing.T) { checkLines(t, miscCases) }

// sleep waits by the wall clock, and ends at once, with SIGINT's status,
// when stopped.
func TestSleepEndsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := IO{Stdin: eofReader{}, Stdout: io.Discard, Stderr: io.Discard, Shell: newShell(t)}
	assert.Equal(t, statusInterrupted, cmdSleep(ctx, o, []string{"sleep", "1d"}))
	assert.Equal(t, statusInterrupted, cmdYes(ctx, o, []string{"yes"}))
}
