package e2e

import (
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

// The internet does not carry private sources: a burst of SYNs from the
// internet claiming the NLB node's own address (which the instance's group
// admits, for health checks) is dropped at the internet gateway, counted,
// and the target stays healthy. An assumption: AWS documents no figure.
func TestInternetGatewayDropsPrivateSourcesFromTheInternet(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	eni := l.Client.Host().PrimaryENI()
	for i := range 200 {
		eni.Inject(ipFrame{src: aNode, dst: aNLB, proto: 6, payload: tcpHeader(uint16(20000+i), 51512, 0x02, 0, nil)}.bytes())
	}
	igw := l.InternetGateway.ID()
	assert.Equal(t, uint64(200), l.Net.DropCount(igw, vnet.DropSpoofedSource))
	d := dropsAt(l, igw, vnet.DropSpoofedSource)
	require.Len(t, d, 1)
	assert.Contains(t, d[0].Last.Detail, "10.0.10.25 is a private or special-purpose address")
	l.Clock().Advance(5 * time.Minute)
	assert.Equal(t, nlb.StateHealthy, stateOf(t, l, 0).State, "no forged SYN reached the target")
	requireBanner(ctxT(t), t, l)
}

// An instance's interface drops what its host sends from an address not
// its own, while its source/destination check is on (AWS's default); off,
// as for a NAT instance, the packet goes (EC2 User Guide,
// "Source/destination checking").
func TestSourceDestCheckDropsForeignSources(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	eni := l.Target.ENI()
	require.True(t, eni.SourceDestCheck(), "on by default")
	forged := ipFrame{src: netip.MustParseAddr("10.0.128.200"), dst: aNode, proto: 6, payload: tcpHeader(40000, 51512, 0x02, 0, nil)}.bytes()
	eni.Inject(forged)
	assert.Equal(t, uint64(1), l.Net.DropCount(eni.ID(), vnet.DropSourceCheck))
	d := dropsAt(l, eni.ID(), vnet.DropSourceCheck)
	require.Len(t, d, 1)
	assert.Contains(t, d[0].Last.Detail, "wrote a packet from 10.0.128.200, not its own address 10.0.128.108")

	eni.SetSourceDestCheck(false)
	eni.Inject(forged)
	assert.Equal(t, uint64(1), l.Net.DropCount(eni.ID(), vnet.DropSourceCheck), "off: not dropped for its source")
}
