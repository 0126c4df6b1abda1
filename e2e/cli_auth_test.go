package e2e

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// Real OpenSSH against `vlab up`: the key vlab generated logs in, a key the
// instance does not know is refused with OpenSSH's own words, which list
// what the server offers: public keys, nothing else.
func TestUpRefusesUnknownKeyToOpenSSH(t *testing.T) {
	noLeaks(t)
	sshPath := needTool(t, "ssh", "VLAB_REQUIRE_OPENSSH")
	u := startUp(t, t.TempDir())
	defer u.stop(t)

	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKey(priv, "unknown")
	require.NoError(t, err)
	unknown := filepath.Join(t.TempDir(), "id_unknown")
	require.NoError(t, os.WriteFile(unknown, pem.EncodeToMemory(block), 0o600))

	run := func(key string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, sshPath, "-p", u.port, "-i", key,
			"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
			"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "ec2-user@127.0.0.1", "hostname")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	out, err := run(u.keyFile)
	require.NoError(t, err, "the key vlab generated logs in: %s", out)
	assert.Contains(t, out, "ip-10-0-128-108\n")

	out, err = run(unknown)
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "an unknown key must not log in: %s", out)
	assert.Equal(t, 255, ee.ExitCode(), out)
	assert.Contains(t, out, "Permission denied (publickey).", "refused, and public keys are all the server offers")
	assert.NotContains(t, out, "ip-10-0-128-108")
}
