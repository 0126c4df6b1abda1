package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/vnet"
)

// O2: the instance's own connection to the internet fails without a NAT
// gateway (a no-route drop at the private route table) and succeeds with
// one, the server seeing the gateway's public address.
func TestOutboundNeedsNAT(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	res, err := l.Run(ctxT(t), "curl -m 0.5 http://192.0.2.80/")
	var ee *ssh.ExitError
	require.ErrorAs(t, err, &ee, "a non-zero exit is an error, as x/crypto/ssh's")
	assert.Equal(t, 28, ee.ExitStatus())
	assert.Equal(t, 28, res.ExitStatus, res.Stderr)
	assert.Contains(t, res.Stderr, "curl: (28) Connection timed out")
	assert.NotZero(t, l.Net.DropCount(l.PrivateRouteTable.ID(), vnet.DropNoRoute), "counted at the private route table")

	c := manual(lab.Default())
	scenario(c).NATGateway = true
	l = labtest.New(t, c)
	res, err = l.Run(ctxT(t), "curl -s http://192.0.2.80/ ; curl -s mirror")
	require.NoError(t, err)
	require.Equal(t, 0, res.ExitStatus, res.Stderr)
	lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
	require.Len(t, lines, 2)
	for _, ln := range lines {
		assert.Regexp(t, `^mirror: hello 198\.51\.100\.30:\d+$`, ln, "the mirror saw the NAT gateway's public address")
	}
	routes := l.PrivateRouteTable.Routes()
	require.Len(t, routes, 2)
	assert.Equal(t, l.NATGateway.ID(), routes[1].Target.TargetID())
}

// A NAT gateway lets only replies in.
func TestNATGatewayRefusesInboundConnections(t *testing.T) {
	noLeaks(t)
	c := manual(lab.Default())
	scenario(c).NATGateway = true
	l := labtest.New(t, c)
	assertDialDropped(t, l, "198.51.100.30:22", l.NATGateway.ENI().ID(), vnet.DropNoTranslation)
	d := dropsAt(l, l.NATGateway.ENI().ID(), vnet.DropNoTranslation)
	require.NotEmpty(t, d)
	assert.Contains(t, d[0].Last.Detail, "lets only replies in")
}
