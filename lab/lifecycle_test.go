package lab_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/target"
)

// openShell opens a shell session through the NLB and returns its client,
// its stdin and a channel that is closed when the connection ends.
func openShell(t *testing.T, l *lab.Lab) (*ssh.Client, io.WriteCloser, *syncOut, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl, err := l.SSH(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { cl.Close() })
	s, err := cl.NewSession()
	require.NoError(t, err)
	in, err := s.StdinPipe()
	require.NoError(t, err)
	out := &syncOut{}
	s.Stdout, s.Stderr = out, out
	require.NoError(t, s.Shell())
	ended := make(chan error, 1)
	go func() { ended <- cl.Wait() }()
	io.WriteString(in, "echo ready\n")
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "ready") }, 10*time.Second, 5*time.Millisecond)
	return cl, in, out, ended
}

// A graceful stop ends the open session with its connection closed; the
// instance is stopped after StoppingTime, its target unused
// (Target.InvalidState); started again, it is running after PendingTime
// with its files kept and a new boot, and healthy once the healthy
// threshold's checks have passed.
func TestStopClosesSessionsAndStartBringsTheInstanceBack(t *testing.T) {
	// Registered first, so it runs after the lab's Close.
	t.Cleanup(func() { goleak.VerifyNone(t) })
	c := lab.Default()
	c.ManualClock = true
	l := labtest.New(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	in := l.Target
	_, err := l.Run(ctx, "echo kept > /home/ec2-user/note")
	require.NoError(t, err)
	bootedBefore := in.State()
	require.Equal(t, target.Running, bootedBefore)

	_, _, _, ended := openShell(t, l)
	prev, cur, err := in.Stop(false)
	require.NoError(t, err)
	assert.Equal(t, target.Running, prev)
	assert.Equal(t, target.Stopping, cur)
	select {
	case err := <-ended:
		// The server closed the connection: not a timeout of the client's.
		var ne interface{ Timeout() bool }
		assert.False(t, errors.As(err, &ne) && ne.Timeout(), "%v", err)
	case <-ctx.Done():
		t.Fatal("the session outlived a graceful stop")
	}
	l.Clock().Advance(target.StoppingTime)
	assert.Equal(t, target.Stopped, in.State())
	h := l.TargetGroup.Health()
	require.Len(t, h, 1)
	assert.Equal(t, nlb.StateUnused, h[0].State)
	assert.Equal(t, nlb.ReasonInvalidState, h[0].Reason)
	assert.Equal(t, "Target is in the stopped state", h[0].Description)
	l.Clock().Advance(30 * time.Second) // a round: still unused, not failed
	assert.Equal(t, nlb.ReasonInvalidState, l.TargetGroup.Health()[0].Reason)
	short, cancelShort := context.WithTimeout(ctx, 3*time.Second)
	_, err = l.Run(short, "true")
	cancelShort()
	require.Error(t, err, "a stopped instance answers nothing")

	_, _, err = in.Start()
	require.NoError(t, err)
	assert.Equal(t, target.Pending, in.State())
	l.Clock().Advance(target.PendingTime)
	assert.Equal(t, target.Running, in.State())
	l.Clock().Advance(30 * time.Second) // the first round after the boot
	h = l.TargetGroup.Health()
	assert.Equal(t, nlb.StateInitial, h[0].State, "%v", h[0])
	res, err := l.Run(ctx, "cat /home/ec2-user/note; cat /proc/uptime")
	require.NoError(t, err)
	assert.Contains(t, string(res.Stdout), "kept")
	assert.True(t, strings.HasPrefix(strings.Split(string(res.Stdout), "\n")[1], "30."), "a new boot: %q", res.Stdout)
	for range 4 {
		assert.NotEqual(t, nlb.StateHealthy, l.TargetGroup.Health()[0].State, "healthy only after the threshold")
		l.Clock().Advance(30 * time.Second)
	}
	assert.Equal(t, nlb.StateHealthy, l.TargetGroup.Health()[0].State, "%v", l.TargetGroup.Health()[0])
	res, err = l.Run(ctx, "journalctl -u sshd")
	require.NoError(t, err)
	assert.Contains(t, string(res.Stdout), "Received signal 15; terminating.")
	assert.Equal(t, 2, strings.Count(string(res.Stdout), "Server listening on 0.0.0.0 port 22."))
}

// A forced stop is a power loss: the open session is neither closed nor
// reset, it goes silent.
func TestForceStopLeavesSessionsSilent(t *testing.T) {
	// Registered first, so it runs after the lab's Close.
	t.Cleanup(func() { goleak.VerifyNone(t) })
	c := lab.Default()
	c.ManualClock = true
	l := labtest.New(t, c)
	_, in, out, ended := openShell(t, l)
	_, cur, err := l.Target.Stop(true)
	require.NoError(t, err)
	assert.Equal(t, target.Stopping, cur)
	io.WriteString(in, "echo after\n")
	select {
	case err := <-ended:
		t.Fatalf("the connection ended (%v): a power loss says nothing", err)
	case <-time.After(time.Second):
	}
	assert.NotContains(t, out.String(), "after")
	l.Clock().Advance(target.StoppingTime)
	assert.Equal(t, target.Stopped, l.Target.State())
	assert.Equal(t, nlb.ReasonInvalidState, l.TargetGroup.Health()[0].Reason)
}

// Reboot keeps the instance running; Terminate is for good; a terminated
// instance cannot be started.
func TestRebootAndTerminate(t *testing.T) {
	// Registered first, so it runs after the lab's Close.
	t.Cleanup(func() { goleak.VerifyNone(t) })
	c := lab.Default()
	c.ManualClock = true
	l := labtest.New(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := l.Target
	_, _, _, ended := openShell(t, l)
	require.NoError(t, in.Reboot())
	assert.Equal(t, target.Running, in.State())
	select {
	case <-ended:
	case <-ctx.Done():
		t.Fatal("the session outlived a reboot")
	}
	l.Clock().Advance(target.RebootTime)
	_, err := l.Run(ctx, "true")
	require.NoError(t, err, "sshd is back after the reboot")

	prev, cur, err := in.Terminate()
	require.NoError(t, err)
	assert.Equal(t, target.Running, prev)
	assert.Equal(t, target.ShuttingDown, cur)
	l.Clock().Advance(target.ShuttingDownTime)
	assert.Equal(t, target.Terminated, in.State())
	_, _, err = in.Start()
	var se *target.StateError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "The instance '"+in.ID()+"' is not in a state from which it can be started.", err.Error())
	require.Error(t, in.Reboot())
	_, _, err = in.Stop(false)
	require.Error(t, err)
}

// syncOut is a session's output, written by the SSH library's goroutines
// and read by the test.
type syncOut struct {
	mu sync.Mutex
	b  strings.Builder
}

func (o *syncOut) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *syncOut) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// Stop returns only once the sessions' programs have ended: sshd's
// sessions wait for the program they hung up, so that no shell or
// sftp-server outlives the instance's teardown.
func TestStopWaitsForSessionPrograms(t *testing.T) {
	// Registered first, so it runs after the lab's Close.
	t.Cleanup(func() { goleak.VerifyNone(t) })
	c := lab.Default()
	c.ManualClock = true
	l := labtest.New(t, c)
	in := l.Target
	running, hungUp, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var returned atomic.Bool
	require.NoError(t, in.Command("linger", func(ctx context.Context, _ target.Stdio, _ []string) int {
		close(running)
		<-ctx.Done()
		close(hungUp)
		<-release // ends late, after its hang-up
		returned.Store(true)
		return 0
	}))
	_, stdin, _, _ := openShell(t, l)
	io.WriteString(stdin, "linger\n")
	select {
	case <-running:
	case <-time.After(10 * time.Second):
		t.Fatal("the program did not start")
	}
	stopped := make(chan struct{})
	go func() {
		in.Stop(false)
		close(stopped)
	}()
	select {
	case <-hungUp:
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("Stop did not hang the program up")
	}
	// Stop must not return while the program runs; a Stop that does not
	// wait returns at once.
	select {
	case <-stopped:
		t.Error("Stop returned while a session's program still ran")
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return once the program ended")
	}
	assert.True(t, returned.Load())
}

// A stop during a reboot's pause cancels the reboot; once the instance is
// started again, Reboot reboots it again (sshd goes away) rather than
// being taken for one still under way.
func TestRebootAfterStopDuringReboot(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	c := lab.Default()
	c.ManualClock = true
	l := labtest.New(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := l.Target
	require.NoError(t, in.Reboot())
	_, _, err := in.Stop(false)
	require.NoError(t, err)
	l.Clock().Advance(target.StoppingTime)
	require.Equal(t, target.Stopped, in.State())
	_, _, err = in.Start()
	require.NoError(t, err)
	l.Clock().Advance(target.PendingTime)
	require.Equal(t, target.Running, in.State())
	_, err = l.Run(ctx, "true")
	require.NoError(t, err, "sshd is up after the start")

	require.NoError(t, in.Reboot())
	_, err = l.Run(ctx, "true")
	require.Error(t, err, "sshd is away during the reboot")
	l.Clock().Advance(target.RebootTime)
	_, err = l.Run(ctx, "true")
	require.NoError(t, err, "sshd is back after the reboot")
}
