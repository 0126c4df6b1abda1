package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var apiRE = regexp.MustCompile(`^api: (http://127\.0\.0\.1:\d+) region (\S+)$`)

// startUpAPI starts `vlab up --api` and returns its ready line's fields and
// the API endpoint its second line names.
func startUpAPI(t *testing.T, args ...string) (*upProc, string) {
	t.Helper()
	cfg := t.TempDir()
	cmd := exec.Command(vlabBin, append([]string{"up", "--ephemeral", "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+cfg, "HOME="+cfg)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	errb := &syncBuffer{}
	cmd.Stderr = errb
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 2)
	go func() {
		sc := bufio.NewScanner(stdout)
		for i := 0; i < 2 && sc.Scan(); i++ {
			lines <- sc.Text()
		}
		io.Copy(io.Discard, stdout)
	}()
	var got []string
	for len(got) < 2 {
		select {
		case line := <-lines:
			got = append(got, line)
		case <-time.After(20 * time.Second):
			t.Fatalf("vlab up printed %q; stderr: %s", got, errb.String())
		}
	}
	m := readyRE.FindStringSubmatch(got[0])
	require.NotNil(t, m, "ready line: %q", got[0])
	a := apiRE.FindStringSubmatch(got[1])
	require.NotNil(t, a, "api line: %q", got[1])
	assert.Equal(t, "ap-northeast-1", a[2])
	return &upProc{cmd: cmd, port: m[1], keyFile: m[2], hostKey: m[3], stderr: errb}, a[1]
}

// awsCLI runs the AWS CLI v2 against endpoint; Debian's awscli is
// /usr/bin/aws (an older aws may come first on PATH).
func awsCLI(t *testing.T, endpoint string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/aws", append([]string{"--endpoint-url", endpoint, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDVLABTEST", "AWS_SECRET_ACCESS_KEY=vlab", "AWS_DEFAULT_REGION=ap-northeast-1",
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func needAWSCLI(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/aws"); err != nil {
		if os.Getenv("VLAB_REQUIRE_AWSCLI") != "" {
			t.Fatalf("/usr/bin/aws is required by this run (VLAB_REQUIRE_AWSCLI is set) and is missing")
		}
		t.Skip("/usr/bin/aws (Debian's awscli) is not installed")
	}
}

// The session: the AWS CLI revokes the rule that admits the NLB
// node's health checks; the target turns unhealthy on the lab clock, an
// SSH session opened before keeps working (a tracked connection), and a
// new one still opens (the NLB fails open).
func TestAWSCLIRevokeRule(t *testing.T) {
	noLeaks(t)
	needAWSCLI(t)
	sshPath := needTool(t, "ssh", "VLAB_REQUIRE_OPENSSH")
	u, endpoint := startUpAPI(t, "--time-scale", "20")
	defer u.stop(t)

	out, err := awsCLI(t, endpoint, "elbv2", "describe-target-groups", "--names", "ssh-targets")
	require.NoError(t, err, out)
	var tgs struct {
		TargetGroups []struct{ TargetGroupArn string }
	}
	require.NoError(t, json.Unmarshal([]byte(out), &tgs), out)
	require.Len(t, tgs.TargetGroups, 1)
	tg := tgs.TargetGroups[0].TargetGroupArn
	health := func() (state, reason string) {
		out, err := awsCLI(t, endpoint, "elbv2", "describe-target-health", "--target-group-arn", tg)
		require.NoError(t, err, out)
		var h struct {
			TargetHealthDescriptions []struct {
				TargetHealth struct{ State, Reason string }
			}
		}
		require.NoError(t, json.Unmarshal([]byte(out), &h), out)
		require.Len(t, h.TargetHealthDescriptions, 1)
		return h.TargetHealthDescriptions[0].TargetHealth.State, h.TargetHealthDescriptions[0].TargetHealth.Reason
	}
	state, _ := health()
	require.Equal(t, "healthy", state)

	out, err = awsCLI(t, endpoint, "ec2", "describe-security-groups", "--filters", "Name=group-name,Values=ssh-target")
	require.NoError(t, err, out)
	var sgs struct{ SecurityGroups []struct{ GroupId string } }
	require.NoError(t, json.Unmarshal([]byte(out), &sgs), out)
	require.Len(t, sgs.SecurityGroups, 1)
	sg := sgs.SecurityGroups[0].GroupId

	// A session opened before the change: it answers each line it reads.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	sshArgs := func(command string) []string {
		return []string{"-p", u.port, "-i", u.keyFile, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
			"-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "ec2-user@127.0.0.1", command}
	}
	sess := exec.CommandContext(ctx, sshPath, sshArgs(`while read l; do echo "got $l"; done`)...)
	in, err := sess.StdinPipe()
	require.NoError(t, err)
	var sessOut syncBuffer
	sess.Stdout, sess.Stderr = &sessOut, &sessOut
	require.NoError(t, sess.Start())
	io.WriteString(in, "before\n")
	require.Eventually(t, func() bool { return strings.Contains(sessOut.String(), "got before") }, 30*time.Second, 10*time.Millisecond, "%s", sessOut.String())

	out, err = awsCLI(t, endpoint, "ec2", "revoke-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "22", "--cidr", "10.0.10.25/32")
	require.NoError(t, err, out)
	assert.Contains(t, out, `"Return": true`)
	out, err = awsCLI(t, endpoint, "ec2", "revoke-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "22", "--cidr", "10.0.10.25/32")
	require.Error(t, err)
	assert.Contains(t, out, "An error occurred (InvalidPermission.NotFound) when calling the RevokeSecurityGroupIngress operation")

	// Two intervals (30 s each) and a timeout of lab time at 20x.
	require.Eventually(t, func() bool {
		state, reason := health()
		return state == "unhealthy" && reason == "Target.FailedHealthChecks"
	}, 30*time.Second, 200*time.Millisecond)

	io.WriteString(in, "after\n")
	require.Eventually(t, func() bool { return strings.Contains(sessOut.String(), "got after") }, 30*time.Second, 10*time.Millisecond,
		"the session opened before keeps working: %s", sessOut.String())

	// Health-check settings change live.
	out, err = awsCLI(t, endpoint, "elbv2", "modify-target-group", "--target-group-arn", tg, "--health-check-interval-seconds", "10")
	require.NoError(t, err, out)
	assert.Contains(t, out, `"HealthCheckIntervalSeconds": 10`)
	assert.Contains(t, u.stderr.String(), "vlab: api: ModifyTargetGroup ssh-targets health check TCP port traffic-port, interval 10s")

	// A network ACL deny entry for the client cuts the session's path (a
	// network ACL is stateless: the tracked connection does not help);
	// deleting it lets the held line through.
	out, err = awsCLI(t, endpoint, "ec2", "describe-instances", "--query", "Reservations[0].Instances[0].SubnetId", "--output", "text")
	require.NoError(t, err, out)
	out, err = awsCLI(t, endpoint, "ec2", "describe-network-acls", "--filters", "Name=association.subnet-id,Values="+strings.TrimSpace(out), "--query", "NetworkAcls[0].NetworkAclId", "--output", "text")
	require.NoError(t, err, out)
	acl := strings.TrimSpace(out)
	out, err = awsCLI(t, endpoint, "ec2", "create-network-acl-entry", "--network-acl-id", acl, "--ingress", "--rule-number", "1",
		"--protocol", "-1", "--rule-action", "deny", "--cidr-block", "203.0.113.10/32")
	require.NoError(t, err, out)
	io.WriteString(in, "cut\n")
	assert.Never(t, func() bool { return strings.Contains(sessOut.String(), "got cut") }, 2*time.Second, 50*time.Millisecond, "the deny entry holds the line")
	out, err = awsCLI(t, endpoint, "ec2", "delete-network-acl-entry", "--network-acl-id", acl, "--ingress", "--rule-number", "1")
	require.NoError(t, err, out)
	require.Eventually(t, func() bool { return strings.Contains(sessOut.String(), "got cut") }, 30*time.Second, 10*time.Millisecond,
		"retransmitted once the entry is gone: %s", sessOut.String())
	assert.Contains(t, u.stderr.String(), "vlab: api: CreateNetworkAclEntry "+acl+" inbound 1 all 203.0.113.10/32 deny: ok")
	in.Close()
	require.NoError(t, sess.Wait(), sessOut.String())

	b, err := exec.CommandContext(ctx, sshPath, sshArgs("echo $SSH_CLIENT")...).CombinedOutput()
	require.NoError(t, err, "a new session opens (the NLB fails open): %s", b)
	assert.Contains(t, string(b), "203.0.113.10 ")

	assert.Contains(t, u.stderr.String(), "vlab: api: RevokeSecurityGroupIngress "+sg+" (ssh-target) inbound peer: 10.0.10.25/32, TCP, from port: 22, to port: 22, ALLOW: ok")

	out, err = awsCLI(t, endpoint, "--region", "us-east-1", "ec2", "describe-vpcs")
	require.Error(t, err)
	assert.Contains(t, out, "SignatureDoesNotMatch")
}

func TestUpAPIRefusesNonLoopback(t *testing.T) {
	noLeaks(t)
	_, errs, code := vlab(t, t.TempDir(), "up", "--ephemeral", "--listen", "127.0.0.1:0", "--api", "0.0.0.0:4566")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, `--api "0.0.0.0:4566": 0.0.0.0 is not a loopback address`)
}

// The lifecycle steps: `ec2 stop-instances` closes the open
// OpenSSH session (the instance's sshd ends it as the OS shuts down) and
// the target becomes unused (Target.InvalidState); `ec2 start-instances`
// brings the instance back, healthy again once the healthy threshold's
// checks pass, and a new session opens.
func TestAWSCLIStopStartInstance(t *testing.T) {
	noLeaks(t)
	needAWSCLI(t)
	sshPath := needTool(t, "ssh", "VLAB_REQUIRE_OPENSSH")
	u, endpoint := startUpAPI(t, "--time-scale", "20")
	defer u.stop(t)

	out, err := awsCLI(t, endpoint, "ec2", "describe-instances")
	require.NoError(t, err, out)
	var insts struct {
		Reservations []struct {
			Instances []struct {
				InstanceId, ImageId, InstanceType string
				State                             struct{ Name string }
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &insts), out)
	require.NotEmpty(t, insts.Reservations)
	inst := insts.Reservations[0].Instances[0]
	assert.Equal(t, "running", inst.State.Name)
	assert.Equal(t, "t3.micro", inst.InstanceType)
	assert.True(t, strings.HasPrefix(inst.ImageId, "ami-"), inst.ImageId)
	id := inst.InstanceId

	out, err = awsCLI(t, endpoint, "elbv2", "describe-target-groups", "--names", "ssh-targets")
	require.NoError(t, err, out)
	var tgs struct {
		TargetGroups []struct{ TargetGroupArn string }
	}
	require.NoError(t, json.Unmarshal([]byte(out), &tgs), out)
	require.Len(t, tgs.TargetGroups, 1)
	health := func() (state, reason string) {
		out, err := awsCLI(t, endpoint, "elbv2", "describe-target-health", "--target-group-arn", tgs.TargetGroups[0].TargetGroupArn)
		require.NoError(t, err, out)
		var h struct {
			TargetHealthDescriptions []struct {
				TargetHealth struct{ State, Reason string }
			}
		}
		require.NoError(t, json.Unmarshal([]byte(out), &h), out)
		require.Len(t, h.TargetHealthDescriptions, 1)
		return h.TargetHealthDescriptions[0].TargetHealth.State, h.TargetHealthDescriptions[0].TargetHealth.Reason
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	sshArgs := func(command string) []string {
		return []string{"-p", u.port, "-i", u.keyFile, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
			"-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "ec2-user@127.0.0.1", command}
	}
	sess := exec.CommandContext(ctx, sshPath, sshArgs(`while read l; do echo "got $l"; done`)...)
	in, err := sess.StdinPipe()
	require.NoError(t, err)
	defer in.Close()
	var sessOut syncBuffer
	sess.Stdout, sess.Stderr = &sessOut, &sessOut
	require.NoError(t, sess.Start())
	io.WriteString(in, "before\n")
	require.Eventually(t, func() bool { return strings.Contains(sessOut.String(), "got before") }, 30*time.Second, 10*time.Millisecond, "%s", sessOut.String())

	out, err = awsCLI(t, endpoint, "ec2", "stop-instances", "--instance-ids", id)
	require.NoError(t, err, out)
	var stop struct {
		StoppingInstances []struct {
			InstanceId                  string
			CurrentState, PreviousState struct {
				Code int
				Name string
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &stop), out)
	require.Len(t, stop.StoppingInstances, 1)
	assert.Equal(t, id, stop.StoppingInstances[0].InstanceId)
	assert.Equal(t, "stopping", stop.StoppingInstances[0].CurrentState.Name)
	assert.Equal(t, 64, stop.StoppingInstances[0].CurrentState.Code)
	assert.Equal(t, "running", stop.StoppingInstances[0].PreviousState.Name)

	// The open session ends as OpenSSH reports a server that went away.
	err = sess.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "%s", sessOut.String())
	assert.Equal(t, 255, ee.ExitCode())
	assert.Contains(t, sessOut.String(), "closed by remote host")

	require.Eventually(t, func() bool {
		state, reason := health()
		return state == "unused" && reason == "Target.InvalidState"
	}, 30*time.Second, 200*time.Millisecond)
	require.Eventually(t, func() bool {
		out, err := awsCLI(t, endpoint, "ec2", "describe-instances", "--instance-ids", id, "--query", "Reservations[0].Instances[0].State.Name", "--output", "text")
		return err == nil && strings.TrimSpace(out) == "stopped"
	}, 30*time.Second, 200*time.Millisecond)

	out, err = awsCLI(t, endpoint, "ec2", "start-instances", "--instance-ids", id)
	require.NoError(t, err, out)
	assert.Contains(t, out, `"StartingInstances"`)
	assert.Contains(t, out, `"Name": "pending"`)
	// Five checks 30 s apart at 20x: under ten seconds.
	require.Eventually(t, func() bool {
		state, _ := health()
		return state == "healthy"
	}, 60*time.Second, 200*time.Millisecond)
	b, err := exec.CommandContext(ctx, sshPath, sshArgs("echo back")...).CombinedOutput()
	require.NoError(t, err, "a new session opens: %s", b)
	assert.Contains(t, string(b), "back")

	assert.Contains(t, u.stderr.String(), "vlab: api: StopInstances "+id+" running -> stopping: ok")
	assert.Contains(t, u.stderr.String(), "vlab: api: StartInstances "+id+" stopped -> pending: ok")
}

// Deregister the target, register it again while it drains: it goes back
// in service, and vlab up's log shows both changes and the health they
// cause.
func TestAWSCLIDeregisterRegister(t *testing.T) {
	noLeaks(t)
	needAWSCLI(t)
	u, endpoint := startUpAPI(t, "--time-scale", "20")
	defer u.stop(t)
	out, err := awsCLI(t, endpoint, "elbv2", "describe-target-groups", "--names", "ssh-targets", "--query", "TargetGroups[0].TargetGroupArn", "--output", "text")
	require.NoError(t, err, out)
	tg := strings.TrimSpace(out)
	out, err = awsCLI(t, endpoint, "ec2", "describe-instances", "--query", "Reservations[0].Instances[0].InstanceId", "--output", "text")
	require.NoError(t, err, out)
	id := strings.TrimSpace(out)
	state := func() string {
		out, err := awsCLI(t, endpoint, "elbv2", "describe-target-health", "--target-group-arn", tg, "--query", "TargetHealthDescriptions[0].TargetHealth.State", "--output", "text")
		require.NoError(t, err, out)
		return strings.TrimSpace(out)
	}
	require.Eventually(t, func() bool { return state() == "healthy" }, 20*time.Second, 50*time.Millisecond)
	out, err = awsCLI(t, endpoint, "elbv2", "deregister-targets", "--target-group-arn", tg, "--targets", "Id="+id)
	require.NoError(t, err, out)
	assert.Equal(t, "draining", state())
	out, err = awsCLI(t, endpoint, "elbv2", "register-targets", "--target-group-arn", tg, "--targets", "Id="+id)
	require.NoError(t, err, out)
	require.Eventually(t, func() bool { return state() == "healthy" }, 20*time.Second, 50*time.Millisecond, "back in service")
	require.Eventually(t, func() bool {
		log := u.stderr.String()
		return strings.Contains(log, "vlab: api: DeregisterTargets ssh-targets "+id+":22: ok") &&
			strings.Contains(log, "vlab: api: RegisterTargets ssh-targets "+id+":22: ok") &&
			strings.Contains(log, "draining -> initial (Elb.RegistrationInProgress)")
	}, 10*time.Second, 10*time.Millisecond, u.stderr.String())
}
