package lab_test

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/lab/reference"
	"github.com/vlab-sim/vlab/lab/topology"
	"github.com/vlab-sim/vlab/nlb"
)

func parseFile(t *testing.T, name string) *topology.Topology {
	t.Helper()
	data, err := os.ReadFile(name)
	require.NoError(t, err)
	top, err := topology.Parse(name, data)
	require.NoError(t, err)
	return top
}

// inventory lists what a user can observe of a lab's make-up: every
// resource's id and name, every interface's address and groups, every
// route and rule, every target's health.
func inventory(l *lab.Lab) []string {
	var out []string
	for _, v := range l.VPCs {
		out = append(out, fmt.Sprintf("vpc %s %s %s", v.ID(), v.Name(), v.CIDR()))
		for _, s := range v.Subnets() {
			out = append(out, fmt.Sprintf("subnet %s %s %s %s rtb=%s acl=%s", s.ID(), s.Name(), s.CIDR(), s.Zone(), s.RouteTable().Name(), s.NetworkACL().Name()))
		}
		for _, rt := range v.RouteTables() {
			var routes []string
			for _, r := range rt.Routes() {
				routes = append(routes, r.Destination.String()+"->"+r.Target.TargetID())
			}
			out = append(out, fmt.Sprintf("rtb %s %s %v", rt.ID(), rt.Name(), routes))
		}
		for _, g := range v.SecurityGroups() {
			out = append(out, fmt.Sprintf("sg %s %s in=%v out=%v", g.ID(), g.Name(), g.Inbound(), g.Outbound()))
		}
	}
	for _, h := range l.Net.Hosts() {
		for _, e := range h.ENIs() {
			var gs []string
			for _, g := range e.SecurityGroups() {
				gs = append(gs, g.Name())
			}
			pub, _ := e.PublicAddr()
			out = append(out, fmt.Sprintf("eni %s %s %s %s public=%v groups=%v", h.Name(), e.ID(), e.InstanceID(), e.Prefix(), pub, gs))
		}
	}
	for _, lb := range l.LoadBalancers {
		out = append(out, fmt.Sprintf("lb %s %s %s %v", lb.ID(), lb.Name(), lb.DNSName(), lb.Attributes()))
		for _, ls := range lb.Listeners() {
			out = append(out, fmt.Sprintf("listener %d -> %s %v", ls.Port, ls.TargetGroup.Name(), ls.Attributes()))
		}
	}
	for _, tg := range l.TargetGroups {
		out = append(out, fmt.Sprintf("tg %s %s %d %s %+v %v", tg.ARN(), tg.Name(), tg.Port(), tg.TargetType(), tg.HealthCheck(), tg.Attributes()))
		for _, h := range tg.Health() {
			out = append(out, fmt.Sprintf("target %s %s", h.Target.ID, h.State))
		}
	}
	return out
}

// The reference scenario ships as examples/reference.yaml, and the file
// builds exactly what the default builds: the same topology, the same
// resource ids, addresses, rules and target states.
func TestReferenceYAMLBuildsTheDefault(t *testing.T) {
	file := parseFile(t, "../examples/reference.yaml")
	def, err := lab.Default().Spec()
	require.NoError(t, err)
	assert.Equal(t, def, file)

	c := lab.Default()
	c.ManualClock = true
	a := labtest.New(t, c)
	b := labtest.New(t, lab.Config{Topology: file, ManualClock: true})
	want := inventory(a)
	assert.Equal(t, want, inventory(b))
	assert.True(t, slices.ContainsFunc(want, func(s string) bool { return strings.HasPrefix(s, "target i-") && strings.HasSuffix(s, " healthy") }), "the default's target is healthy: %v", want)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := b.Run(ctx, "echo $SSH_CLIENT")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(r.Stdout, "203.0.113.10 "), "the instance sees the client: %q", r.Stdout)
}

// Every switch of the scenario yields a topology that passes the checks a
// file gets.
func TestScenarioSwitchesValidate(t *testing.T) {
	yes := true
	for _, c := range []reference.Config{
		{Zones: []string{"1a", "1c"}, Targets: 4},
		{NLBSecurityGroup: true, NATGateway: true},
		{NoSGClientRule: true, NoSGNLBRule: true},
		{TargetType: "ip", PreserveClientIP: &yes, ProxyProtocol: true},
	} {
		top, err := lab.Config{Topology: c}.Spec()
		require.NoError(t, err)
		assert.NoError(t, topology.Validate(top), "%+v", c)
	}
}

