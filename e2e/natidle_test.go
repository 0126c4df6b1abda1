package e2e

import (
	"io"
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

// A NAT gateway forgets a connection idle for 350 s, and answers the
// instance that continues it with an RST, not a FIN (VPC User Guide, "NAT
// gateways"); the server's late packets find no translation.
func TestNATGatewayIdleTimeoutResetsTheInstance(t *testing.T) {
	noLeaks(t)
	c := manual(lab.Default())
	scenario(c).NATGateway = true
	l := labtest.New(t, c)
	ln, err := l.Mirror.Listen("tcp", ":9000")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan io.ReadWriteCloser, 1)
	go func() {
		s, err := ln.Accept()
		if err == nil {
			accepted <- s
		}
	}()
	conn, err := l.Target.Host().Dial(ctxT(t), netip.MustParseAddrPort("192.0.2.80:9000"))
	require.NoError(t, err)
	defer conn.Close()
	var srv io.ReadWriteCloser
	select {
	case srv = <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("the mirror accepted no connection")
	}
	defer srv.Close()
	_, err = conn.Write([]byte("a"))
	require.NoError(t, err)
	buf := make([]byte, 1)
	_, err = io.ReadFull(srv, buf)
	require.NoError(t, err)
	require.Equal(t, 1, l.NATGateway.Connections())

	l.Clock().Advance(vnet.NATIdleTimeout - 2*time.Second)
	assert.Equal(t, 1, l.NATGateway.Connections(), "kept while idle less than 350 s")
	l.Clock().Advance(3 * time.Second)
	assert.Zero(t, l.NATGateway.Connections(), "forgotten after 350 s idle")

	// The server's packet finds no translation.
	_, err = srv.Write([]byte("x"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return l.Net.DropCount(l.NATGateway.ENI().ID(), vnet.DropNoTranslation) > 0
	}, 10*time.Second, time.Millisecond)

	// The instance continues: the gateway answers with an RST.
	_, err = conn.Write([]byte("b"))
	require.NoError(t, err)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = conn.Read(buf)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "reset"), "the instance's connection is reset: %v", err)
	assert.Equal(t, uint64(1), l.NATGateway.Resets())
}
