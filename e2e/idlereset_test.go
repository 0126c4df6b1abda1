package e2e

import (
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
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/vnet"
)

// A session the NLB resets after its idle timeout ends saying so, from the
// library: the reset is the session's own drop event.
func TestIdleResetSaysWhy(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	cl, err := l.SSH(ctxT(t))
	require.NoError(t, err)
	defer cl.Close()
	l.Clock().Advance(351 * time.Second)
	s, err := cl.NewSession()
	if err == nil {
		err = s.Run("true")
		s.Close()
	}
	require.Error(t, err, "the flow was forgotten: the node answers with an RST")
	require.Eventually(t, func() bool { return l.Net.DropCount(l.NLB.Nodes()[0].ENI().ID(), nlb.DropIdleReset) > 0 }, 10*time.Second, time.Millisecond)
	d := dropsAt(l, l.NLB.Nodes()[0].ENI().ID(), nlb.DropIdleReset)
	require.Len(t, d, 1)
	assert.Equal(t, "reset by the load balancer after 350 s idle (tcp.idle_timeout.seconds)", d[0].Last.Detail)
	assert.Equal(t, "tcp.idle_timeout.seconds 350", d[0].Last.Rule)
	assert.Equal(t, l.Client.Addr(), d[0].Last.Flow.Src.Addr())
	var _ vnet.DropReason = nlb.DropIdleReset
}

// vlab ssh ends a session the NLB reset after its idle timeout with the
// reason, and logs it as it happens.
func TestCLIIdleResetSaysWhy(t *testing.T) {
	noLeaks(t)
	cmd := exec.Command(vlabBin, "ssh", "--ephemeral", "--time-scale", "1000")
	cmd.Env = append(os.Environ(), "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 100})
	require.NoError(t, err)
	defer f.Close()
	var buf syncBuffer
	go io.Copy(&buf, f)
	require.Eventually(t, func() bool { return strings.Contains(buf.String(), "$ ") }, 20*time.Second, 5*time.Millisecond)
	// The user is idle: half a second of wall time is 500 s of lab time,
	// past the listener's 350 s. That wall time is the test's input, not a
	// synchronisation; vlab ending before it is a failure.
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("vlab ssh ended while the user was idle: %v; screen: %q", err, buf.String())
	case <-time.After(500 * time.Millisecond):
	}
	io.WriteString(f, "true\r")
	select {
	case err := <-done:
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "screen: %q", buf.String())
		assert.Equal(t, 255, ee.ExitCode())
	case <-time.After(20 * time.Second):
		cmd.Process.Signal(syscall.SIGKILL)
		t.Fatalf("vlab ssh did not end; screen: %q", buf.String())
	}
	require.Eventually(t, func() bool {
		return strings.Contains(buf.String(), "vlab: ssh: 198.51.100.10:51512: reset by the load balancer after 350 s idle (tcp.idle_timeout.seconds)")
	}, 5*time.Second, 5*time.Millisecond, "screen: %q", buf.String())
}
