package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README's walk-through: copy the reference file, move the listener,
// add a second target, validate, log in through it, explain the way.
func TestCLINewcomerWalkthrough(t *testing.T) {
	noLeaks(t)
	cfg := t.TempDir()
	ref, err := os.ReadFile("../examples/reference.yaml")
	require.NoError(t, err)
	src := strings.Replace(string(ref), "      - Port: 51512", "      - Port: 2222", 1)
	src = strings.Replace(src, "\nInternet:", `      - Name: web
        Subnet: vlab-private-1c
        PrivateIpAddress: 10.0.144.20
        SecurityGroups: [ssh-target]
        Services:
          - Type: ssh
            Port: 22

Internet:`, 1)
	src = strings.Replace(src, "      - Id: ec2\n", "      - Id: ec2\n      - Id: web\n", 1)
	require.NotEqual(t, string(ref), src)
	file := filepath.Join(t.TempDir(), "mine.yaml")
	require.NoError(t, os.WriteFile(file, []byte(src), 0o644))

	out, errs, code := vlab(t, cfg, "validate", file)
	require.Equal(t, 0, code, out+errs)
	assert.Regexp(t, `^\S+:\d+:\d+: warning: TargetGroups\[0\]\.Targets\[1\]\.Id: instance web is in ap-northeast-1c, where no load balancer of target group ssh-targets has a subnet: it will be unused \(Target\.NotInUse\)`, out)
	assert.True(t, strings.HasSuffix(out, file+": ok\n"), "a warning, still ok: %s", out)

	// The NLB is enabled in 1a only: the 1c target is unused
	// (Target.NotInUse) and gets no traffic, cross-zone or not, as in AWS;
	// --target web says so.
	out, errs, code = vlab(t, cfg, "health", "--file", file)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, 1, strings.Count(out, " healthy "), out)
	assert.Regexp(t, `(?m)\s+ap-northeast-1c\s+unused\s+Target\.NotInUse\s+Target is in an Availability Zone that is not enabled for the load balancer$`, out)

	_, errs, code = vlab(t, cfg, "ssh", "--file", file, "--target", "web", "--", "true")
	assert.Equal(t, 255, code)
	assert.Contains(t, errs, "target web is in ap-northeast-1c, an Availability Zone load balancer vlab-nlb has not enabled: it is unused (Target.NotInUse)")

	out, errs, code = vlab(t, cfg, "ssh", "--file", file, "--target", "ec2", "--", "echo $SSH_CLIENT; hostname")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `^203\.0\.113\.10 \d+ 22\nip-10-0-128-108\n$`, out)

	out, errs, code = vlab(t, cfg, "explain", "--file", file)
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `client -> igw-\w+ +203\.0\.113\.10:\d+ +198\.51\.100\.10:2222 `, out)
	assert.Regexp(t, `igw-\w+ -> nlb-1a +203\.0\.113\.10:\d+ +10\.0\.10\.25:2222 +internet gateway`, out)
	assert.Regexp(t, `nlb-1a -> ip-10-0-128-108 +203\.0\.113\.10:\d+ +10\.0\.128\.108:22 +load balancer vlab-nlb rewrite`, out)
}