// A topology that does not hold together is refused before anything is
// built, naming the field.
func TestNewRefusesABadTopology(t *testing.T) {
	top, err := lab.Default().Spec()
	require.NoError(t, err)
	top.TargetGroups[0].Targets[0].Id = "web-9"
	_, err = lab.New(lab.Config{Topology: top})
	assert.ErrorContains(t, err, `TargetGroups[0].Targets[0].Id: no instance named "web-9"`)
}

// Selecting a target among several makes the lab's sessions land there.
func TestSelectTarget(t *testing.T) {
	c := lab.Default()
	scenario(c).Targets = 3
	c.Target = "ec2-3"
	l := labtest.New(t, c)
	require.Len(t, l.Targets, 3)
	assert.Equal(t, l.Instance("ec2-3"), l.Target)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for range 3 {
		r, err := l.Run(ctx, "hostname")
		require.NoError(t, err)
		assert.Equal(t, l.Target.Hostname()+"\n", r.Stdout)
	}

	c.Target = "ec2-9"
	_, err := lab.New(c)
	assert.EqualError(t, err, `target "ec2-9": no such instance (the lab has [ec2 ec2-2 ec2-3])`)
}

// An internal load balancer in front of a tcp-echo server, reached from
// another instance of the VPC: no internet, no public address, and the
// echo server sees the caller's own address.
func TestInternalLoadBalancerAndTCPEcho(t *testing.T) {
	top, err := topology.Parse("internal.yaml", []byte(`
Vpcs:
  - Name: v
    CidrBlock: 10.3.0.0/16
    Subnets:
      - {Name: a, CidrBlock: 10.3.0.0/24, AvailabilityZone: ap-northeast-1a}
    SecurityGroups:
      - GroupName: echo
        SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 7, ToPort: 7, CidrIp: 10.3.0.0/16}]
    Instances:
      - {Name: app, Subnet: a, PrivateIpAddress: 10.3.0.10}
      - {Name: echo, Subnet: a, PrivateIpAddress: 10.3.0.20, SecurityGroups: [echo], Services: [{Type: tcp-echo, Port: 7}]}
LoadBalancers:
  - Name: int
    Scheme: internal
    SubnetMappings: [{SubnetId: a, PrivateIPv4Address: 10.3.0.5}]
    Listeners: [{Port: 7777, TargetGroupName: echo}]
TargetGroups:
  - {Name: echo, Port: 7, VpcId: v, Targets: [{Id: echo}]}
`))
	require.NoError(t, err)
	l := labtest.New(t, lab.Config{Topology: top, ManualClock: true})
	allHealthy := func() bool { return l.TargetGroup.Health()[0].State == "healthy" }
	require.True(t, allHealthy(), "%+v", l.TargetGroup.Health())
	assert.Nil(t, l.Client)
	_, err = l.Run(context.Background(), "true")
	assert.EqualError(t, err, "the lab has no client PC (Internet.Clients)")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	app := l.Instance("app")
	c, err := app.Host().Dial(ctx, netip.MustParseAddrPort("10.3.0.5:7777"))
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("ping\n"))
	require.NoError(t, err)
	buf := make([]byte, 5)
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	assert.Equal(t, "ping\n", string(buf))

	flows := l.NLB.Flows()
	require.Len(t, flows, 1)
	assert.Equal(t, "10.3.0.10", flows[0].Source.Addr().String(), "the echo server sees the caller")
}

// Egress rules from a file replace AWS's default allow-all: an instance
// whose group lets it out only into the VPC cannot reach the internet,
// NAT gateway or not.
func TestSecurityGroupEgressFromFile(t *testing.T) {
	c := lab.Default()
	scenario(c).NATGateway = true
	top, err := c.Spec()
	require.NoError(t, err)
	sg := &top.Vpcs[0].SecurityGroups[0]
	require.Equal(t, "ssh-target", sg.GroupName)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	open := labtest.New(t, lab.Config{Topology: top})
	r, err := open.Run(ctx, "curl -s -m 2 http://192.0.2.80/")
	require.NoError(t, err)
	assert.Regexp(t, `^mirror: hello 198\.51\.100\.30:\d+\n$`, r.Stdout)

	sg.SecurityGroupEgress = []topology.SGRule{{IpProtocol: "-1", CidrIp: netip.MustParsePrefix("10.0.0.0/16"), Description: "inside the VPC"}}
	closed := labtest.New(t, lab.Config{Topology: top})
	out := closed.TargetSecurityGroup.Outbound()
	require.Len(t, out, 1)
	assert.Equal(t, "10.0.0.0/16", out[0].CIDR.String())
	r, err = closed.Run(ctx, "curl -s -m 1 http://192.0.2.80/; echo status $?")
	require.NoError(t, err, "SSH itself still works: replies are tracked, not matched against egress rules")
	assert.Equal(t, "status 28\n", r.Stdout)
	assert.Positive(t, closed.Net.DropCount(closed.Target.ENI().ID(), "security-group"))
}

