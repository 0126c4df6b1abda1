package e2e

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
)

// hostilePipeline once ended vlab with "fatal error: concurrent map writes":
// every stage wrote the one variables map of the session's shell.
func hostilePipeline() string {
	var stages []string
	for i := range 24 {
		stages = append(stages, fmt.Sprintf("V%d=%d", i, i))
	}
	return strings.Join(stages, " | ") + " | env"
}

func TestHostilePipelineThroughCLI(t *testing.T) {
	noLeaks(t)
	cfg := t.TempDir()
	out, errs, code := vlab(t, cfg, "ssh", "--ephemeral", "--", hostilePipeline())
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "USER=ec2-user\n")
	assert.NotContains(t, out, "V0=0", "each stage is a subshell: its assignment is its own")
}

func TestHostilePipelineThroughUpWithOpenSSH(t *testing.T) {
	noLeaks(t)
	sshPath := needTool(t, "ssh", "VLAB_REQUIRE_OPENSSH")
	u := startUp(t, t.TempDir(), "--ephemeral")
	ssh := func(command string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, sshPath, "-p", u.port, "-i", u.keyFile,
			"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
			"-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR", "ec2-user@127.0.0.1", command)
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	for range 3 {
		out, err := ssh(hostilePipeline())
		require.NoError(t, err, out)
		assert.Contains(t, out, "USER=ec2-user\n")
	}
	out, err := ssh("hostname")
	require.NoError(t, err, "the lab lives on: %s; vlab up said: %s", out, u.stderr.String())
	assert.Equal(t, "ip-10-0-128-108\n", out)
	u.stop(t)
}

// A window change redraws the line editor, writing to the channel; it once
// raced the session's CloseWrite inside x/crypto/ssh (go test -race caught
// it). Resize while the shell exits, many times.
func TestWindowChangeWhileTheShellExits(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, lab.Default())
	for range 5 {
		s, in, out := ptyShell(t, l, 80)
		require.Eventually(t, func() bool { return strings.Contains(out.String(), "$ ") }, 10*time.Second, time.Millisecond)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for j := 0; ; j++ {
				if s.WindowChange(24, 60+j%40) != nil { // the width: a redraw
					return
				}
			}
		}()
		io.WriteString(in, "exit 4\r")
		err := s.Wait()
		var ee *ssh.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, 4, ee.ExitStatus())
		s.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("window changes still accepted after the session ended")
		}
	}
}
