package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/target"
)

// onInstance runs command on the lab's instance with stdin and returns its
// output, its errors and its status.
func onInstance(t *testing.T, l *lab.Lab, command string, stdin io.Reader) (string, string, int) {
	t.Helper()
	cl, err := l.SSH(ctxT(t))
	require.NoError(t, err)
	defer cl.Close()
	s, err := cl.NewSession()
	require.NoError(t, err)
	defer s.Close()
	var out, errb bytes.Buffer
	s.Stdin, s.Stdout, s.Stderr = stdin, &out, &errb
	st := 0
	if err := s.Run(command); err != nil {
		var ee interface{ ExitStatus() int }
		require.ErrorAs(t, err, &ee, "%s: %v", command, err)
		st = ee.ExitStatus()
	}
	return out.String(), errb.String(), st
}

// The image decides what the instance shows: the reference scenario's
// Amazon Linux 2 prints the seed's tcpdump lines, Amazon Linux 2023 those
// of tcpdump 4.99; os-release, the kernel and sshd's version follow.
func TestImagesShowThemselves(t *testing.T) {
	noLeaks(t)
	for _, tc := range []struct {
		image, release, kernel, sshd, header, port string
	}{
		{"", `PRETTY_NAME="Amazon Linux 2"`, "amzn2.x86_64", "SSH-2.0-OpenSSH_7.4", "capture size 262144 bytes", "10.0.128.108.ssh > 203.0.113.10."},
		{"al2023", `VERSION_ID="2023"`, "amzn2023.x86_64", "SSH-2.0-OpenSSH_8.7", "snapshot length 262144 bytes", "10.0.128.108.22 > 203.0.113.10."},
	} {
		c := manual(lab.Default())
		scenario(c).Image = tc.image
		l := labtest.New(t, c)
		out, errs, st := onInstance(t, l, "cat /etc/os-release; uname -r; sudo tcpdump -n -c 4 port 22 2>&1", nil)
		require.Equal(t, 0, st, errs)
		assert.Contains(t, out, tc.release, tc.image)
		assert.Contains(t, out, tc.kernel, tc.image)
		assert.Contains(t, out, tc.header, tc.image)
		assert.Contains(t, out, tc.port, tc.image)
		cl, err := l.SSH(ctxT(t))
		require.NoError(t, err)
		assert.Equal(t, tc.sshd, string(cl.ServerVersion()), tc.image)
		cl.Close()
	}
}

// Every byte passes through: 10 MB of random bytes written with cat over
// SSH keep their SHA-256 in the instance's file and on the way back; a
// 100 KiB line and CRLF text come back unchanged.
func TestBinaryRoundTripOverSSH(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	data := make([]byte, 10<<20)
	_, err := rand.Read(data)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	out, errs, st := onInstance(t, l, "cat > blob && sha256sum blob && ls -l blob", bytes.NewReader(data))
	require.Equal(t, 0, st, errs)
	assert.True(t, strings.HasPrefix(out, hex.EncodeToString(sum[:])+"  blob\n"), out)
	assert.Contains(t, out, fmt.Sprintf(" %d ", len(data)), "ls -l shows its size")
	back, errs, st := onInstance(t, l, "cat blob", nil)
	require.Equal(t, 0, st, errs)
	assert.True(t, back == string(data), "cat gives the file back byte for byte")

	long := strings.Repeat("x", 100<<10) + "\n"
	crlf := "one\r\ntwo\r\n\r\nthree"
	for _, in := range []string{long, crlf} {
		got, errs, st := onInstance(t, l, "cat | cat", strings.NewReader(in))
		require.Equal(t, 0, st, errs)
		assert.True(t, got == in, "cat changed %d bytes of input into %d", len(in), len(got))
	}
}

