package e2e

import (
	"crypto/sha256"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/vnet"
)

// An interactive session with a pty: the Amazon Linux prompt, line editing,
// the window size, and exit.
func TestInteractiveShellWithPty(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, lab.Default())
	s, in, out := ptyShell(t, l, 80)
	waitFor := func(sub string) {
		t.Helper()
		require.Eventually(t, func() bool { return strings.Contains(out.String(), sub) }, 10*time.Second, time.Millisecond, "want %q in %q", sub, out.String())
	}
	waitFor("[ec2-user@ip-10-0-128-108 ~]$ ")
	require.NoError(t, s.WindowChange(40, 120))
	io.WriteString(in, "echo $TERM $SSH_TTY\r")
	waitFor("xterm /dev/pts/0\r\n")
	io.WriteString(in, "whoamx\x7fi\r") // backspace edits the line
	waitFor("ec2-user\r\n")
	io.WriteString(in, "false\r")
	io.WriteString(in, "\x04") // Ctrl-D on an empty line
	err := s.Wait()
	var ee *ssh.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 1, ee.ExitStatus(), "the shell exits with the last status")
	assert.Contains(t, out.String(), "logout")
}

func TestRefusedFeaturesSayWhy(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, lab.Default())
	cl, err := l.SSH(ctxT(t))
	require.NoError(t, err)
	defer cl.Close()
	s, err := cl.NewSession()
	require.NoError(t, err)
	assert.ErrorContains(t, s.RequestSubsystem("nosuch"), "subsystem request failed")
	ok, err := s.SendRequest("auth-agent-req@openssh.com", true, nil)
	require.NoError(t, err)
	assert.False(t, ok, "agent forwarding is refused")
	// The session is still usable after the refusals.
	out, err := s.Output("hostname")
	require.NoError(t, err)
	assert.Equal(t, "ip-10-0-128-108\n", string(out))

	// Other users and unknown keys are refused: public keys for ec2-user only.
	cfg := l.SSHConfig()
	cfg.User = "root"
	_, err = l.Client.SSH(ctxT(t), l.Endpoint(), cfg)
	assert.ErrorContains(t, err, "unable to authenticate")
	cfg = l.SSHConfig()
	cfg.HostKey = l.Config.ClientKey.PublicKey()
	_, err = l.Client.SSH(ctxT(t), l.Endpoint(), cfg)
	assert.ErrorContains(t, err, "host key mismatch", "the client verifies the host key")
}

// ssh -L: the instance opens the forwarded connection from its own stack.
func TestDirectTCPIPFromTheInstance(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, lab.Default())
	ln, err := l.Target.Listen("tcp", ":8080")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.WriteString(c, "seen from "+peerOf(c))
		c.Close()
	}()
	cl, err := l.SSH(ctxT(t))
	require.NoError(t, err)
	defer cl.Close()
	c, err := cl.Dial("tcp", "localhost:8080")
	require.NoError(t, err)
	b, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Regexp(t, `^seen from 10\.0\.128\.108:\d+$`, string(b))
	// The instance has no route to the internet: its SYN dies at the
	// private route table (the client gives up waiting once it is counted).
	dialed := make(chan error, 1)
	go func() {
		_, err := cl.Dial("tcp", "192.0.2.80:80")
		dialed <- err
	}()
	require.Eventually(t, func() bool { return l.Net.DropCount(l.PrivateRouteTable.ID(), vnet.DropNoRoute) > 0 }, 10*time.Second, time.Millisecond)
	cl.Close()
	assert.Error(t, <-dialed)
}

// A bulk transfer through the NLB arrives whole, the fabric dropping
// nothing, and (at full speed) with no retransmission: the fabric never
// drops a packet for lack of room.
func TestBulkThroughNLBIsLossless(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, lab.Default())
	_, err := l.NLB.AddListener(nlbListener(l, 9000))
	require.NoError(t, err)
	ln, err := l.Target.Listen("tcp", ":9000")
	require.NoError(t, err)
	sums := make(chan [32]byte, 1)
	go func() {
		c, err := ln.Accept()
		for err == nil && !strings.HasPrefix(peerOf(c), "203.0.113.10:") {
			c.Close() // a health check of the new target group
			c, err = ln.Accept()
		}
		if err != nil {
			return
		}
		h := sha256.New()
		io.Copy(h, c)
		c.Close()
		var s [32]byte
		copy(s[:], h.Sum(nil))
		sums <- s
	}()
	c, err := l.Client.Dial(ctxT(t), "tcp", "198.51.100.10:9000")
	require.NoError(t, err)
	data := make([]byte, 8<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	_, err = c.Write(data)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	select {
	case got := <-sums:
		assert.Equal(t, sha256.Sum256(data), got)
	case <-time.After(60 * time.Second):
		t.Fatal("transfer did not finish")
	}
	assert.Empty(t, l.Net.Drops(), "the fabric dropped nothing")
	if !raceEnabled {
		// Under the race detector a slow reader can overflow gVisor's TCP
		// receive queue (its own accounting, not the fabric's) and the
		// retransmission timer can fire on a late ACK.
		assert.Zero(t, l.Client.Host().Stats().Retransmits)
		assert.Zero(t, l.Target.Host().Stats().Retransmits)
	}
}

// Ctrl-C stops a running tcpdump in an interactive session and the prompt
// comes back, as in bash.
func TestCtrlCStopsTcpdump(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, lab.Default())
	s, in, out := ptyShell(t, l, 200)
	waitFor := func(sub string, n int) {
		t.Helper()
		require.Eventually(t, func() bool { return strings.Count(out.String(), sub) >= n }, 10*time.Second, time.Millisecond, "want %q in %q", sub, out.String())
	}
	waitFor("]$ ", 1)
	io.WriteString(in, "tcpdump -n port 22\r")
	waitFor("IP 10.0.128.108.ssh > 203.0.113.10.", 1)
	io.WriteString(in, "\x03")
	waitFor("packets captured", 1)
	waitFor("]$ ", 2)
	io.WriteString(in, "exit\r")
	s.Wait()
}

// ptyShell opens an interactive shell with a pty through the NLB.
func ptyShell(t *testing.T, l *lab.Lab, cols int) (*ssh.Session, io.Writer, *syncBuffer) {
	t.Helper()
	cl, err := l.SSH(ctxT(t))
	require.NoError(t, err)
	t.Cleanup(func() { cl.Close() })
	s, err := cl.NewSession()
	require.NoError(t, err)
	require.NoError(t, s.RequestPty("xterm", 24, cols, ssh.TerminalModes{}))
	in, err := s.StdinPipe()
	require.NoError(t, err)
	out := &syncBuffer{}
	s.Stdout = out
	require.NoError(t, s.Shell())
	return s, in, out
}
