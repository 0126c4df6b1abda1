package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// vlabBin is the built command: `go run` replaces a program's exit status,
// so the CLI tests run the binary, as scripts do.
var vlabBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vlab-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	vlabBin = filepath.Join(dir, "vlab")
	out, err := exec.Command("go", "build", "-o", vlabBin, "../cmd/vlab").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build vlab: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	// And nothing is left once every test is done (noLeaks checks each).
	if err := goleak.Find(); code == 0 && err != nil {
		fmt.Fprintf(os.Stderr, "goroutines left after the tests: %v\n", err)
		code = 1
	}
	os.Exit(code)
}

// vlab runs the built command with a private config directory and returns
// stdout, stderr and the exit status.
func vlab(t *testing.T, cfgDir string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, vlabBin, args...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+cfgDir, "HOME="+cfgDir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return out.String(), errb.String(), code
}

func TestCLISSHCommandForm(t *testing.T) {
	noLeaks(t)
	cfg := t.TempDir()
	out, errs, code := vlab(t, cfg, "ssh", "--", "echo", "$SSH_CLIENT")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `^203\.0\.113\.10 \d+ 22\n$`, out)
	assert.Empty(t, errs, "vlab's stderr stays quiet on success")

	out, errs, code = vlab(t, cfg, "ssh", "--", "false")
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Empty(t, errs)

	out, errs, code = vlab(t, cfg, "ssh", "--", "nosuch-command", "x")
	assert.Equal(t, 127, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, "nosuch-command: command not found")

	_, _, code = vlab(t, cfg, "ssh", "--", "exit 42")
	assert.Equal(t, 42, code)

	out, errs, code = vlab(t, cfg, "ssh", "--", "echo out > /tmp/x; echo $(< /tmp/x) again")
	assert.Equal(t, 0, code, errs)
	assert.Equal(t, "out again\n", out, "redirections write the instance's own files")

	_, errs, code = vlab(t, cfg, "ssh", "--timeout", "1ns", "--", "true")
	assert.Equal(t, 255, code, "no session could be opened")
	assert.Contains(t, errs, "vlab: ssh")

	_, errs, code = vlab(t, cfg, "bogus")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `unknown command "bogus"`)

	_, errs, code = vlab(t, cfg, "ssh", "--zones", "1b", "--", "true")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, `zones: "1b"`)
}

func TestCLIHelpTeaches(t *testing.T) {
	noLeaks(t)
	out, _, code := vlab(t, t.TempDir(), "--help")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "vlab ssh -- 'echo $SSH_CLIENT'")
	assert.Contains(t, out, "up")
	out, _, code = vlab(t, t.TempDir(), "ssh", "--help")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "vlab exits 255 when no session could be\nopened")
	assert.Contains(t, out, "--seed")
}

// startUp starts `vlab up` and returns its ready line's fields.
type upProc struct {
	cmd      *exec.Cmd
	port     string
	keyFile  string
	hostKey  string
	stderr   *syncBuffer // written by vlab up while the test reads it
	readyLen int
}

var readyRE = regexp.MustCompile(`^ready: ssh -p (\d+)(?: -i (\S+))? ec2-user@127\.0\.0\.1 hostkey (SHA256:\S+)$`)

func startUp(t *testing.T, cfgDir string, args ...string) *upProc {
	t.Helper()
	cmd := exec.Command(vlabBin, append([]string{"up", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+cfgDir, "HOME="+cfgDir)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	errb := &syncBuffer{}
	cmd.Stderr = errb
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-lines:
		m := readyRE.FindStringSubmatch(line)
		require.NotNil(t, m, "ready line: %q", line)
		return &upProc{cmd: cmd, port: m[1], keyFile: m[2], hostKey: m[3], stderr: errb}
	case <-time.After(20 * time.Second):
		t.Fatalf("vlab up printed no ready line; stderr: %s", errb.String())
	}
	return nil
}

func (u *upProc) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, u.cmd.Process.Signal(os.Interrupt))
	done := make(chan error, 1)
	go func() { done <- u.cmd.Wait() }()
	select {
	case err := <-done:
		assert.NoError(t, err, "vlab up exits 0 when interrupted; stderr: %s", u.stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatal("vlab up did not stop on interrupt")
	}
}

