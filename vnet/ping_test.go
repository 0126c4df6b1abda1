package vnet_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/packet"
)

// pingWorld is newWorld with an instance in the private subnet, a server on
// the internet and, with nat, a NAT gateway that the private table's
// default route goes through.
func pingWorld(t *testing.T, nat bool) (w *world, app, mirror *vnet.Host, g *vnet.NATGateway) {
	t.Helper()
	w = newWorld(t)
	var err error
	app, err = w.net.NewHost("app")
	require.NoError(t, err)
	_, err = app.AttachSubnet(w.priv, netip.MustParseAddr("10.0.128.108"), vnet.ENIOptions{})
	require.NoError(t, err)
	mirror, err = w.net.NewHost("mirror")
	require.NoError(t, err)
	_, err = mirror.AttachInternet(netip.MustParsePrefix("192.0.2.80/24"))
	require.NoError(t, err)
	if nat {
		g, err = w.vpc.AddNATGateway("natgw", w.pub, netip.MustParseAddr("10.0.0.50"), netip.MustParseAddr("198.51.100.30"))
		require.NoError(t, err)
		require.NoError(t, w.rtPriv.AddRoute(netip.MustParsePrefix("0.0.0.0/0"), g))
	}
	return w, app, mirror, g
}

func pingCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// A NAT gateway translates ICMP echo, the identifier as the port: the
// server sees the gateway's public address and a identifier of the
// gateway's, and the reply finds its way back to the socket that asked.
func TestNATGatewayTranslatesEcho(t *testing.T) {
	w, app, mirror, g := pingWorld(t, true)
	var mu sync.Mutex
	type echo struct {
		src   netip.Addr
		ident uint16
		typ   uint8
		valid bool
	}
	var seen []echo
	stop := mirror.PrimaryENI().Tap(func(_ time.Time, _ vnet.Direction, b []byte) {
		p, err := packet.FromBytes(b)
		if err != nil {
			return
		}
		defer p.Release()
		if typ, id, _, ok := p.ICMPEcho(); ok {
			mu.Lock()
			seen = append(seen, echo{p.Src(), id, typ, p.ChecksumsValid()})
			mu.Unlock()
		}
	})
	defer stop()

	pc, err := app.DialPing(netip.MustParseAddr("192.0.2.80"))
	require.NoError(t, err)
	defer pc.Close()
	ctx := pingCtx(t, 20*time.Second)
	for seq := uint16(1); seq <= 3; seq++ {
		require.NoError(t, pc.Send(seq, make([]byte, 56)))
		r, err := pc.Recv(ctx)
		require.NoError(t, err)
		assert.Equal(t, seq, r.Seq)
		assert.Equal(t, "192.0.2.80", r.From.String())
		assert.Equal(t, 64, r.Size)
	}
	assert.Equal(t, 1, g.Connections(), "one echo identifier, one translation")
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, 6, "three requests in, three replies out")
	for _, e := range seen {
		assert.True(t, e.valid, "checksums survive the rewrites")
		if e.typ == packet.ICMPEchoRequest {
			assert.Equal(t, "198.51.100.30", e.src.String(), "the server sees the gateway's public address")
			assert.Equal(t, seen[0].ident, e.ident, "one identifier of the gateway's")
		}
	}
	_ = w
}

// Without a route to the internet, an echo request is dropped at the
// private route table and counted; a ping sees no reply.
func TestPingWithoutRouteIsDropped(t *testing.T) {
	w, app, _, _ := pingWorld(t, false)
	_, _, err := app.Ping(pingCtx(t, 200*time.Millisecond), netip.MustParseAddr("192.0.2.80"), 1, 56)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotZero(t, w.net.DropCount(w.rtPriv.ID(), vnet.DropNoRoute))
}

// ICMP meets security groups and network ACLs as any protocol does: an
// echo request needs an inbound rule at the receiver, and the reply passes
// by connection tracking; an ACL that allows only TCP drops it.
func TestEchoMeetsSecurityGroupsAndACLs(t *testing.T) {
	w, app, _, _ := pingWorld(t, false)
	sg, err := w.vpc.AddSecurityGroup("db", "SSH only")
	require.NoError(t, err)
	require.NoError(t, sg.AuthorizeIngress(vnet.SGRule{Protocol: "tcp", Ports: vnet.PortRange{From: 22, To: 22}, CIDR: netip.MustParsePrefix("10.0.0.0/16")}))
	db, err := w.net.NewHost("db")
	require.NoError(t, err)
	dbENI, err := db.AttachSubnet(w.pub, netip.MustParseAddr("10.0.1.30"), vnet.ENIOptions{SecurityGroups: []*vnet.SecurityGroup{sg}})
	require.NoError(t, err)
	dst := netip.MustParseAddr("10.0.1.30")

	_, _, err = app.Ping(pingCtx(t, 200*time.Millisecond), dst, 1, 56)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	ev := lastDrop(t, w.net, dbENI.ID(), vnet.DropSecurityGroup)
	assert.Contains(t, ev.Rule, "no inbound rule allows 10.0.128.108 to ICMP")

	require.NoError(t, sg.AuthorizeIngress(vnet.SGRule{Protocol: "icmp", CIDR: netip.MustParsePrefix("10.0.0.0/16")}))
	rtt, ttl, err := app.Ping(pingCtx(t, 20*time.Second), dst, 2, 56)
	require.NoError(t, err, "the rule admits the request, connection tracking the reply")
	assert.Positive(t, rtt)
	assert.Equal(t, uint8(64), ttl)

	acl := w.vpc.AddNetworkACL("tcp-only")
	for _, egress := range []bool{false, true} {
		require.NoError(t, acl.AddRule(egress, vnet.ACLRule{Number: 100, Protocol: "tcp", CIDR: netip.MustParsePrefix("0.0.0.0/0"), Allow: true}))
	}
	require.NoError(t, w.pub.AssociateNetworkACL(acl))
	_, _, err = app.Ping(pingCtx(t, 200*time.Millisecond), dst, 3, 56)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotZero(t, w.net.DropCount(w.pub.ID(), vnet.DropNetworkACL))
}

func lastDrop(t *testing.T, n *vnet.Network, where string, reason vnet.DropReason) vnet.DropEvent {
	t.Helper()
	for _, d := range n.DropsAt(where) {
		if d.Reason == reason {
			return d.Last
		}
	}
	require.Failf(t, "no drop", "none at %s for %s: %v", where, reason, n.Drops())
	return vnet.DropEvent{}
}
