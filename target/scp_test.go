package target

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/target/shell"
	"github.com/vlab-sim/vlab/target/vfs"
)

// runSCP runs the instance's scp as ec2-user in its home with the peer's
// side of the conversation given whole: each side only waits for what the
// other has already said.
func runSCP(t *testing.T, fsys *vfs.FS, peer string, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	o := shell.IO{Stdin: strings.NewReader(peer), Stdout: &out, Stderr: &errb, Dir: "/home/ec2-user", FS: fsys.As(1000, 1000)}
	status = (&Instance{}).scp(context.Background(), o, append([]string{"scp"}, args...))
	return status, out.String(), errb.String()
}

// scp -t receives files and directories as OpenSSH's scp -O sends them:
// every byte value unchanged, modes and times kept under -p.
func TestSCPSink(t *testing.T) {
	fsys := instanceFS(t, 0)
	var all [256]byte
	for i := range all {
		all[i] = byte(i)
	}
	peer := "C0644 256 bytes\n" + string(all[:]) + "\x00" +
		"D0750 0 sub\n" + "T1577934245 0 1577934245 0\n" + "C0600 3 x\n" + "abc\x00" + "E\n"
	st, out, errs := runSCP(t, fsys, peer, "-r", "-p", "-t", ".")
	assert.Equal(t, 0, st, errs)
	assert.Equal(t, strings.Repeat("\x00", 8), out, "ready, then each record and each file's data acknowledged")
	root := fsys.Root()
	got, err := root.ReadFile("/home/ec2-user/bytes")
	require.NoError(t, err)
	assert.Equal(t, all[:], got)
	fi, err := root.Stat("/home/ec2-user/sub")
	require.NoError(t, err)
	assert.Equal(t, fs.ModeDir|0o750, fi.Mode())
	assert.Equal(t, 1000, fi.Sys().(*vfs.Owner).UID, "the user's own")
	fi, err = root.Stat("/home/ec2-user/sub/x")
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode())
	assert.Equal(t, time.Unix(1577934245, 0), fi.ModTime(), "-p keeps the T record's time")

	// Without -p a new file takes the shell's umask; onto a file name, the
	// record's name is not used.
	st, out, errs = runSCP(t, fsys, "C0666 2 ignored\nhi\x00", "-t", "renamed")
	assert.Equal(t, 0, st, errs)
	assert.Equal(t, "\x00\x00\x00", out)
	fi, err = root.Stat("/home/ec2-user/renamed")
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o664), fi.Mode())

	st, _, errs = runSCP(t, fsys, "C0644 2 f\nhi\x00", "-v", "-t", "/tmp")
	assert.Equal(t, 0, st)
	assert.Equal(t, "Sink: C0644 2 f\n", errs, "-v tells on stderr")
}

// The sink's refusals reach the client as \1 lines, which it prints: the
// user's permissions, a full disk (with the data still read, to stay in
// step), and the protocol's own checks.
func TestSCPSinkErrors(t *testing.T) {
	fsys := instanceFS(t, 1000)
	st, out, _ := runSCP(t, fsys, "C0644 5 hello\n", "-t", "/etc")
	assert.Equal(t, 1, st)
	assert.Equal(t, "\x00\x01scp: /etc/hello: Permission denied\n", out)

	st, out, _ = runSCP(t, fsys, "C0644 2000 big\n"+strings.Repeat("x", 2000)+"\x00C0644 1 next\nn\x00", "-t", "/tmp")
	assert.Equal(t, 1, st)
	assert.Equal(t, "\x00\x00\x01scp: /tmp/big: No space left on device\n\x00\x01scp: /tmp/next: No space left on device\n", out,
		"the next file is still answered, and refused")
	assert.Equal(t, int64(1000), fsys.Used())

	for _, c := range []struct {
		args       []string
		peer, want string
	}{
		{[]string{"-d", "-t", "/etc/hosts"}, "", "\x01scp: /etc/hosts: Not a directory\n"},
		{[]string{"-t", "a", "b"}, "", "\x01scp: ambiguous target\n"},
		{[]string{"-t", "/tmp"}, "bash: scp: command not found\n", "\x00\x01scp: bash: scp: command not found\n"},
		{[]string{"-t", "/tmp"}, "C0644 1 ../x\n", "\x00\x01scp: error: unexpected filename: ../x\n"},
		{[]string{"-t", "/tmp"}, "D0755 0 d\n", "\x00\x01scp: protocol error: received directory without -r\n"},
		{[]string{"-t", "/tmp"}, "C0944 1 x\n", "\x00\x01scp: protocol error: bad mode\n"},
		{[]string{"-t", "/tmp"}, "C0644 1 x\n", "\x00\x00\x01scp: dropped connection\n"},
		{[]string{"-t", "/tmp"}, "T1 0 x 0\n", "\x00\x01scp: protocol error: atime.sec not present\n"},
		{[]string{"-t", "/tmp"}, "\x02scp: the source gave up\n", "\x00"},
	} {
		st, out, _ := runSCP(t, fsys, c.peer, c.args...)
		assert.Equal(t, 1, st, "%q", c.peer)
		assert.Equal(t, c.want, out, "%v %q", c.args, c.peer)
	}
}