func TestUpWithOpenSSH(t *testing.T) {
	noLeaks(t)
	sshPath := needTool(t, "ssh", "VLAB_REQUIRE_OPENSSH")
	cfg := t.TempDir()
	u := startUp(t, cfg)
	require.Equal(t, filepath.Join(cfg, "vlab", "id_ed25519"), u.keyFile, "the key vlab generated is named")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sshPath, "-v", "-p", u.port, "-i", u.keyFile,
		"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "IdentitiesOnly=yes", "ec2-user@127.0.0.1", `echo $SSH_CLIENT; exit 3`)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "stderr: %s", errb.String())
	assert.Equal(t, 3, ee.ExitCode())
	assert.Regexp(t, `^203\.0\.113\.10 \d+ 22\n$`, out.String(), "the instance sees the client PC, not the host")
	assert.Contains(t, errb.String(), "Server host key: ssh-ed25519 "+u.hostKey, "the ready line names the key OpenSSH saw")
	u.stop(t)

	// The host key persists across runs.
	u2 := startUp(t, cfg)
	assert.Equal(t, u.hostKey, u2.hostKey)
	u2.stop(t)

	// --authorized-key: the user's own key, and no -i in the ready line.
	pub, err := os.ReadFile(u.keyFile + ".pub")
	require.NoError(t, err)
	own := filepath.Join(t.TempDir(), "own.pub")
	require.NoError(t, os.WriteFile(own, pub, 0o600))
	u3 := startUp(t, t.TempDir(), "--ephemeral", "--authorized-key", own)
	assert.Empty(t, u3.keyFile)
	cmd = exec.CommandContext(ctx, sshPath, "-p", u3.port, "-i", u.keyFile,
		"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "IdentitiesOnly=yes", "ec2-user@127.0.0.1", "hostname")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
	assert.Contains(t, string(b), "ip-10-0-128-108\n")
	u3.stop(t)
}

func TestUpRefusesNonLoopback(t *testing.T) {
	noLeaks(t)
	_, errs, code := vlab(t, t.TempDir(), "up", "--ephemeral", "--listen", "0.0.0.0:2222")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "not a loopback address")
	_, errs, code = vlab(t, t.TempDir(), "up", "--ephemeral", "--listen", ":2222")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "give a loopback address")
}

// The interactive form under a real terminal: a prompt, a command, Ctrl-D.
func TestCLIInteractiveShell(t *testing.T) {
	noLeaks(t)
	cmd := exec.Command(vlabBin, "ssh", "--ephemeral")
	cmd.Env = append(os.Environ(), "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 100})
	require.NoError(t, err)
	defer f.Close()
	var buf syncBuffer
	go io.Copy(&buf, f)

	waitFor := func(s string) {
		t.Helper()
		require.Eventually(t, func() bool { return strings.Contains(buf.String(), s) }, 20*time.Second, 5*time.Millisecond, "waiting for %q in %q", s, buf.String())
	}
	waitFor("[ec2-user@ip-10-0-128-108 ~]$ ")
	io.WriteString(f, "echo hel\x7flo $SSH_CLIENT\r")
	waitFor("helo 203.0.113.10 ")
	io.WriteString(f, "exit 5\r")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, 5, ee.ExitCode(), "the remote shell's status becomes vlab's")
	case <-time.After(20 * time.Second):
		cmd.Process.Signal(syscall.SIGKILL)
		t.Fatalf("vlab ssh did not exit; screen: %q", buf.String())
	}
}

func TestCLIHealth(t *testing.T) {
	noLeaks(t)
	cfg := t.TempDir()
	out, errs, code := vlab(t, cfg, "health")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `^TARGET\s+PORT\s+ZONE\s+STATE\s+REASON\s+DESCRIPTION\n`, out)
	assert.Regexp(t, `(?m)^i-0[0-9a-f]{16}\s+22\s+ap-northeast-1a\s+healthy\s+-\s+-$`, out)

	out, _, code = vlab(t, cfg, "health", "--no-sg-nlb-rule")
	require.Equal(t, 0, code)
	assert.Regexp(t, `(?m)\s+unhealthy\s+Target\.FailedHealthChecks\s+Health checks failed: no answer within 10 s \(HealthCheckTimeoutSeconds\)$`, out)

	out, _, code = vlab(t, cfg, "health", "--no-sg-nlb-rule", "--output", "json")
	require.Equal(t, 0, code)
	var doc struct {
		TargetHealthDescriptions []struct {
			Target struct {
				Id               string
				Port             int
				AvailabilityZone string
			}
			HealthCheckPort string
			TargetHealth    struct{ State, Reason, Description string }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	require.Len(t, doc.TargetHealthDescriptions, 1)
	d := doc.TargetHealthDescriptions[0]
	assert.Equal(t, 22, d.Target.Port)
	assert.Equal(t, "22", d.HealthCheckPort)
	assert.Equal(t, "unhealthy", d.TargetHealth.State)
	assert.Equal(t, "Target.FailedHealthChecks", d.TargetHealth.Reason)

	out, _, code = vlab(t, cfg, "health", "--output", "text")
	require.Equal(t, 0, code)
	assert.Regexp(t, "^TARGETHEALTHDESCRIPTIONS\t22\nTARGET\tap-northeast-1a\ti-0[0-9a-f]{16}\t22\nTARGETHEALTH\thealthy\n$", out)

	_, errs, code = vlab(t, cfg, "health", "--output", "yaml")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `--output "yaml"`)
}

