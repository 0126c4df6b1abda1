package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
)

// copySize is the file each way: 50 MB under the race detector too, where
// the test only hashes and vlab up is built without it (about 4 s).
const copySize = 50 << 20

// Copies with real OpenSSH through vlab up: scp (SFTP, its default), scp -O
// (the rcp protocol, run through the instance's shell) and sftp's batch
// mode, a large random file keeping its sha256 each way; refusals in the
// clients' own words.
func TestSCPAndSFTPWithOpenSSH(t *testing.T) {
	noLeaks(t)
	sshPath := needTool(t, "ssh", "VLAB_REQUIRE_OPENSSH")
	scpPath := needTool(t, "scp", "VLAB_REQUIRE_OPENSSH")
	sftpPath := needTool(t, "sftp", "VLAB_REQUIRE_OPENSSH")
	u := startUp(t, t.TempDir(), "--ephemeral")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	opts := []string{"-i", u.keyFile, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR"}
	const remote = "ec2-user@127.0.0.1"
	run := func(stdin string, tool string, args ...string) (stdout, stderr string, code int) {
		t.Helper()
		cmd := exec.CommandContext(ctx, tool, args...)
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return out.String(), errb.String(), ee.ExitCode()
		}
		require.NoError(t, err, "%s %v: %s", tool, args, errb.String())
		return out.String(), errb.String(), 0
	}
	ssh := func(command string) string {
		t.Helper()
		out, errs, code := run("", sshPath, append(append([]string{"-p", u.port}, opts...), remote, command)...)
		require.Equal(t, 0, code, "ssh %q: %s", command, errs)
		return out
	}
	scp := func(args ...string) {
		t.Helper()
		_, errs, code := run("", scpPath, append(append([]string{"-P", u.port}, opts...), args...)...)
		require.Equal(t, 0, code, "scp %v: %s", args, errs)
	}

	dir := t.TempDir()
	src := filepath.Join(dir, "src.bin")
	data := make([]byte, copySize)
	rnd := rand.NewChaCha8([32]byte{42})
	rnd.Read(data)
	require.NoError(t, os.WriteFile(src, data, 0o644))
	want := sha256Hex(data)
	// The instance's own sha256sum says what it holds; rm keeps its disk
	// (256 MiB, in vlab up's memory) for the next copy.
	onInstance := func(name string) {
		t.Helper()
		assert.Equal(t, want+"  "+name+"\n", ssh("sha256sum "+name+"; rm "+name), "what the instance holds")
	}
	local := func(name string) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Equal(t, want, sha256Hex(b), "%s came back whole", name)
	}

	start := time.Now()
	scp(src, remote+":viasftp.bin")
	scp(remote+":viasftp.bin", filepath.Join(dir, "back-sftp.bin"))
	local("back-sftp.bin")
	onInstance("viasftp.bin")
	t.Logf("scp, SFTP mode: %d bytes each way in %v", copySize, time.Since(start))

	start = time.Now()
	scp("-O", src, remote+":viarcp.bin")
	scp("-O", remote+":viarcp.bin", filepath.Join(dir, "back-rcp.bin"))
	local("back-rcp.bin")
	onInstance("viarcp.bin")
	t.Logf("scp -O: %d bytes each way in %v", copySize, time.Since(start))

	start = time.Now()
	batch := "put " + src + " viabatch.bin\nget viabatch.bin " + filepath.Join(dir, "back-batch.bin") + "\nls -l\n"
	out, errs, code := run(batch, sftpPath, append(append([]string{"-P", u.port}, opts...), "-b", "-", remote)...)
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, fmt.Sprintf(`sftp> ls -l\n-rw-r--r-- +1 ec2-user +ec2-user +%d .* viabatch\.bin\n`, copySize), out,
		"ls -l lists the home directory with the owners' names; the mode is the local file's less sshd's umask")
	local("back-batch.bin")
	onInstance("viabatch.bin")
	t.Logf("sftp -b: %d bytes each way in %v", copySize, time.Since(start))

	// Refusals, as OpenSSH's clients print them.
	scpArgs := append([]string{"-P", u.port}, opts...)
	_, errs, code = run("", scpPath, append(scpArgs, src, remote+":/etc/")...)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, `dest open "/etc/src.bin": Permission denied`)
	_, errs, code = run("", scpPath, append(scpArgs, "-O", src, remote+":/etc/")...)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "scp: /etc/src.bin: Permission denied")
	_, errs, code = run("", scpPath, append(scpArgs, "-O", remote+":nosuch", dir)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "scp: nosuch: No such file or directory")
	out, errs, code = run("get nosuch\n", sftpPath, append(append([]string{"-P", u.port}, opts...), "-b", "-", remote)...)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, errs, `File "/home/ec2-user/nosuch" not found.`)

	// A subsystem the instance has not: the reason reaches the terminal
	// before OpenSSH's own line, though the client exits at the refusal.
	_, errs, code = run("", sshPath, append(append([]string{"-p", u.port}, opts...), "-s", remote, "nosuch")...)
	assert.Equal(t, 255, code)
	assert.Contains(t, errs, `vlab: subsystem "nosuch" is not available on this simulated instance (it has sftp)`+"\r\n")
	assert.Contains(t, errs, "subsystem request failed")
	u.stop(t)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// The SFTP subsystem in the lab with Go's clients: files go both ways as
// ec2-user, ps shows the session's sftp-server, and another subsystem is
// refused.
func TestSFTPSubsystemInTheLab(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, lab.Default())
	cl, err := l.SSH(ctxT(t))
	require.NoError(t, err)
	defer cl.Close()
	sc, err := sftp.NewClient(cl)
	require.NoError(t, err)
	w, err := sc.Create("notes.txt")
	require.NoError(t, err)
	_, err = io.WriteString(w, "from the client\n")
	require.NoError(t, err)
	require.NoError(t, w.Close())

	res, err := l.Run(ctxT(t), "cat notes.txt; ls -l notes.txt; ps -ef | grep -c '[s]ftp-server'")
	require.NoError(t, err)
	assert.Regexp(t, `^from the client\n-rw-r--r-- 1 ec2-user ec2-user 16 .* notes.txt\n1\n$`, res.Stdout)

	_, err = sc.Create("/etc/motd")
	assert.ErrorIs(t, err, os.ErrPermission)
	_, err = l.Run(ctxT(t), "echo changed >> notes.txt")
	require.NoError(t, err)
	r, err := sc.Open("/home/ec2-user/notes.txt")
	require.NoError(t, err)
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	assert.Equal(t, "from the client\nchanged\n", string(b))
	require.NoError(t, sc.Close())

	s, err := cl.NewSession()
	require.NoError(t, err)
	defer s.Close()
	assert.ErrorContains(t, s.RequestSubsystem("nosuch"), "subsystem request failed")
}