// A command reads everything the client sends: wc counts the bytes of a
// large standard input (it printed 0 when the shell gave commands no
// stdin).
func TestCommandsReadTheSessionsStdin(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	n := 50_000_000
	if raceEnabled {
		n = 5_000_000
	}
	out, errs, st := onInstance(t, l, "wc -c", io.LimitReader(zeros{}, int64(n)))
	require.Equal(t, 0, st, errs)
	assert.Equal(t, fmt.Sprintf("%d\n", n), out)
	out, _, st = onInstance(t, l, "grep -c b", strings.NewReader("a\nb\nbb\n"))
	assert.Equal(t, 0, st)
	assert.Equal(t, "2\n", out)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// Files written in one session are there in the next, for the lab's
// lifetime; the shell is bash's.
func TestFilesOutliveTheirSession(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	_, errs, st := onInstance(t, l, "mkdir -p notes && for i in 1 2 3; do echo line $i >> notes/todo; done", nil)
	require.Equal(t, 0, st, errs)
	out, errs, st := onInstance(t, l, "cd notes; wc -l < todo; echo $(pwd) ~; ls -la ~ | grep -c notes", nil)
	require.Equal(t, 0, st, errs)
	assert.Equal(t, "3\n/home/ec2-user/notes /home/ec2-user\n1\n", out)
	_, errs, st = onInstance(t, l, "echo x > /etc/motd", nil)
	assert.Equal(t, 1, st)
	assert.Equal(t, "bash: /etc/motd: Permission denied\n", errs)
}

// vlabTerminal starts vlab ssh under a real pseudo-terminal of the given
// size and returns a function that waits for text on the screen.
func vlabTerminal(t *testing.T, rows, cols uint16) (*os.File, *syncBuffer, func(string)) {
	t.Helper()
	cmd := exec.Command(vlabBin, "ssh", "--ephemeral")
	cmd.Env = append(os.Environ(), "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: rows, Cols: cols})
	require.NoError(t, err)
	t.Cleanup(func() {
		f.Close()
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	})
	var buf syncBuffer
	go io.Copy(&buf, f)
	return f, &buf, func(s string) {
		t.Helper()
		require.Eventually(t, func() bool { return strings.Contains(buf.String(), s) }, 20*time.Second, 5*time.Millisecond, "waiting for %q in %q", s, buf.String())
	}
}

// Ctrl-C interrupts the running command even with keys typed ahead behind
// it, and, as a tty's interrupt does, discards them.
func TestCtrlCWithTypeAhead(t *testing.T) {
	noLeaks(t)
	f, screen, waitFor := vlabTerminal(t, 24, 100)
	waitFor("[ec2-user@ip-10-0-128-108 ~]$ ")
	io.WriteString(f, "sleep 100\r")
	waitFor("sleep 100\r\n")
	io.WriteString(f, "echo typed-\"ahead\"\r")
	io.WriteString(f, "\x03")
	waitFor("^C")
	io.WriteString(f, "echo status=$?\r")
	waitFor("status=130")
	assert.NotContains(t, screen.String(), "typed-ahead", "the interrupt discarded the typed-ahead line")
	io.WriteString(f, "exit\r")
}

// A 0x0 terminal (ssh -tt from a script, expect) is 80x24: a line is not
// broken after every character.
func TestZeroSizeTerminal(t *testing.T) {
	noLeaks(t)
	f, _, waitFor := vlabTerminal(t, 0, 0)
	waitFor("]$ ")
	io.WriteString(f, "echo hello-$((20+22)); stty size; tput cols\r")
	waitFor("hello-42\r\n24 80\r\n80\r\n")
	io.WriteString(f, "exit\r")
}

// Through vlab up with real OpenSSH: the shell, the files and the image's
// banner.
func TestInstanceThroughOpenSSH(t *testing.T) {
	noLeaks(t)
	sshPath := needTool(t, "ssh", "VLAB_REQUIRE_OPENSSH")
	u := startUp(t, t.TempDir(), "--ephemeral", "--image", "al2023")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ssh := func(stdin io.Reader, args ...string) string {
		cmd := exec.CommandContext(ctx, sshPath, append([]string{"-p", u.port, "-i", u.keyFile,
			"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
			"-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR", "ec2-user@127.0.0.1"}, args...)...)
		cmd.Stdin = stdin
		b, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", b)
		return string(b)
	}
	ssh(strings.NewReader("hello from the host\n"), "cat > greeting; echo $(wc -c < greeting) bytes")
	out := ssh(nil, "grep -c hello greeting; cat /etc/os-release | grep ^VERSION_ID; echo $(( $(seq 10 | sort -n | tail -1) * 2 ))")
	assert.Equal(t, "1\nVERSION_ID=\"2023\"\n20\n", out)
	// OpenSSH says goodbye: sshd's log has the disconnect of the sessions
	// before, from the client PC the host's ssh stands in for.
	out = ssh(nil, "journalctl -u sshd")
	assert.Regexp(t, `sshd\[\d+\]: Accepted publickey for ec2-user from 203\.0\.113\.10 port \d+ ssh2: ED25519 SHA256:`, out)
	assert.Regexp(t, `sshd\[\d+\]: Received disconnect from 203\.0\.113\.10 port \d+:11: disconnected by user`, out)
	assert.Regexp(t, `sshd\[\d+\]: Disconnected from user ec2-user 203\.0\.113\.10 port \d+`, out)
	// Instance metadata and the network tools, as the user types them.
	out = ssh(nil, `T=$(curl -s -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60"); curl -s -H "X-aws-ec2-metadata-token: $T" http://169.254.169.254/latest/meta-data/placement/availability-zone; echo; ss -tnp | grep -c 'users:(("sshd"'; ip link | grep -c 'mtu 1500'`)
	assert.Equal(t, "ap-northeast-1a\n1\n1\n", out)
	u.stop(t)
}

// The interactive shell's line editor and login shell: Tab completes a
// command and a path, Ctrl-R finds a line in the history, sudo -i opens
// root's shell and exit leaves it.
func TestInteractiveEditing(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	s, in, out := ptyShell(t, l, 120)
	waitFor := func(sub string, n int) {
		t.Helper()
		require.Eventually(t, func() bool { return strings.Count(out.String(), sub) >= n }, 10*time.Second, time.Millisecond, "want %q in %q", sub, out.String())
	}
	waitFor("Amazon Linux 2 AMI", 1) // the image's banner
	waitFor("[ec2-user@ip-10-0-128-108 ~]$ ", 1)
	io.WriteString(in, "echo made > /tmp/unique-name\r")
	waitFor("]$ ", 2)
	io.WriteString(in, "hostn\t -f\r") // completes hostname
	waitFor("ip-10-0-128-108.ap-northeast-1.compute.internal\r\n", 1)
	io.WriteString(in, "cat /tmp/uniq\t\r") // completes the path
	waitFor("made\r\n", 1)
	io.WriteString(in, "\x12unique\r") // Ctrl-R: the cat again
	waitFor("made\r\n", 2)
	io.WriteString(in, "sudo -i\r")
	waitFor("[root@ip-10-0-128-108 ~]# ", 1)
	io.WriteString(in, "whoami; pwd\r")
	waitFor("root\r\n/root\r\n", 1)
	io.WriteString(in, "exit\r")
	waitFor("[ec2-user@ip-10-0-128-108 ~]$ ", 5)
	io.WriteString(in, "exit 7\r")
	err := s.Wait()
	var ee interface{ ExitStatus() int }
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 7, ee.ExitStatus())
}

// A command from Go: refused under a name the instance has or a shell
// could not type; once registered, a process of the instance that ps
// lists while it runs.
func TestRegisteredCommand(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	noop := func(context.Context, target.Stdio, []string) int { return 0 }
	assert.ErrorContains(t, l.Target.Command("ls", noop), `command "ls": the instance already has one by that name`)
	assert.ErrorContains(t, l.Target.Command("cd", noop), "already has one")
	assert.ErrorContains(t, l.Target.Command("my app", noop), "want a plain word")
	require.NoError(t, l.Target.Command("report", func(ctx context.Context, stdio target.Stdio, args []string) int {
		fmt.Fprintf(stdio.Stdout, "args %q user %s\n", args[1:], stdio.Getenv("USER"))
		io.Copy(stdio.Stdout, stdio.Stdin)
		return 3
	}))
	assert.ErrorContains(t, l.Target.Command("report", noop), "already registered")
	out, errs, st := onInstance(t, l, "echo piped | report a 'b c'; echo status $?; ps -ef | grep -c '[r]eport'", nil)
	require.Empty(t, errs)
	assert.Equal(t, 1, st, "grep -c found nothing")
	assert.Equal(t, "args [\"a\" \"b c\"] user ec2-user\npiped\nstatus 3\n0\n", out, "ps no longer lists it once it ended")
}
