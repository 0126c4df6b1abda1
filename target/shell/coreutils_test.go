package shell

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/target/vfs"
)

// lineCase is a command line, its standard input, and what bash with
// GNU's tools prints and returns for it.
type lineCase struct {
	line, stdin string
	out, errs   string
	status      int
}

// checkLines runs each case in a new shell, in ec2-user's home.
func checkLines(t *testing.T, cases []lineCase) {
	t.Helper()
	for _, c := range cases {
		out, errs, st := runIn(t, newShell(t), c.line, c.stdin)
		assert.Equal(t, c.out, out, "stdout of %q", c.line)
		assert.Equal(t, c.errs, errs, "stderr of %q", c.line)
		assert.Equal(t, c.status, st, "status of %q", c.line)
	}
}

func TestPipesAndRedirections(t *testing.T) {
	checkLines(t, []lineCase{
		{line: `echo hello | wc -c`, out: "6\n"},
		{line: `echo a b c | wc -w`, out: "3\n"},
		{line: `printf 'a\nb\n' | wc -l`, out: "2\n"},
		{line: `A=1 | env | grep -c ^A=`, out: "0\n", status: 1},
		{line: `echo hi > f; echo there >> f; cat f; wc -l < f`, out: "hi\nthere\n2\n"},
		{line: `printf 'b\na\n' > f; sort f > g; cat g`, out: "a\nb\n"},
		{line: "sort <<EOF\nzeta\nalpha\n10\n9\nEOF", out: "10\n9\nalpha\nzeta\n"},
		{line: `ls nosuch`, errs: "ls: cannot access 'nosuch': No such file or directory\n", status: 2},
		{line: `echo hello | grep nothing`, status: 1},
		{line: `yes | head -3`, out: "y\ny\ny\n"},
		{line: `cat /dev/zero | head -c 5 | xxd`, out: "00000000: 0000 0000 00                             .....\n"},
		{line: `seq 1 1000000000 | head -2`, out: "1\n2\n"},
		{line: `head -c 1000000 /dev/zero | wc -c`, out: "1000000\n"},
		{line: `seq 10 | tail -n 3 | sort -rn`, out: "10\n9\n8\n"},
		{line: `printf '1.2.3.4 x\n1.2.3.4 y\n5.6.7.8 z\n' | cut -d' ' -f1 | sort | uniq -c | sort -nr | head -1`, out: "      2 1.2.3.4\n"},
		{line: `cat`, stdin: "typed\n", out: "typed\n"},
		{line: `cat - nosuch`, stdin: "in\n", out: "in\n", errs: "cat: nosuch: No such file or directory\n", status: 1},
	})
}

// A reader that went away ends the writer at once, with SIGPIPE's status.
func TestWritesStopWhenTheReaderGoes(t *testing.T) {
	checkLines(t, []lineCase{
		{line: `set -o pipefail; yes | head -1`, out: "y\n", status: StatusBrokenPipe},
		{line: `set -o pipefail; cat /dev/zero | head -c 3 | wc -c`, out: "3\n", status: StatusBrokenPipe},
		{line: `set -o pipefail; seq 1 100000000 | head -1`, out: "1\n", status: StatusBrokenPipe},
		{line: `set -o pipefail; cat /dev/urandom | tr -dc a-z | head -c 4 | wc -c`, out: "4\n", status: StatusBrokenPipe},
		{line: `set -o pipefail; yes | tee /dev/null | sed 2q`, out: "y\ny\n", status: StatusBrokenPipe},
		{line: `set -o pipefail; yes | sed p | head -1`, out: "y\n", status: StatusBrokenPipe},
		{line: `set -o pipefail; yes | grep y | head -1`, out: "y\n", status: StatusBrokenPipe},
		{line: `set -o pipefail; yes | cat -n | head -1`, out: "     1\ty\n", status: StatusBrokenPipe},
		{line: `set -o pipefail; yes | cut -c1 | head -1`, out: "y\n", status: StatusBrokenPipe},
		{line: `set -o pipefail; seq 1000000000 | uniq | head -1`, out: "1\n", status: StatusBrokenPipe},
		{line: `set -o pipefail; yes | tr y n | head -1`, out: "n\n", status: StatusBrokenPipe},
		{line: `set -o pipefail; cat /dev/zero | xxd | head -1`, out: "00000000: 0000 0000 0000 0000 0000 0000 0000 0000  ................\n", status: StatusBrokenPipe},
		{line: `set -o pipefail; cat /dev/zero | base64 | head -c 4`, out: "AAAA", status: StatusBrokenPipe},
		{line: `set -o pipefail; yes | head -c 100000000 | tail -c 2`, out: "y\n", status: StatusBrokenPipe},
		{line: `head -c 100000 /dev/zero > f; set -o pipefail; cat f f f | head -c 1 | wc -c`, out: "1\n", status: StatusBrokenPipe},
	})
}

