package shell

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/target/vfs"
)

var textCases = []lineCase{
	// cat
	{line: `printf 'a\nb' > f; cat f f`, out: "a\nba\nb"},
	{line: `printf 'a\nb' > f; cat -n f f`, out: "     1\ta\n     2\tba\n     3\tb"},
	{line: `printf 'a\n\nb\n' | cat -b`, out: "     1\ta\n\n     2\tb\n"},
	{line: `printf 'x\n\n\n\ny\n' | cat -s -n`, out: "     1\tx\n     2\t\n     3\ty\n"},
	{line: `printf 'a\tb\r\n\x01\xff\n' | cat -A`, out: "a^Ib^M$\n^AM-^?$\n"},
	{line: `printf 'a\nb' | cat -E`, out: "a$\nb"},
	{line: `printf 'in\n' > f; cat f - f`, stdin: "std\n", out: "in\nstd\nin\n"},
	{line: `cat nosuch; echo $?`, out: "1\n", errs: "cat: nosuch: No such file or directory\n"},
	{line: `cat 'no such'`, errs: "cat: 'no such': No such file or directory\n", status: 1},
	{line: `mkdir d; cat d`, errs: "cat: d: Is a directory\n", status: 1},
	{line: `cat /etc/hostname/`, errs: "cat: /etc/hostname/: Not a directory\n", status: 1},
	{line: `cat /root/x`, errs: "cat: /root/x: Permission denied\n", status: 1},
	{line: `echo x > f; cat f >> f; echo $?; cat f; cat f > f; wc -c < f`, out: "1\nx\n0\n", errs: "cat: f: input file is output file\n"},
	{line: `cat -z`, errs: "cat: invalid option -- 'z'\nTry 'cat --help' for more information.\n", status: 1},
	// head
	{line: `seq 1 20 | head`, out: "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"},
	{line: `seq 5 | head -2; seq 5 | head -n 1; seq 5 | head --lines=3 | tail -1`, out: "1\n2\n1\n3\n"},
	{line: `seq 6 | head -n -4`, out: "1\n2\n"},
	{line: `printf 'x\ny' | head -n -1`, out: "x\n"},
	{line: `seq 6 | head -c -9`, out: "1\n2"},
	{line: `printf 'abcdef' | head -c 3`, out: "abc"},
	{line: `seq 3000 | head -c 2k | wc -c`, out: "2048\n"},
	{line: `printf 'a\nb' | head -n 1; printf 'a\nb' | head -n 5`, out: "a\na\nb"},
	{line: `seq 2 > f1; seq 3 > f2; head -n 1 f1 f2; head -q -n 1 f1 f2`, out: "==> f1 <==\n1\n\n==> f2 <==\n1\n1\n1\n"},
	{line: `seq 2 | head -v -n 1`, out: "==> standard input <==\n1\n"},
	{line: `head nosuch; echo $?`, out: "1\n", errs: "head: cannot open 'nosuch' for reading: No such file or directory\n"},
	{line: `head -n x`, errs: "head: invalid number of lines: ‘x’\n", status: 1},
	{line: `head -c 1x`, errs: "head: invalid number of bytes: ‘1x’\n", status: 1},
	{line: `mkdir d; head d`, errs: "head: error reading 'd': Is a directory\n", status: 1},
	// tail
	{line: `seq 20 | tail`, out: "11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n"},
	{line: `seq 6 | tail -n 2; seq 6 | tail -2; seq 6 | tail -n +5`, out: "5\n6\n5\n6\n5\n6\n"},
	{line: `seq 5 | tail -c 4; seq 5 | tail -c +8`, out: "4\n5\n\n5\n"},
	{line: `printf 'a\nb' | tail -n 1; printf 'a\nb' | tail -n 2`, out: "ba\nb"},
	{line: `printf '' | tail -n 3; seq 3 | tail -n 0; seq 3 | tail -n +0 | head -1`, out: "1\n"},
	{line: `seq 100000 | tail -1; seq 100000 | head -n -99999`, out: "100000\n1\n"},
	{line: `seq 2 > f1; seq 3 > f2; tail -n 1 f1 f2`, out: "==> f1 <==\n2\n\n==> f2 <==\n3\n"},
	{line: `tail nosuch`, errs: "tail: cannot open 'nosuch' for reading: No such file or directory\n", status: 1},
	{line: `tail -c x`, errs: "tail: invalid number of bytes: ‘x’\n", status: 1},
	{line: `tail --bogus`, errs: "tail: unrecognized option '--bogus'\nTry 'tail --help' for more information.\n", status: 1},
	// wc
	{line: `echo hello | wc`, out: "      1       1       6\n"},
	{line: `printf 'hello\nworld foo\n' > f; printf '1\n' > g; wc f; wc f g; wc -l f g`, out: " 2  3 16 f\n 2  3 16 f\n 1  1  2 g\n 3  4 18 total\n 2 f\n 1 g\n 3 total\n"},
	{line: `printf 'hello\nworld foo\n' > f; wc -c f nosuch; echo $?`, out: "16 f\n16 total\n1\n", errs: "wc: nosuch: No such file or directory\n"},
	{line: `printf 'ab\ncd\n' > f; cat f | wc -l f -`, out: "      2 f\n      2 -\n      4 total\n"},
	{line: `printf 'no newline' | wc -l; printf 'a\tbc\n' | wc -L; printf 'h\xc3\xa9\n' | wc -m; wc -lw`, out: "0\n10\n3\n      0       0\n"},
	{line: `mkdir d; wc d`, out: "      0       0       0 d\n", errs: "wc: d: Is a directory\n", status: 1},
	// tee
	{line: `echo hi | tee t1 t2; cat t1 t2`, out: "hi\nhi\nhi\n"},
	{line: `echo a > t; echo b | tee -a t > /dev/null; cat t`, out: "a\nb\n"},
	{line: `echo x | tee /etc/x; echo $?`, out: "x\n1\n", errs: "tee: /etc/x: Permission denied\n"},
}