// A session that cannot open fails fast, naming the security-group drop.
func TestCLISSHNamesTheSecurityGroupDrop(t *testing.T) {
	noLeaks(t)
	start := time.Now()
	_, errs, code := vlab(t, t.TempDir(), "ssh", "--no-sg-client-rule", "--", "true")
	assert.Equal(t, 255, code)
	assert.Regexp(t, `dropped by security group sg-0[0-9a-f]{16} \(ssh-target\) at eni-0[0-9a-f]{16} of ip-10-0-128-108: no inbound rule allows 203\.0\.113\.10 to TCP 22`, errs)
	assert.Less(t, time.Since(start), 8*time.Second, "well before --timeout")

	// Without the node's rule the target is unhealthy, the NLB fails open,
	// and the session works.
	out, errs, code := vlab(t, t.TempDir(), "ssh", "--no-sg-nlb-rule", "--", "hostname")
	assert.Equal(t, 0, code, errs)
	assert.Equal(t, "ip-10-0-128-108\n", out)
}

func TestCLIDescribe(t *testing.T) {
	noLeaks(t)
	cfg := t.TempDir()
	out, errs, code := vlab(t, cfg, "describe", "--drops", "--no-sg-client-rule")
	require.Equal(t, 0, code, errs)
	for _, want := range []string{
		"ELB net/vlab-nlb/", "ssh-target", "tcp 22 10.0.10.25/32", "0.0.0.0/0    igw-0",
		"listener TCP 51512 -> ssh-targets (tcp.idle_timeout.seconds = 350)", "DNS answer: 198.51.100.10", "target_health_state.unhealthy.connection_termination.enabled = true",
		"DROPS (after the seed's session)",
	} {
		assert.Contains(t, out, want)
	}
	assert.Regexp(t, `eni-0[0-9a-f]{16}\s+security-group\s+TCP\s+203\.0\.113\.10\s+10\.0\.128\.108:22\s+1\s+dropped by security group`, out)

	out, _, code = vlab(t, cfg, "describe", "--output", "json")
	require.Equal(t, 0, code)
	var d struct {
		Hosts []struct {
			Name              string
			NetworkInterfaces []struct{ NetworkInterfaceId, PrivateIpAddress string }
		}
		SecurityGroups []struct{ GroupName string }
	}
	require.NoError(t, json.Unmarshal([]byte(out), &d))
	names := []string{}
	for _, h := range d.Hosts {
		names = append(names, h.Name)
	}
	assert.Equal(t, []string{"client", "mirror", "nlb-1a", "ip-10-0-128-108"}, names)
}

func TestCLITcpdump(t *testing.T) {
	noLeaks(t)
	cfg := t.TempDir()
	out, errs, code := vlab(t, cfg, "tcpdump", "-n", "port", "22")
	require.Equal(t, 0, code, errs)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Greater(t, len(lines), 10)
	// The session's handshake (health checks from 10.0.10.25 may show too,
	// as they do on a real instance).
	assert.Regexp(t, `(?m)^\d\d:\d\d:\d\d\.\d{6} IP 203\.0\.113\.10\.\d+ > 10\.0\.128\.108\.ssh: Flags \[S\], seq \d+, win \d+, options \[mss 1460,`, out)
	assert.Contains(t, errs, "listening on eth0")
	assert.Regexp(t, `\d+ packets captured`, errs)

	out, _, code = vlab(t, cfg, "tcpdump", "--host", "client", "-nn", "-c", "3")
	require.Equal(t, 0, code)
	assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 3)
	assert.Contains(t, out, "198.51.100.10.51512")

	_, errs, code = vlab(t, cfg, "tcpdump", "-n", "port", "22", "and")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "column 12: expected an expression")

	out, errs, code = vlab(t, cfg, "ssh", "--", "sudo tcpdump -n port 22 -A | head")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, 10, strings.Count(out, "\n"), "head's ten lines")
	// The session's own packets, either way (which comes first is the
	// stacks' scheduling), with the port named as Amazon Linux 2's
	// tcpdump names it even with -n.
	assert.Regexp(t, `IP (10\.0\.128\.108\.ssh > 203\.0\.113\.10\.\d+|203\.0\.113\.10\.\d+ > 10\.0\.128\.108\.ssh): Flags`, out)

	dir := t.TempDir()
	_, errs, code = vlab(t, cfg, "ssh", "--pcap", dir, "--", "true")
	require.Equal(t, 0, code, errs)
	files, err := filepath.Glob(filepath.Join(dir, "ip-10-0-128-108-eni-*.pcap"))
	require.NoError(t, err)
	assert.Len(t, files, 1)
}

