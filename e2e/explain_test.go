package e2e

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/vnet"
)

// O9: the path of the seed's connection, hop by hop, from the fabric's own
// trace: the addresses each party sees and what changed them.
func TestExplainTheSeedFlow(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	e, err := l.Explain(ctxT(t), "client", l.Endpoint())
	require.NoError(t, err)
	require.NotNil(t, e.Flow, "the connection made a flow through the NLB")
	client := e.Flow.Client.String()
	type hop struct{ from, to, src, dst string }
	igw := l.InternetGateway.ID()
	want := []hop{
		{"client", igw, client, "198.51.100.10:51512"},
		{igw, "nlb-1a", client, "10.0.10.25:51512"},
		{"nlb-1a", "ip-10-0-128-108", client, "10.0.128.108:22"},
		{"ip-10-0-128-108", "nlb-1a", "10.0.128.108:22", client},
		{"nlb-1a", igw, "10.0.10.25:51512", client},
		{igw, "client", "198.51.100.10:51512", client},
	}
	require.Len(t, e.Hops, len(want), "%+v", e.Hops)
	for i, w := range want {
		h := e.Hops[i]
		assert.Equal(t, w, hop{h.From, h.To, h.Src.String(), h.Dst.String()}, "hop %d", i+1)
		assert.Empty(t, h.Dropped, "hop %d", i+1)
	}
	assert.Contains(t, e.Hops[1].Change, "1:1 mapping 198.51.100.10 -> 10.0.10.25")
	assert.Contains(t, e.Hops[2].Change, "source kept (client IP preservation)")
	assert.Contains(t, strings.Join(e.Hops[2].Rules, ";"), "(ssh-target) inbound: tcp 22 203.0.113.10/32")
	assert.Contains(t, e.Hops[3].Route, "before any route lookup", "the reply never meets the private route table")
	assert.Contains(t, e.Hops[3].Change, "flow table (AWS Hyperplane)")
	assert.Contains(t, strings.Join(e.Hops[3].Rules, ";"), "a tracked flow (connection tracking)")
	assert.Contains(t, e.Hops[4].Route, "0.0.0.0/0 -> igw-")
	assert.Contains(t, e.Hops[5].Change, "1:1 mapping 10.0.10.25 -> 198.51.100.10")
	kinds := map[vnet.StepKind]bool{}
	for _, s := range e.Steps {
		kinds[s.Kind] = true
	}
	for _, k := range []vnet.StepKind{vnet.StepSend, vnet.StepGateway, vnet.StepNetworkACL, vnet.StepSecurityGroup, vnet.StepRewrite, vnet.StepRoute, vnet.StepReturnPath, vnet.StepDeliver} {
		assert.True(t, kinds[k], "the trace records %s", k)
	}
}

// explain is the fabric's behaviour: change a rule, and it changes with it.
func TestExplainFollowsTheFabric(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	sg := l.TargetSecurityGroup
	var clientRule vnet.SGRule
	for _, r := range sg.Inbound() {
		if r.CIDR == netip.MustParsePrefix("203.0.113.10/32") {
			clientRule = r
		}
	}
	require.NoError(t, sg.RevokeIngress(clientRule))
	e, err := l.Explain(ctxT(t), "client", l.Endpoint())
	require.NoError(t, err)
	require.Len(t, e.Hops, 3)
	last := e.Hops[2]
	assert.Equal(t, "ip-10-0-128-108", last.To)
	assert.Contains(t, last.Dropped, "no inbound rule allows 203.0.113.10 to TCP 22")

	// The rule back, and a network ACL that denies the reply on its way
	// out of the private subnet.
	require.NoError(t, sg.AuthorizeIngress(clientRule))
	acl := l.VPC.AddNetworkACL("strict") // a new ACL denies all but what it allows
	require.NoError(t, acl.AddRule(false, vnet.ACLRule{Number: 100, Protocol: "all", CIDR: netip.MustParsePrefix("0.0.0.0/0"), Allow: true}))
	require.NoError(t, l.Target.ENI().Subnet().AssociateNetworkACL(acl))
	e, err = l.Explain(ctxT(t), "client", l.Endpoint())
	require.NoError(t, err)
	require.Len(t, e.Hops, 4, "%+v", e.Hops)
	assert.Equal(t, "ip-10-0-128-108", e.Hops[3].From)
	assert.Contains(t, e.Hops[3].Dropped, "dropped by network ACL")
	assert.Contains(t, e.Hops[3].Dropped, "outbound")
}

// Without the load balancer's flow tracking, the reply meets the private
// route table, which has no way to the client: explain shows it, because
// the fabric does it.
func TestExplainFollowsTheReturnPath(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	for _, h := range l.Net.ReturnPathHooks() {
		l.Net.RemoveReturnPathHook(h)
	}
	e, err := l.Explain(ctxT(t), "client", l.Endpoint())
	require.NoError(t, err)
	require.Len(t, e.Hops, 4, "%+v", e.Hops)
	reply := e.Hops[3]
	assert.Equal(t, "ip-10-0-128-108", reply.From)
	assert.Contains(t, reply.Dropped, "route table "+l.PrivateRouteTable.ID()+" (vlab-private) of subnet vlab-private-1a has no route to 203.0.113.10")
	assert.NotContains(t, reply.Change, "flow table", "no word of a return path that did not happen")
}

