package target

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/target/shell"
)

// The login user kills its own processes when the instance's user is not
// ec2-user (Config.User): they are recorded under its name. Root's stay
// out of its reach.
func TestKillAsLoginUserOtherThanEC2User(t *testing.T) {
	in, _ := sshWorld(t, Config{User: "alice"})
	sys := system{in}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pid, end := sys.Start(shell.Process{User: "alice", TTY: "pts/0", Command: "sleep 100"}, cancel)
	defer end()
	rootCtx, rootCancel := context.WithCancel(context.Background())
	defer rootCancel()
	rootPID, endRoot := sys.Start(shell.Process{User: "root", TTY: "?", Command: "sleep 100"}, rootCancel)
	defer endRoot()

	uid := shell.EC2User.With("alice").UID
	require.NoError(t, sys.Kill(pid, 0, uid), "kill -0 of one's own process")
	require.NoError(t, sys.Kill(pid, 15, uid))
	assert.Error(t, ctx.Err(), "the process was told to end")
	assert.ErrorIs(t, sys.Kill(rootPID, 15, uid), shell.ErrNotPermitted)
	assert.NoError(t, rootCtx.Err())
	require.NoError(t, sys.Kill(rootPID, 15, 0), "root kills anything")
	assert.Error(t, rootCtx.Err())
}

// /proc/loadavg reads the last pid under the process table's lock while
// sessions start processes (go test -race reported the bare read).
func TestLoadavgWhileProcessesStart(t *testing.T) {
	in, _ := sshWorld(t, Config{})
	sys := system{in}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 100 {
			_, end := sys.Start(shell.Process{User: "root", TTY: "?", Command: "true"}, nil)
			end()
		}
	}()
	for range 100 {
		b, err := in.fs.Root().ReadFile("/proc/loadavg")
		require.NoError(t, err)
		assert.Regexp(t, `^0\.00 0\.00 0\.00 1/\d+ \d+\n$`, string(b))
	}
	<-done
	b, err := in.fs.Root().ReadFile("/proc/loadavg")
	require.NoError(t, err)
	assert.Contains(t, string(b), fmt.Sprintf(" %d\n", in.procs.lastPID()))
}