// vlab validate prints every problem, one per line, FILE:LINE:COL:
// field.path: message, and exits 1.
func TestCLIValidateBrokenFile(t *testing.T) {
	noLeaks(t)
	ref, err := os.ReadFile("../examples/reference.yaml")
	require.NoError(t, err)
	src := strings.NewReplacer(
		"            GatewayId: vlab-igw", "            GatewayId: igw-nope",
		"        CidrBlock: 10.0.16.0/20", "        CidrBlock: 10.0.8.0/21",
		"      - Port: 51512", "      - Port: 70000",
		"    VpcId: vlab-vpc", "    VpcId: vlab-vpc\n    Colour: blue",
	).Replace(string(ref))
	file := filepath.Join(t.TempDir(), "broken.yaml")
	require.NoError(t, os.WriteFile(file, []byte(src), 0o644))

	out, _, code := vlab(t, t.TempDir(), "validate", "../examples/reference.yaml", file)
	assert.Equal(t, 1, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 5, out)
	assert.Equal(t, "../examples/reference.yaml: ok", lines[0])
	loc := regexp.QuoteMeta(file) + `:\d+:\d+: `
	assert.Regexp(t, "^"+loc+`Vpcs\[0\]\.RouteTables\[0\]\.Routes\[0\]\.GatewayId: no internet gateway named "igw-nope"`, lines[1])
	assert.Regexp(t, "^"+loc+`Vpcs\[0\]\.Subnets\[2\]\.CidrBlock: 10\.0\.8\.0/21 overlaps subnet vlab-public-1a \(10\.0\.0\.0/20\)$`, lines[2])
	assert.Regexp(t, "^"+loc+`LoadBalancers\[0\]\.Listeners\[0\]\.Port: 70000 is out of range \(1-65535\)$`, lines[3])
	assert.Regexp(t, "^"+loc+`TargetGroups\[0\]\.Colour: unknown key "Colour"`, lines[4])

	// A command that builds the lab refuses the file with the same lines.
	_, errs, code := vlab(t, t.TempDir(), "ssh", "--file", file, "--", "true")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, lines[3])

	// The scenario's switches do not mix with a file.
	_, errs, code = vlab(t, t.TempDir(), "ssh", "--file", "../examples/reference.yaml", "--targets", "2", "--", "true")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "--targets cannot be used with --file")
}

// --lb picks among a file's load balancers.
func TestCLIFileWithTwoLoadBalancers(t *testing.T) {
	noLeaks(t)
	cfg := t.TempDir()
	pcaps := t.TempDir()
	out, errs, code := vlab(t, cfg, "ssh", "--file", "../examples/two-nlbs.yaml", "--lb", "admin", "--pcap", pcaps, "--", "echo $SSH_CLIENT; hostname")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `^203\.0\.113\.25 \d+ 2022\nip-10-20-10-30\n$`, out)
	files, err := filepath.Glob(filepath.Join(pcaps, "ip-10-20-10-30-eni-*.pcap"))
	require.NoError(t, err)
	assert.Len(t, files, 1, "--pcap works with --file too")

	out, errs, code = vlab(t, cfg, "health", "--file", "../examples/two-nlbs.yaml", "--lb", "web", "--output", "text")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, 2, strings.Count(out, "\thealthy"), out)
	assert.Contains(t, out, "\t8080\n")

	out, errs, code = vlab(t, cfg, "describe", "--file", "../examples/two-nlbs.yaml", "--output", "text")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `(?m)^LOADBALANCER\tweb\tinternet-facing\t`, out)
	assert.Regexp(t, `(?m)^LOADBALANCER\tadmin\tinternet-facing\t`, out)
	assert.Regexp(t, `(?m)^RULE\tsg-\w+\tbastion\tinbound\ttcp 2022 sg-\w+ \(admin-lb\)$`, out)
	assert.Regexp(t, `(?m)^ENTRY\tacl-\w+\tapp\tinbound\t90 tcp 22 0\.0\.0\.0/0 deny$`, out)

	_, errs, code = vlab(t, cfg, "ssh", "--file", "../examples/two-nlbs.yaml", "--lb", "web", "--target", "bastion", "--", "true")
	assert.Equal(t, 255, code)
	assert.Contains(t, errs, "target bastion is not registered in target group web, which load balancer web's listener on 80 forwards to")

	_, errs, code = vlab(t, cfg, "health", "--file", "../examples/two-nlbs.yaml", "--lb", "nope")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, `load balancer "nope": no such load balancer (the lab has [web admin])`)
}

