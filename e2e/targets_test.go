package e2e

import (
	"bufio"
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/vnet"
)

func sshClientOf(t *testing.T, c lab.Config) (string, *lab.Lab) {
	t.Helper()
	l := labtest.New(t, manual(c))
	res, err := l.Run(ctxT(t), "echo $SSH_CLIENT")
	require.NoError(t, err)
	require.Equal(t, 0, res.ExitStatus, res.Stderr)
	return strings.TrimSpace(res.Stdout), l
}

// O8: what the target sees as the client, by target type, client IP
// preservation and Proxy Protocol v2.
func TestWhatTheTargetSees(t *testing.T) {
	noLeaks(t)
	got, l := sshClientOf(t, lab.Default())
	assert.Regexp(t, `^203\.0\.113\.10 \d+ 22$`, got, "instance: the client")
	assert.Equal(t, "true", l.TargetGroup.Attributes()[nlb.AttrPreserveClientIP])

	c := lab.Default()
	scenario(c).TargetType = "ip"
	got, l = sshClientOf(t, c)
	assert.Regexp(t, `^10\.0\.10\.25 \d+ 22$`, got, "ip: the node's private address")
	assert.Equal(t, "false", l.TargetGroup.Attributes()[nlb.AttrPreserveClientIP], "AWS's default for ip targets with TCP")
	assert.Equal(t, "10.0.128.108", l.TargetGroup.Targets()[0].ID)
	// The target's capture agrees.
	lines, _ := captureSession(t, l, "ec2", "-nn", "port", "22")
	joined := strings.Join(lines, "\n")
	assert.Regexp(t, `IP 10\.0\.10\.25\.\d+ > 10\.0\.128\.108\.22: Flags \[S\]`, joined, "the session's SYN comes from a port the node allocated")
	assert.NotContains(t, joined, "203.0.113.10")

	scenario(c).ProxyProtocol = true
	got, _ = sshClientOf(t, c)
	assert.Regexp(t, `^203\.0\.113\.10 \d+ 22$`, got, "ip with Proxy Protocol v2: the client again")

	c = lab.Default()
	f := false
	scenario(c).PreserveClientIP = &f
	got, _ = sshClientOf(t, c)
	assert.Regexp(t, `^10\.0\.10\.25 \d+ 22$`, got, "instance with preservation off")
}

// A target that does not parse the header fails: its SSH server reads the
// header as the client's version line.
func TestProxyProtocolWithoutParsingFails(t *testing.T) {
	noLeaks(t)
	c := manual(lab.Default())
	scenario(c).TargetGroupAttributes = map[string]string{nlb.AttrProxyProtocolV2: "true"}
	l := labtest.New(t, c)
	_, err := l.Run(ctxT(t), "true")
	assert.Error(t, err)
}

// Hairpin: a target that reaches its own NLB through the node's private
// address, landing on itself with client IP preservation on, gets no answer
// (a martian, counted at its ENI); with preservation off it works.
func TestHairpin(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	ctx, cancel := context.WithCancel(ctxT(t))
	go func() {
		assert.Eventually(t, func() bool { return l.Net.DropCount(l.Target.ENI().ID(), vnet.DropMartian) > 0 }, 10*time.Second, time.Millisecond)
		cancel()
	}()
	_, err := l.Target.Host().DialContext(ctx, "tcp", "10.0.10.25:51512")
	require.Error(t, err, "the connection cannot open")
	assert.NotZero(t, l.Net.DropCount(l.Target.ENI().ID(), vnet.DropMartian))

	c := manual(lab.Default())
	f := false
	scenario(c).PreserveClientIP = &f
	l = labtest.New(t, c)
	conn, err := l.Target.Host().DialContext(ctxT(t), "tcp", "10.0.10.25:51512")
	require.NoError(t, err)
	defer conn.Close()
	line, err := bufio.NewReader(conn).ReadString('\n')
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(line, "SSH-2.0-"), "its own SSH server answers through the NLB")
}

func TestIPTargetsAreValidated(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	tg, err := nlb.NewTargetGroup(l.Net, nlb.TargetGroupConfig{Name: "ips", Port: 80, TargetType: "ip", VPC: l.VPC})
	require.NoError(t, err)
	assert.ErrorContains(t, tg.Register(nlb.Target{IP: netip.MustParseAddr("8.8.8.8")}), "public addresses are refused")
	assert.NoError(t, tg.Register(nlb.Target{IP: netip.MustParseAddr("192.168.1.10")}), "on-premises ranges are allowed")
	assert.Equal(t, "all", tg.Health()[0].AvailabilityZone)
	// Behind a listener, a zone-"all" target is checked from every zone,
	// never NotInUse (ELB API Reference, "TargetHealth").
	_, err = l.NLB.AddListener(nlb.ListenerConfig{Port: 8080, TargetGroup: tg})
	require.NoError(t, err)
	assert.NotEqual(t, nlb.StateUnused, tg.Health()[0].State, "%+v", tg.Health()[0])
	_, err = nlb.NewTargetGroup(l.Net, nlb.TargetGroupConfig{Name: "l", Port: 80, TargetType: "lambda", VPC: l.VPC})
	assert.ErrorContains(t, err, `TargetType "lambda"`)
}

// A target group serves one load balancer: the Go API refuses a second
// one's listener, as a topology file does, naming both.
func TestTargetGroupServesOneLoadBalancer(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	other, err := nlb.New(l.Net, nlb.Config{Name: "other", Scheme: "internal", Subnets: []nlb.SubnetMapping{{Subnet: l.Subnet("vlab-public-1a"), PrivateAddr: netip.MustParseAddr("10.0.10.50")}}})
	require.NoError(t, err)
	defer other.Close()
	_, err = other.AddListener(nlb.ListenerConfig{Port: 22, TargetGroup: l.TargetGroup})
	assert.ErrorContains(t, err, "load balancer other: listener 22: target group ssh-targets is already used by load balancer vlab-nlb")
	_, err = l.NLB.AddListener(nlb.ListenerConfig{Port: 2222, TargetGroup: l.TargetGroup})
	assert.NoError(t, err, "a second listener of the same load balancer may use it")
}
