package shell

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzShellRun feeds the shell's entry point what a remote user may type:
// one line (newlines in it separate commands, as in a script) and what the
// command reads on standard input.
//
// Invariants, for every input:
//   - no panic escapes Run, and none is caught either: Run turns a panic
//     into status 70 and "internal error" on stderr, to keep a session
//     alive, but every such panic is a bug of the shell and fails here;
//   - Run returns within runDeadline, its context's timeout, plus a grace
//     period: no line hangs the session;
//   - the status is a shell status, 0 to 255;
//   - the same line in a new shell gives the same status and standard
//     output again (stderr may interleave the stages' messages in any
//     order): pipelines lose nothing, whatever their goroutines do.
//
// Stages of a pipeline write stderr from their own goroutines, as processes
// share a terminal: the writers are safe for concurrent use, as a session's
// are (go test -race checks the shell's own state).
//
// The fuzzer minimizes each new interesting input for up to a minute by
// default, stalling on those derived from the long seeds; give it less:
//
//	go test ./target/shell -run '^$' -fuzz '^FuzzShellRun$' -fuzztime 5m -fuzzminimizetime 5s -timeout 10m
func FuzzShellRun(f *testing.F) {
	for _, line := range shellSeeds() {
		f.Add(line, "")
	}
	f.Add("cat | grep -c b | head -n 1", "a\nb\nbb\n")
	f.Add("head -2; wc -l", strings.Repeat("line\n", 100))
	f.Add("grep -v -i X | cat | wc", "x\nX\ny\n\x00\xff\n")
	f.Fuzz(func(t *testing.T, line, stdin string) {
		status, stdout, stderr := runBounded(t, line, stdin)
		if status == StatusInternalError && strings.Contains(stderr, "internal error") {
			t.Fatalf("the shell panicked on %q (stdin %q):\n%s", line, stdin, stderr)
		}
		require.True(t, status >= 0 && status <= 255, "status %d of %q", status, line)
		again, stdout2, _ := runBounded(t, line, stdin)
		require.Equal(t, status, again, "the same line, the same status: %q", line)
		require.Equal(t, stdout, stdout2, "the same line, the same output: %q", line)
	})
}

// runDeadline is the context timeout a fuzzed line runs under; it must
// return within runDeadline+runGrace.
const runDeadline, runGrace = 3 * time.Second, 5 * time.Second

// runBounded runs line in a new shell with stdin, on a goroutine, and
// fails t if it does not return in time.
func runBounded(t *testing.T, line, stdin string) (status int, stdout, stderr string) {
	t.Helper()
	s := newShell(t)
	ctx, cancel := context.WithTimeout(context.Background(), runDeadline)
	defer cancel()
	var out, errs lockedBuffer
	done := make(chan int, 1)
	go func() { done <- s.Run(ctx, line, strings.NewReader(stdin), &out, &errs) }()
	select {
	case status = <-done:
	case <-time.After(runDeadline + runGrace):
		t.Fatalf("Run(%q) did not return %v after its context's deadline", line, runGrace)
	}
	return status, out.String(), errs.String()
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	// A reader that stops after a MiB, as a terminal's user would: yes
	// with nothing reading must end, not fill the host's memory.
	if room := 1<<20 - b.b.Len(); len(p) > room {
		b.b.Write(p[:max(room, 0)])
		return max(room, 0), syscall.EPIPE
	}
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// shellSeeds are the lines FuzzShellRun starts from: what people type,
// and the edges of the grammar.
func shellSeeds() []string {
	stages := func(n int, stage func(i int) string, last string) string {
		var s []string
		for i := range n {
			s = append(s, stage(i))
		}
		return strings.Join(append(s, last), " | ")
	}
	return []string{
		"",
		" ",
		"echo $SSH_CLIENT",
		`echo "${USER}@$(x)" '$USER' a\ b`,
		"ss -tn | grep 203.0.113.10 | wc -l",
		"ip addr; ip route; ip -br a; hostname -I; uname -a; id; whoami; pwd",
		"sudo ss -tlnp; sudo sudo id; sudo; sudo nosuch",
		"help | head -3",
		"false && echo no || echo yes; echo $?",
		"true || echo no && echo yes",
		"exit 3 | true; echo still here",
		"exit 99999999999999999999",
		"exit -1",
		"X=1 Y=2 env | grep -c =; export Z=3 W; echo $Z",
		// Quotes, unterminated and not.
		`echo "open`,
		`echo 'open`,
		`echo "a\"b\\c\$d"`,
		`echo ''""''`,
		`echo \`,
		`"`,
		`'`,
		// Expansions.
		"echo $",
		"echo ${",
		"echo ${}",
		"echo ${USER",
		"echo $$ $? $1 $_ ${?} ${$}",
		"echo x$EMPTY\"y\"$EMPTY",
		// Operators at every edge.
		";",
		";;",
		"echo a;",
		"echo a;;echo b",
		"&&",
		"||",
		"|",
		"echo a &&",
		"echo a ||",
		"echo a |",
		"| echo a",
		"echo a && && echo b",
		"echo a | | echo b",
		"echo a &",
		"echo a & echo b",
		"echo a > /tmp/x",
		"cat < /etc/passwd",
		"echo a\necho b\n\nexit 4\necho never",
		"# only a comment",
		"echo a #comment; echo b",
		"\t\r\n",
		// Long lines and many stages (a few KB: the fuzzer minimizes what
		// it derives from a seed, and a 100 KB seed stalls it for a minute;
		// TestShellRunsLongLines has the long ones).
		strings.Repeat("echo a; ", 300),
		"echo " + strings.Repeat("x", 4000),
		strings.Repeat("true && ", 300) + "echo end",
		stages(20, func(i int) string { return fmt.Sprintf("A%d=%d", i, i) }, "env"),
		stages(64, func(i int) string { return fmt.Sprintf("V%c=1", 'A'+i%26) }, "env"),
		stages(100, func(int) string { return "cat" }, "wc -l"),
		stages(50, func(int) string { return "head -1" }, "cat"),
		stages(30, func(int) string { return "exit 7" }, "exit 9"),
	}
}

func TestShellRunsLongLines(t *testing.T) {
	for _, line := range []string{
		strings.Repeat("echo a; ", 20000),
		"echo " + strings.Repeat("x", 1<<20),
		strings.Repeat("true && ", 10000) + "echo end",
		strings.Repeat("cat | ", 2000) + "wc -l",
		strings.Repeat("'", 100001),
		strings.Repeat("${", 50000),
	} {
		status, out, stderr := runBounded(t, line, "a\nb\n")
		require.NotContains(t, stderr, "internal error", "%.80q", line)
		assert.True(t, status >= 0 && status <= 255, "%.80q: status %d", line, status)
		_ = out
	}
}

// The seeds above, and what once crashed or hung, stay fixed as plain
// tests: none panics, hangs or leaves the shell's status range.
func TestShellSurvivesFuzzSeeds(t *testing.T) {
	for _, line := range shellSeeds() {
		status, _, stderr := runBounded(t, line, "a\nb\n")
		require.NotContains(t, stderr, "internal error", "%.80q", line)
		assert.True(t, status >= 0 && status <= 255, "%.80q: status %d", line, status)
	}
}