// What only the fabric checks (an attribute's value, a timeout against its
// interval) is placed in the file too, at the field at fault.
func TestCLIValidatePlacesFabricErrors(t *testing.T) {
	noLeaks(t)
	ref, err := os.ReadFile("../examples/reference.yaml")
	require.NoError(t, err)
	for _, tc := range []struct{ old, new, want string }{
		{"    VpcId: vlab-vpc\n", "    VpcId: vlab-vpc\n    TargetGroupAttributes:\n      deregistration_delay.timeout_seconds: abc\n",
			`:102:45: TargetGroups\[0\]\.TargetGroupAttributes\.deregistration_delay\.timeout_seconds: target group ssh-targets: deregistration_delay\.timeout_seconds "abc": must be 0-3600`},
		{"HealthCheckTimeoutSeconds: 10", "HealthCheckTimeoutSeconds: 100",
			`:\d+:32: TargetGroups\[0\]\.HealthCheckTimeoutSeconds: target group ssh-targets: HealthCheckTimeoutSeconds 100 must not exceed HealthCheckIntervalSeconds 30`},
	} {
		src := strings.Replace(string(ref), tc.old, tc.new, 1)
		require.NotEqual(t, string(ref), src)
		file := filepath.Join(t.TempDir(), "lab.yaml")
		require.NoError(t, os.WriteFile(file, []byte(src), 0o644))
		out, _, code := vlab(t, t.TempDir(), "validate", file)
		assert.Equal(t, 1, code)
		assert.Regexp(t, "^"+regexp.QuoteMeta(file)+tc.want+"\n$", out)
	}
}

// A network ACL from a file: explain names the rule that drops the
// client's SYN on its way into the private subnet.
func TestCLIExplainNamesTheACLRule(t *testing.T) {
	noLeaks(t)
	ref, err := os.ReadFile("../examples/reference.yaml")
	require.NoError(t, err)
	src := strings.Replace(string(ref), `        AvailabilityZone: ap-northeast-1a
        RouteTable: vlab-private
`, `        AvailabilityZone: ap-northeast-1a
        RouteTable: vlab-private
        NetworkAcl: strict
`, 1)
	src = strings.Replace(src, "    SecurityGroups:\n      - GroupName: ssh-target", `    NetworkAcls:
      - Name: strict
        Entries:
          - {RuleNumber: 50, Protocol: tcp, RuleAction: deny, CidrBlock: 203.0.113.0/24, PortRange: {From: 22, To: 22}}
          - {RuleNumber: 100, Protocol: -1, RuleAction: allow, CidrBlock: 0.0.0.0/0}
          - {RuleNumber: 100, Egress: true, Protocol: -1, RuleAction: allow, CidrBlock: 0.0.0.0/0}
    SecurityGroups:
      - GroupName: ssh-target`, 1)
	require.NotEqual(t, string(ref), src)
	file := filepath.Join(t.TempDir(), "acl.yaml")
	require.NoError(t, os.WriteFile(file, []byte(src), 0o644))

	out, errs, code := vlab(t, t.TempDir(), "explain", "--file", file, "--timeout", "2s")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `nlb-1a -> ip-10-0-128-108 .*DROPPED: dropped by network ACL acl-0[0-9a-f]+ \(strict\) of subnet vlab-private-1a: inbound rule 50 denies 203\.0\.113\.10 to TCP 22`, out)
}