// Bytes pass through unchanged: no line splitting, any line length, CR
// and NUL kept.
func TestBinaryRoundTrip(t *testing.T) {
	data := make([]byte, 1<<20)
	_, err := rand.Read(data)
	require.NoError(t, err)
	sum := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

	s := newShell(t)
	_, errs, st := runIn(t, s, "cat > f", string(data))
	require.Equal(t, 0, st, errs)
	got, err := s.FS.Root().ReadFile("/home/ec2-user/f")
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, got), "cat > f kept every byte")

	out, _, _ := runIn(t, s, "sha256sum f", "")
	assert.Equal(t, sum(data)+"  f\n", out)
	out, _, _ = runIn(t, s, "cat f", "")
	assert.True(t, out == string(data), "cat f gives the bytes back")
	for _, c := range []struct {
		line string
		want []byte
	}{
		{"head -c 1000 f | sha256sum", data[:1000]},
		{"tail -c 1000 f | sha256sum", data[len(data)-1000:]},
		{"tail -c +1001 f | sha256sum", data[1000:]},
		{"head -c -1000 f | sha256sum", data[:len(data)-1000]},
		{"cat f | tee g > /dev/null; sha256sum < g", data},
		{"cp f h; sha256sum < h", data},
		{"mv h i; sha256sum < i", data},
		{"cat < f | cat | sha256sum", data},
		{"base64 f | base64 -d | sha256sum", data},
		{"xxd -p f | xxd -r -p | sha256sum", data},
		{"xxd f | xxd -r | sha256sum", data},
	} {
		out, errs, st := runIn(t, s, c.line, "")
		assert.Equal(t, sum(c.want)+"  -\n", out, c.line)
		assert.Empty(t, errs, c.line)
		assert.Equal(t, 0, st, c.line)
	}

	long := strings.Repeat("0123456789abcdef", 100<<10/16) // one 100 KiB line
	for _, text := range []string{long, long + "\n", "dos\r\nlines\r\n", "nul\x00byte\n\xff\xfe"} {
		out, errs, st := runIn(t, s, "cat > t; cat t; cat < t | head -c 200000", text)
		assert.Equal(t, text+text, out)
		assert.Empty(t, errs)
		assert.Equal(t, 0, st)
		out, _, _ = runIn(t, s, "sed -n p t | sha256sum; grep -c '' t", "")
		lines := strings.Count(text, "\n")
		if !strings.HasSuffix(text, "\n") {
			lines++
		}
		assert.Equal(t, fmt.Sprintf("%s  -\n%d\n", sum([]byte(text)), lines), out)
	}
}

// startHook reports each command the shell starts, so that a test can
// stop it once it runs.
type startHook struct {
	*fakeSys
	started chan string
}

func (h startHook) Start(p Process, cancel context.CancelFunc) (int, func()) {
	h.started <- p.Command
	return h.fakeSys.Start(p, cancel)
}

// runUntilStarted runs line in a shell, cancels its context once the
// command named first has started, and returns the line's status.
func runUntilStarted(t *testing.T, line, first string) (status int, stderr string) {
	t.Helper()
	hook := startHook{newFakeSys(), make(chan string, 16)}
	s := New(Config{Sys: hook, FS: testFS(t), User: EC2User, PID: 3001, PPID: 3000})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errs lockedBuffer
	done := make(chan int, 1)
	go func() { done <- s.Run(ctx, line, nil, &lockedBuffer{}, &errs) }()
	for {
		select {
		case cmd := <-hook.started:
			if !strings.HasPrefix(cmd, first) {
				continue
			}
			cancel()
			select {
			case st := <-done:
				return st, errs.String()
			case <-time.After(10 * time.Second):
				t.Fatalf("%q did not stop when cancelled", line)
			}
		case st := <-done:
			t.Fatalf("%q ended (status %d) before it started %s", line, st, first)
		case <-time.After(10 * time.Second):
			t.Fatalf("%q did not start %s", line, first)
		}
	}
}

// Endless commands end when their context does (Ctrl-C, kill).
func TestEndlessCommandsStopWhenCancelled(t *testing.T) {
	for _, c := range []struct{ line, first string }{
		{"yes > /dev/null", "yes"},
		{"cat /dev/zero > /dev/null", "cat"},
		{"cat /dev/zero | wc -c", "wc"},
		{"seq 1 100000000000 > /dev/null", "seq"},
		{"sleep 1000", "sleep"},
		{"sleep infinity", "sleep"},
		{"tr -d x < /dev/zero > /dev/null", "tr"},
		{"sha256sum /dev/zero", "sha256sum"},
		{"grep -c x /dev/urandom", "grep"},
		{"sort /dev/zero", "sort"},
		{"cp /dev/zero /dev/null", "cp"},
		{"tail -f /etc/hostname > /dev/null", "tail"},
	} {
		st, errs := runUntilStarted(t, c.line, c.first)
		assert.Equal(t, statusInterrupted, st, c.line)
		assert.Empty(t, errs, c.line)
	}
}