// A file's flow log covers the resources it names, in its format, and
// writes to its LogDestination as windows close.
func TestFlowLogFromFile(t *testing.T) {
	top, err := lab.Default().Spec()
	require.NoError(t, err)
	dest := t.TempDir() + "/flows.log"
	top.FlowLogs = []topology.FlowLog{{
		ResourceIds: []string{"ec2"}, LogFormat: "${interface-id} ${srcaddr} ${dstport} ${action}",
		MaxAggregationInterval: 60, LogDestination: dest,
	}}
	l := labtest.New(t, lab.Config{Topology: top, ManualClock: true})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = l.Run(ctx, "true")
	require.NoError(t, err)
	require.NoError(t, l.WaitClosed(ctx))
	l.Clock().Advance(time.Minute)
	require.NoError(t, l.Close())

	data, err := os.ReadFile(dest)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Greater(t, len(lines), 1, string(data))
	assert.Equal(t, "interface-id srcaddr dstport action", lines[0])
	eni := l.Target.ENI().ID()
	assert.Contains(t, lines, eni+" 203.0.113.10 22 ACCEPT")
	for _, ln := range lines[1:] {
		assert.True(t, strings.HasPrefix(ln, eni+" "), "only the instance's interface: %s", ln)
	}
}

// A target left in the VPC's default group fails its health checks: asked
// for, it is refused with the reason, not retried in vain.
func TestSelectUnhealthyTarget(t *testing.T) {
	c := lab.Default()
	scenario(c).Targets = 2
	top, err := c.Spec()
	require.NoError(t, err)
	top.Vpcs[0].Instances[1].SecurityGroups = nil
	l := labtest.New(t, lab.Config{Topology: top, Target: "ec2-2", ManualClock: true})
	_, err = l.Run(context.Background(), "true")
	assert.ErrorContains(t, err, "target ec2-2 is unhealthy (Target.FailedHealthChecks): the NLB sends it no new connection while another target is healthy")
}

// A target registered on its own port overrides the target group's, for
// the traffic and the health checks alike.
func TestTargetPortOverride(t *testing.T) {
	top, err := topology.Parse("port.yaml", []byte(`
Vpcs:
  - Name: v
    CidrBlock: 10.5.0.0/16
    InternetGateway: igw
    RouteTables: [{Name: public, Routes: [{DestinationCidrBlock: 0.0.0.0/0, GatewayId: igw}]}]
    Subnets:
      - {Name: pub, CidrBlock: 10.5.0.0/24, AvailabilityZone: ap-northeast-1c, RouteTable: public}
      - {Name: app, CidrBlock: 10.5.1.0/24, AvailabilityZone: ap-northeast-1c}
    SecurityGroups:
      - GroupName: app
        SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 8000, ToPort: 8999, CidrIp: 0.0.0.0/0}]
    Instances:
      - {Name: a, Subnet: app, SecurityGroups: [app], Services: [{Type: tcp-echo, Port: 8081}]}
Internet:
  Clients: [{Name: pc, IpAddress: 203.0.113.10/24}]
LoadBalancers:
  - {Name: lb, SubnetMappings: [{SubnetId: pub}], Listeners: [{Port: 7, TargetGroupName: tg}]}
TargetGroups:
  - {Name: tg, Port: 8080, VpcId: v, Targets: [{Id: a, Port: 8081}]}
`))
	require.NoError(t, err)
	l := labtest.New(t, lab.Config{Topology: top})
	h := l.TargetGroup.Health()
	require.Len(t, h, 1)
	assert.Equal(t, nlb.StateHealthy, h[0].State, "checked on 8081: %+v", h[0])
	assert.Equal(t, "ap-northeast-1c", h[0].AvailabilityZone)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := l.Dial(ctx)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("echo"))
	require.NoError(t, err)
	buf := make([]byte, 4)
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	assert.Equal(t, "echo", string(buf))
	assert.Equal(t, uint16(8081), l.NLB.Flows()[0].Backend.Port())
}