// A public route table without its default route: the SYN gets in (the
// internet gateway delivers to the node's address), the node's reply has
// no way out, and explain says which table lacks the route: the reply
// stops at that table, never reaching a gateway.
func TestCLIExplainNamesTheMissingRoute(t *testing.T) {
	noLeaks(t)
	ref, err := os.ReadFile("../examples/reference.yaml")
	require.NoError(t, err)
	src := strings.Replace(string(ref), `      - Name: vlab-public
        Routes:
          - DestinationCidrBlock: 0.0.0.0/0
            GatewayId: vlab-igw
`, "      - Name: vlab-public\n", 1)
	require.NotEqual(t, string(ref), src)
	file := filepath.Join(t.TempDir(), "noroute.yaml")
	require.NoError(t, os.WriteFile(file, []byte(src), 0o644))

	out, errs, code := vlab(t, t.TempDir(), "explain", "--file", file, "--timeout", "2s")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `nlb-1a -> rtb-\w+ +10\.0\.10\.25:51512 +203\.0\.113\.10:\d+ .*DROPPED: route table rtb-\w+ \(vlab-public\) of subnet vlab-public-1a has no route to 203\.0\.113\.10`, out)
}

// describe --output yaml writes any variant of the scenario as a file to
// start from: it validates, and the lab it builds behaves as the flags'.
func TestCLIDescribeAsTopology(t *testing.T) {
	noLeaks(t)
	cfg := t.TempDir()
	out, errs, code := vlab(t, cfg, "describe", "--nat-gateway", "--targets", "2", "--output", "yaml")
	require.Equal(t, 0, code, errs)
	assert.True(t, strings.HasPrefix(out, "# A vlab topology, written by: vlab describe --nat-gateway --targets 2 --output yaml\n"), out)
	file := filepath.Join(t.TempDir(), "variant.yaml")
	require.NoError(t, os.WriteFile(file, []byte(out), 0o644))

	out, _, code = vlab(t, cfg, "validate", file)
	require.Equal(t, 0, code, out)
	out, errs, code = vlab(t, cfg, "ssh", "--file", file, "--target", "ec2-2", "--", "hostname; curl -s http://192.0.2.80/")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `^ip-10-0-128-109\nmirror: hello 198\.51\.100\.30:\d+\n$`, out)
}

// A lab with nothing to connect through says so, with the exit statuses
// of ARCHITECTURE.md: 255 for ssh (no session), 1 for the rest.
func TestCLIFileWithoutLoadBalancer(t *testing.T) {
	noLeaks(t)
	file := filepath.Join(t.TempDir(), "pc.yaml")
	require.NoError(t, os.WriteFile(file, []byte("Internet:\n  Clients:\n    - {Name: pc, IpAddress: 203.0.113.5/24}\n"), 0o644))
	cfg := t.TempDir()
	_, errs, code := vlab(t, cfg, "ssh", "--file", file, "--", "true")
	assert.Equal(t, 255, code)
	assert.Equal(t, "vlab: ssh: the lab has no load balancer to connect through\n", errs)
	_, errs, code = vlab(t, cfg, "health", "--file", file)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "the lab has no target group")
	_, errs, code = vlab(t, cfg, "tcpdump", "--file", file)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, `host "ec2": no such host (the lab has [pc])`)
	_, _, code = vlab(t, cfg, "health", "extra")
	assert.Equal(t, 2, code, "an argument where none is taken is a usage error")
}

// Progress goes to stderr when a lab takes noticeable time to build (here
// forced with VLAB_PROGRESS_AFTER=0), leaving stdout to the command.
func TestCLIProgress(t *testing.T) {
	noLeaks(t)
	cfg := t.TempDir()
	out, errs, code := vlab(t, cfg, "health", "--file", "../examples/two-nlbs.yaml", "--output", "text")
	require.Equal(t, 0, code)
	assert.Empty(t, errs, "a quick build says nothing")

	t.Setenv("VLAB_PROGRESS_AFTER", "0")
	out2, errs, code := vlab(t, cfg, "health", "--file", "../examples/two-nlbs.yaml", "--output", "text")
	require.Equal(t, 0, code)
	assert.Equal(t, out, out2)
	assert.Regexp(t, `^vlab: building 1 VPC, 2 load balancers, 3 instances \([\d.]+m?s\)\n(vlab: health checks: .*\n)*vlab: ready: 3 healthy \([\d.]+m?s\)\n$`, errs)
}