func TestText(t *testing.T) { checkLines(t, textCases) }

// tail -f prints what is appended to the file until it is stopped, and
// says when the file was truncated.
func TestTailFollowsUntilCancelled(t *testing.T) {
	s := newShell(t)
	_, errs, st := runIn(t, s, "seq 12 > /tmp/log", "")
	require.Equal(t, 0, st, errs)
	user := s.FS.As(1000, 1000)
	appendLog := func(text string) {
		f, err := user.OpenFile("/tmp/log", vfs.O_WRONLY|vfs.O_APPEND, 0)
		require.NoError(t, err)
		_, err = f.Write([]byte(text))
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errOut := newWatchWriter(), newWatchWriter()
	done := make(chan int, 1)
	go func() { done <- s.Run(ctx, "tail -n 2 -f /tmp/log", nil, out, errOut) }()
	out.waitFor(t, "11\n12\n")
	appendLog("13\n")
	out.waitFor(t, "11\n12\n13\n")
	appendLog("14\n15\n")
	out.waitFor(t, "11\n12\n13\n14\n15\n")
	require.NoError(t, user.WriteFile("/tmp/log", []byte("new\n"), 0o664))
	errOut.waitFor(t, "tail: /tmp/log: file truncated\n")
	out.waitFor(t, "11\n12\n13\n14\n15\nnew\n")
	cancel()
	select {
	case st := <-done:
		assert.Equal(t, statusInterrupted, st)
	case <-time.After(10 * time.Second):
		t.Fatal("tail -f did not stop when cancelled")
	}
}

// tail -F follows the name: a file put in the followed one's place is read
// from its start.
func TestTailFollowsTheName(t *testing.T) {
	s := newShell(t)
	_, errs, st := runIn(t, s, "echo old > /tmp/log", "")
	require.Equal(t, 0, st, errs)
	user := s.FS.As(1000, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errOut := newWatchWriter(), newWatchWriter()
	done := make(chan int, 1)
	go func() { done <- s.Run(ctx, "tail -F /tmp/log", nil, out, errOut) }()
	out.waitFor(t, "old\n")
	require.NoError(t, user.WriteFile("/tmp/log.1", []byte("rotated\n"), 0o664))
	require.NoError(t, user.Rename("/tmp/log.1", "/tmp/log"))
	errOut.waitFor(t, "tail: '/tmp/log' has been replaced;  following new file\n")
	out.waitFor(t, "old\nrotated\n")
	cancel()
	select {
	case st := <-done:
		assert.Equal(t, statusInterrupted, st)
	case <-time.After(10 * time.Second):
		t.Fatal("tail -F did not stop when cancelled")
	}
}

// tail -f on a pipe prints the tail once the pipe ends, as GNU's does.
func TestTailFollowOnAPipeEnds(t *testing.T) {
	out, errs, st := runIn(t, newShell(t), "seq 5 | tail -f -n 2", "")
	assert.Equal(t, "4\n5\n", out)
	assert.Empty(t, errs)
	assert.Equal(t, 0, st)
}

// cat streams: it copies a file larger than any buffer without holding it.
func TestCatStreamsLargeFiles(t *testing.T) {
	s := newShell(t)
	big := bytes.Repeat([]byte("0123456789\n"), 3<<20/11)
	require.NoError(t, s.FS.Root().WriteFile("/tmp/big", big, 0o644))
	out, errs, st := runIn(t, s, "cat /tmp/big /tmp/big | wc -c; tail -c 11 /tmp/big; head -c 3 /tmp/big", "")
	assert.Equal(t, "6291450\n0123456789\n012", out)
	assert.Empty(t, errs)
	assert.Equal(t, 0, st)
}

// grep passes lines on as they come: it does not wait for more input to
// decide whether its input is binary.
func TestGrepDoesNotWaitForMoreInput(t *testing.T) {
	s := newShell(t)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := newWatchWriter()
	done := make(chan int, 1)
	go func() { done <- s.Run(ctx, "grep ERROR | cat", pr, out, out) }()
	_, err = pw.Write([]byte("ok\nERROR one\n"))
	require.NoError(t, err)
	out.waitFor(t, "ERROR one\n")
	_, err = pw.Write([]byte("ERROR two\n"))
	require.NoError(t, err)
	out.waitFor(t, "ERROR one\nERROR two\n")
	require.NoError(t, pw.Close())
	select {
	case st := <-done:
		assert.Equal(t, 0, st)
	case <-time.After(10 * time.Second):
		t.Fatal("grep did not end with its input")
	}
}