// Any connection of any topology: an instance through a NAT gateway, and
// a bastion to an internal load balancer.
func TestExplainOtherFlows(t *testing.T) {
	noLeaks(t)
	c := manual(lab.Default())
	scenario(c).NATGateway = true
	l := labtest.New(t, c)
	e, err := l.Explain(ctxT(t), "ec2", netip.MustParseAddrPort("192.0.2.80:80"))
	require.NoError(t, err)
	var tos []string
	for _, h := range e.Hops {
		tos = append(tos, h.From+">"+h.To)
		assert.Empty(t, h.Dropped)
	}
	igw := l.InternetGateway.ID()
	nat := l.NATGateway.Name()
	assert.Equal(t, []string{"ip-10-0-128-108>" + nat, nat + ">" + igw, igw + ">mirror", "mirror>" + igw, igw + ">" + nat, nat + ">ip-10-0-128-108"}, tos)
	assert.Contains(t, e.Hops[1].Change, "NAT gateway "+l.NATGateway.ID()+" rewrite: source 10.0.128.108:")
	assert.Equal(t, "198.51.100.30", e.Hops[2].Src.Addr().String(), "the mirror sees the gateway's public address")

	il := exampleLab(t, "internal.yaml", lab.Config{LoadBalancer: "internal-app"})
	// Instance to instance, inside the VPC: the bastion straight to an app
	// server, whose group admits only the internal load balancer's.
	app, bastion := il.Instance("app-1"), il.Instance("bastion")
	e, err = il.Explain(ctxT(t), "bastion", netip.AddrPortFrom(app.Addr(), 80))
	require.NoError(t, err)
	require.Len(t, e.Hops, 1, "%+v", e.Hops)
	assert.Equal(t, app.Hostname(), e.Hops[0].To)
	assert.Contains(t, e.Hops[0].Route, "-> local")
	assert.Contains(t, strings.Join(e.Hops[0].Rules, ";"), "(bastion) outbound")
	assert.Contains(t, e.Hops[0].Dropped, "(app) at ")
	assert.Contains(t, e.Hops[0].Dropped, "no inbound rule allows "+bastion.Addr().String()+" to TCP 80")

	e, err = il.Explain(ctxT(t), "bastion", netip.MustParseAddrPort("10.30.1.200:80"))
	require.NoError(t, err)
	require.NotEmpty(t, e.Hops)
	assert.Equal(t, il.Instance("bastion").Hostname(), e.Hops[0].From)
	assert.Contains(t, fmt.Sprint(e.Hops), "load balancer internal-app rewrite")
	for _, h := range e.Hops {
		assert.Empty(t, h.Dropped)
	}
}

func TestCLIExplain(t *testing.T) {
	noLeaks(t)
	cfg := t.TempDir()
	out, errs, code := vlab(t, cfg, "explain", "--ephemeral", "--no-sg-client-rule")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `DROPPED: dropped by security group sg-0[0-9a-f]{16} \(ssh-target\) at eni-\S+ of ip-10-0-128-108: no inbound rule allows 203\.0\.113\.10 to TCP 22`, out)

	out, _, code = vlab(t, cfg, "explain", "--ephemeral", "--output", "mermaid")
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Equal(t, "sequenceDiagram", lines[0])
	participants, arrows := 0, 0
	for _, ln := range lines[1:] {
		ln = strings.TrimSpace(ln)
		switch {
		case strings.HasPrefix(ln, "participant "):
			participants++
			assert.Regexp(t, `^participant P\d+ as \S+$`, ln)
		case strings.HasPrefix(ln, "Note over "):
			assert.Regexp(t, `^Note over P\d+,P\d+: .+$`, ln)
		default:
			arrows++
			assert.Regexp(t, `^P\d+(->>|-x)P\d+: \S+ > \S+$`, ln)
		}
	}
	assert.Equal(t, 4, participants, "client, gateway, node, target")
	assert.Equal(t, 6, arrows, fmt.Sprint(lines))

	out, errs, code = vlab(t, cfg, "explain", "--ephemeral", "--nat-gateway", "--from", "ec2", "--to", "192.0.2.80:80")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "connection: ip-10-0-128-108 -> 192.0.2.80:80")
	assert.Contains(t, out, "NAT gateway nat-")

	// An internal load balancer: from an instance of its VPC, by default.
	out, errs, code = vlab(t, cfg, "explain", "--ephemeral", "--file", "../examples/internal.yaml", "--lb", "internal-app")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "load balancer internal-app rewrite")

	// A refused connection is explained up to the RST that refused it.
	out, errs, code = vlab(t, cfg, "explain", "--ephemeral", "--nat-gateway", "--from", "ec2", "--to", "192.0.2.80:81")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "RST: the connection is refused")

	_, errs, code = vlab(t, cfg, "explain", "--ephemeral", "--to", "nowhere")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `--to "nowhere"`)

	out, _, code = vlab(t, cfg, "version")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "gvisor.dev/")
}

// Tracing a connection whose packets the NLB rewrites (ip targets: the
// target sees the node) while the fabric changes: the trace's lookups once
// took the network's read lock a second time and deadlocked behind a
// writer.
func TestTraceWhileTheFabricChanges(t *testing.T) {
	noLeaks(t)
	c := manual(lab.Default())
	scenario(c).TargetType = "ip"
	l := labtest.New(t, c)
	stop, churned := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(churned)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			l.VPC.AddSecurityGroup(fmt.Sprintf("churn-%d", i), "writers take the network's lock")
		}
	}()
	defer func() { close(stop); <-churned }()
	for range 10 {
		done := make(chan error, 1)
		go func() {
			e, err := l.Explain(ctxT(t), "client", l.Endpoint())
			if err == nil && len(e.Hops) != 6 {
				err = fmt.Errorf("%d hops: %v", len(e.Hops), e.Hops)
			}
			done <- err
		}()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(20 * time.Second):
			t.Fatal("explain hung while the fabric changed")
		}
	}
}
