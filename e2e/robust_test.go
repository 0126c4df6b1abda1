package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
