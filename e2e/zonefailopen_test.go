package e2e

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/vnet"
)

// With cross-zone load balancing off, a zone whose targets are all
// unhealthy fails open within the zone: its node sends new flows to them,
// unhealthy as they are, without an RST, although another zone has a
// healthy target (ELB User Guide, "Health checks for Network Load Balancer
// target groups").
func TestZoneWithOnlyUnhealthyTargetsFailsOpenWithinTheZone(t *testing.T) {
	noLeaks(t)
	c := manual(lab.Default())
	scenario(c).Zones = []string{"1a", "1c"}
	scenario(c).Targets = 2 // ec2 in 1a, ec2-2 in 1c
	l := labtest.New(t, c)
	in1c := l.Instance("ec2-2")
	require.Equal(t, "ap-northeast-1c", in1c.ENI().Subnet().Zone())
	// ec2-2 admits the client but not the nodes: its checks fail, its
	// sessions would work.
	g, err := l.VPC.AddSecurityGroup("client-only", "SSH from the client, not the nodes")
	require.NoError(t, err)
	require.NoError(t, g.AuthorizeIngress(vnet.SGRule{Protocol: "tcp", Ports: vnet.PortRange{From: 22, To: 22}, CIDR: netip.MustParsePrefix("203.0.113.10/32")}))
	require.NoError(t, in1c.ENI().SetSecurityGroups([]*vnet.SecurityGroup{g}))
	l.Clock().Advance(90 * time.Second)
	states := map[string]string{}
	for _, h := range l.TargetGroup.Health() {
		states[h.AvailabilityZone] = h.State
	}
	require.Equal(t, map[string]string{"ap-northeast-1a": nlb.StateHealthy, "ap-northeast-1c": nlb.StateUnhealthy}, states)

	// The client reaches the 1c node directly (its public address).
	var node1c *nlb.Node
	for _, nd := range l.NLB.Nodes() {
		if nd.Zone() == "ap-northeast-1c" {
			node1c = nd
		}
	}
	require.NotNil(t, node1c)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resets := l.NLB.Resets()
	res, err := l.Client.Run(ctx, netip.AddrPortFrom(node1c.PublicAddr(), 51512), l.SSHConfig(), "hostname")
	require.NoError(t, err, "the zone fails open: its unhealthy target takes the session")
	assert.Equal(t, in1c.Hostname()+"\n", res.Stdout)
	assert.Equal(t, resets, l.NLB.Resets(), "no RST from the load balancer")
}