func TestCLIFlowlogs(t *testing.T) {
	noLeaks(t)
	cfg := t.TempDir()
	out, errs, code := vlab(t, cfg, "flowlogs", "--filter", `[version, account, eni, source="203.0.113.10", destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action, flowlogstatus]`)
	require.Equal(t, 0, code, errs)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// The instance's ENI only: at the node's, what leaves toward the
	// instance has the node's own address as srcaddr (the packet's source,
	// the client, is pkt-srcaddr), by AWS's definitions.
	require.Len(t, lines, 1, "the client's record at the instance's ENI: %s", out)
	assert.Regexp(t, `^2 123456789012 eni-0[0-9a-f]{16} 203\.0\.113\.10 10\.0\.128\.108 \d+ 22 6 \d+ \d+ \d+ \d+ ACCEPT OK$`, lines[0])
	out, errs, code = vlab(t, cfg, "flowlogs", "--host", "nlb-1a", "--format", "srcaddr pkt-srcaddr dstaddr pkt-dstaddr dstport flow-direction", "--filter", `[src, pkt_src="203.0.113.10", dst, pkt_dst, port="22", dir]`)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "10.0.10.25 203.0.113.10 10.0.128.108 10.0.128.108 22 egress\n", out, "the node's backend leg: its own address as srcaddr, the client's as pkt-srcaddr")

	out, _, code = vlab(t, cfg, "flowlogs", "--no-sg-client-rule", "--host", "ec2", "--filter", `[..., action="REJECT", flowlogstatus]`)
	require.Equal(t, 0, code)
	assert.Regexp(t, `^2 123456789012 eni-0[0-9a-f]{16} 203\.0\.113\.10 10\.0\.128\.108 \d+ 22 6 \d+ \d+ \d+ \d+ REJECT OK\n$`, out)

	out, _, code = vlab(t, cfg, "flowlogs", "--host", "ec2", "--output", "json", "--filter", "ACCEPT")
	require.Equal(t, 0, code)
	var doc struct {
		Events []struct {
			LogStreamName string
			Timestamp     int64
			Message       string
		} `json:"events"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.NotEmpty(t, doc.Events)
	assert.Regexp(t, `^eni-0`, doc.Events[0].LogStreamName)
	assert.Contains(t, doc.Events[0].Message, " ACCEPT OK")

	_, errs, code = vlab(t, cfg, "flowlogs", "--filter", "[a, b=")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "column 7: expected a value")

	file := filepath.Join(t.TempDir(), "flow.log")
	_, errs, code = vlab(t, cfg, "ssh", "--flow-logs", file, "--", "true")
	require.Equal(t, 0, code, errs)
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(b), "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"), string(b))
	assert.Contains(t, string(b), " 203.0.113.10 10.0.128.108 ")
}

func TestCLITargetsAndNAT(t *testing.T) {
	noLeaks(t)
	cfg := t.TempDir()
	out, errs, code := vlab(t, cfg, "ssh", "--target-type", "ip", "--", "echo $SSH_CLIENT")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `^10\.0\.10\.25 \d+ 22\n$`, out)
	out, errs, code = vlab(t, cfg, "ssh", "--target-type", "ip", "--proxy-protocol", "--", "echo $SSH_CLIENT")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `^203\.0\.113\.10 \d+ 22\n$`, out)
	// Proxy Protocol keeps the NLB a pass-through: with an instance target
	// the TCP peer is still the client.
	out, errs, code = vlab(t, cfg, "ssh", "--proxy-protocol", "--", "ss -tn; echo $SSH_CLIENT")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `ESTAB\s+\d+\s+\d+\s+10\.0\.128\.108:22\s+203\.0\.113\.10:(\d+)\s[\s\S]*\n203\.0\.113\.10 \d+ 22\n$`, out)
	out, errs, code = vlab(t, cfg, "ssh", "--nat-gateway", "--", "curl -s http://192.0.2.80/")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `^mirror: hello 198\.51\.100\.30:\d+\n$`, out)
	_, errs, code = vlab(t, cfg, "ssh", "--preserve-client-ip", "maybe", "--", "true")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "--preserve-client-ip")
}

// needTool returns the path of an external tool the test drives. Without
// it the test is skipped, unless the run sets env (CI does, having
// installed the tool), in which case it fails.
func needTool(t *testing.T, name, env string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv(env) != "" {
			t.Fatalf("%s is required by this run (%s is set) and is missing", name, env)
		}
		t.Skipf("%s is not installed", name)
	}
	return path
}