// A command waiting for a terminal's input ends when cancelled, though
// the input never closes; the shell's standard input stays usable.
func TestStdinReadStopsWhenCancelled(t *testing.T) {
	s := newShell(t)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	out := newWatchWriter()
	o := IO{Stdin: pr, Stdout: out, Stderr: out, Shell: s, Dir: "/home/ec2-user", FS: s.FS.As(1000, 1000)}
	done := make(chan int, 1)
	go func() { done <- cmdCat(ctx, o, []string{"cat"}) }()
	_, err = pw.Write([]byte("first\n"))
	require.NoError(t, err)
	out.waitFor(t, "first\n")
	cancel()
	select {
	case st := <-done:
		assert.Equal(t, statusInterrupted, st)
	case <-time.After(10 * time.Second):
		t.Fatal("cat kept reading after it was cancelled")
	}
	_, err = pw.Write([]byte("later\n"))
	require.NoError(t, err)
	buf := make([]byte, 16)
	n, err := pr.Read(buf)
	require.NoError(t, err, "the read deadline was taken back")
	assert.Equal(t, "later\n", string(buf[:n]))
}

// watchWriter collects output and lets a test wait until it holds some
// text.
type watchWriter struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newWatchWriter() *watchWriter { return &watchWriter{changed: make(chan struct{}, 1)} }

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	select {
	case w.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// waitFor waits until the output is want.
func (w *watchWriter) waitFor(t *testing.T, want string) {
	t.Helper()
	for w.String() != want {
		select {
		case <-w.changed:
		case <-time.After(10 * time.Second):
			t.Fatalf("output is %q, want %q", w.String(), want)
		}
	}
}

// capShell is ec2-user's shell on an instance whose disk holds limit
// bytes.
func capShell(t *testing.T, limit int64) *Shell {
	f := vfs.New(limit, func() time.Time { return labTime })
	root := f.Root()
	require.NoError(t, root.Mkdir("/tmp", fs.ModeSticky|0o777))
	require.NoError(t, root.MkdirAll("/dev", 0o755))
	require.NoError(t, root.AddDevice("/dev/zero", 0o666, vfs.Zero{}))
	require.NoError(t, root.AddDevice("/dev/null", 0o666, vfs.Null{}))
	require.NoError(t, root.MkdirAll("/home/ec2-user", 0o700))
	require.NoError(t, root.Chown("/home/ec2-user", 1000, 1000))
	return New(Config{Sys: newFakeSys(), FS: f, User: EC2User, PID: 3001, PPID: 3000})
}

// Writing past the disk's size fails as a full disk does: what fits is
// written, the command says so in its words, status 1.
func TestFullDiskEndsWrites(t *testing.T) {
	const limit = 1 << 20
	s := capShell(t, limit)
	for _, c := range []lineCase{
		{line: `head -c 3000000 /dev/zero > /tmp/big`, errs: "head: error writing 'standard output': No space left on device\n", status: 1},
		{line: `cat /dev/zero > /tmp/big`, errs: "cat: write error: No space left on device\n", status: 1},
		{line: `seq 1 100000000 > /tmp/big`, errs: "seq: write error: No space left on device\n", status: 1},
		{line: `yes > /tmp/big`, errs: "yes: write error: No space left on device\n", status: 1},
		{line: `cat /dev/zero | tee /tmp/big | head -c 2000000 | wc -c`, out: "2000000\n", errs: "tee: /tmp/big: No space left on device\n"},
		{line: `head -c 600000 /dev/zero > /tmp/a; cp /tmp/a /tmp/b`, errs: "cp: error writing '/tmp/b': No space left on device\n", status: 1},
		{line: `head -c 900000 /dev/zero | base64 > /tmp/big`, errs: "base64: write error: No space left on device\n", status: 1},
	} {
		out, errs, st := runIn(t, s, c.line, "")
		assert.Equal(t, c.out, out, c.line)
		assert.Equal(t, c.errs, errs, c.line)
		assert.Equal(t, c.status, st, c.line)
		assert.Equal(t, int64(limit), s.FS.Used(), "%s fills the disk", c.line)
		runIn(t, s, "rm -f /tmp/*", "")
		require.Equal(t, int64(0), s.FS.Used())
	}
}