// scp -f sends what scp -O's client downloads, waiting for its \0 before
// each step.
func TestSCPSource(t *testing.T) {
	fsys := instanceFS(t, 0)
	user := fsys.As(1000, 1000)
	require.NoError(t, user.WriteFile("/home/ec2-user/hello", []byte("hello"), 0o640))
	require.NoError(t, user.MkdirAll("/home/ec2-user/d/e", 0o755))
	require.NoError(t, user.WriteFile("/home/ec2-user/d/e/f", []byte("\x00\xff"), 0o600))
	when := time.Unix(1577934245, 0)
	require.NoError(t, user.Chtimes("/home/ec2-user/hello", when))

	acks := strings.Repeat("\x00", 20)
	st, out, errs := runSCP(t, fsys, acks, "-f", "hello")
	assert.Equal(t, 0, st, errs)
	assert.Equal(t, "C0640 5 hello\nhello\x00", out)

	st, out, _ = runSCP(t, fsys, acks, "-p", "-f", "/home/ec2-user/hello")
	assert.Equal(t, 0, st)
	assert.Equal(t, "T1577934245 0 1577934245 0\nC0640 5 hello\nhello\x00", out)

	st, out, errs = runSCP(t, fsys, acks, "-r", "-f", "d/")
	assert.Equal(t, 0, st, errs)
	assert.Equal(t, "D0755 0 d\nD0755 0 e\nC0600 2 f\n\x00\xff\x00E\nE\n", out)

	st, out, _ = runSCP(t, fsys, acks, "-f", "nosuch", "d", "/root/x", "hello")
	assert.Equal(t, 1, st)
	assert.Equal(t, "\x01scp: nosuch: No such file or directory\n"+
		"\x01scp: d: not a regular file\n"+
		"\x01scp: /root/x: Permission denied\n"+
		"C0640 5 hello\nhello\x00", out, "each name's error, and the rest still sent")

	// The sink refuses the file: the source goes on to the next.
	st, out, _ = runSCP(t, fsys, "\x00\x01scp: hello: Permission denied\n\x00\x00\x00", "-f", "hello", "hello")
	assert.Equal(t, 1, st)
	assert.Equal(t, "C0640 5 hello\nC0640 5 hello\nhello\x00", out)
}

// Typed by a user, scp says in one line that the instance has none.
func TestSCPHasNoClient(t *testing.T) {
	fsys := instanceFS(t, 0)
	for _, args := range [][]string{{"file", "host:"}, {}, {"-P", "22", "-f", "x"}} {
		st, out, errs := runSCP(t, fsys, "", args...)
		assert.Equal(t, 1, st)
		assert.Empty(t, out)
		assert.Equal(t, 1, strings.Count(errs, "\n"), fmt.Sprint(args))
		assert.Contains(t, errs, "scp: this instance has no scp client")
	}
}
