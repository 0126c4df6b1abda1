package vnet_test

import (
	"context"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/vnet"
)

type world struct {
	net           *vnet.Network
	vpc           *vnet.VPC
	pub, priv     *vnet.Subnet
	rtPub, rtPriv *vnet.RouteTable
	igw           *vnet.InternetGateway
	client        *vnet.Host
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{net: vnet.New(vnet.Options{Seed: 1})}
	t.Cleanup(func() { w.net.Close() })
	var err error
	w.vpc, err = w.net.AddVPC("lab", netip.MustParsePrefix("10.0.0.0/16"))
	require.NoError(t, err)
	w.igw, err = w.vpc.AttachInternetGateway("igw")
	require.NoError(t, err)
	w.pub, err = w.vpc.AddSubnet(vnet.SubnetConfig{Name: "public-1a", CIDR: netip.MustParsePrefix("10.0.0.0/20"), Zone: "ap-northeast-1a"})
	require.NoError(t, err)
	w.priv, err = w.vpc.AddSubnet(vnet.SubnetConfig{Name: "private-1a", CIDR: netip.MustParsePrefix("10.0.128.0/20"), Zone: "ap-northeast-1a"})
	require.NoError(t, err)
	w.rtPub = w.vpc.AddRouteTable("public")
	require.NoError(t, w.rtPub.AddRoute(netip.MustParsePrefix("0.0.0.0/0"), w.igw))
	require.NoError(t, w.pub.Associate(w.rtPub))
	w.rtPriv = w.vpc.AddRouteTable("private")
	require.NoError(t, w.priv.Associate(w.rtPriv))
	w.client, err = w.net.NewHost("client")
	require.NoError(t, err)
	_, err = w.client.AttachInternet(netip.MustParsePrefix("203.0.113.10/24"))
	require.NoError(t, err)
	return w
}

// echoOnce accepts one connection and echoes the peer address it saw.
func serveRemoteAddr(t *testing.T, h *vnet.Host, port string) {
	t.Helper()
	ln, err := h.Listen("tcp", ":"+port)
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, c.RemoteAddr().String())
			c.Close()
		}
	}()
}

func readAll(t *testing.T, c net.Conn) string {
	t.Helper()
	b, err := io.ReadAll(c)
	require.NoError(t, err)
	return string(b)
}

func TestInternetGatewayMapsPublicAddressOneToOne(t *testing.T) {
	w := newWorld(t)
	web, err := w.net.NewHost("web")
	require.NoError(t, err)
	open, err := w.vpc.AddSecurityGroup("web", "HTTP from anywhere")
	require.NoError(t, err)
	require.NoError(t, open.AuthorizeIngress(vnet.SGRule{Protocol: "tcp", Ports: vnet.PortRange{From: 80, To: 80}, CIDR: netip.MustParsePrefix("0.0.0.0/0")}))
	_, err = web.AttachSubnet(w.pub, netip.MustParseAddr("10.0.1.20"), vnet.ENIOptions{PublicIP: netip.MustParseAddr("198.51.100.20"), SecurityGroups: []*vnet.SecurityGroup{open}})
	require.NoError(t, err)
	serveRemoteAddr(t, web, "80")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := w.client.DialContext(ctx, "tcp", "198.51.100.20:80")
	require.NoError(t, err)
	defer c.Close()
	// The client sees only the public address; the server sees the client's.
	assert.Equal(t, "198.51.100.20:80", c.RemoteAddr().String())
	got := readAll(t, c)
	assert.Equal(t, c.LocalAddr().String(), got)
}

func TestPrivateSubnetHasNoRouteToTheInternet(t *testing.T) {
	w := newWorld(t)
	app, err := w.net.NewHost("app")
	require.NoError(t, err)
	_, err = app.AttachSubnet(w.priv, netip.MustParseAddr("10.0.128.108"), vnet.ENIOptions{})
	require.NoError(t, err)
	serveRemoteAddr(t, w.client, "80")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		require.Eventually(t, func() bool { return w.net.DropCount(w.rtPriv.ID(), vnet.DropNoRoute) > 0 }, 5*time.Second, time.Millisecond)
		cancel()
	}()
	_, err = app.DialContext(ctx, "tcp", "203.0.113.10:80")
	require.Error(t, err)
	assert.NotZero(t, w.net.DropCount(w.rtPriv.ID(), vnet.DropNoRoute), "the drop is counted on the private route table")
}

func TestLocalRouteCarriesTrafficInsideTheVPC(t *testing.T) {
	w := newWorld(t)
	a, _ := w.net.NewHost("a")
	b, _ := w.net.NewHost("b")
	_, err := a.AttachSubnet(w.pub, netip.MustParseAddr("10.0.1.5"), vnet.ENIOptions{})
	require.NoError(t, err)
	_, err = b.AttachSubnet(w.priv, netip.MustParseAddr("10.0.128.5"), vnet.ENIOptions{})
	require.NoError(t, err)
	serveRemoteAddr(t, b, "22")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := a.DialContext(ctx, "tcp", "10.0.128.5:22")
	require.NoError(t, err)
	assert.Equal(t, c.LocalAddr().String(), readAll(t, c))
}

func TestBadInputNamesTheField(t *testing.T) {
	w := newWorld(t)
	_, err := w.vpc.AddSubnet(vnet.SubnetConfig{Name: "x", CIDR: netip.MustParsePrefix("10.1.0.0/24"), Zone: "ap-northeast-1a"})
	assert.ErrorContains(t, err, "not inside the VPC's 10.0.0.0/16")
	_, err = w.vpc.AddSubnet(vnet.SubnetConfig{Name: "y", CIDR: netip.MustParsePrefix("10.0.1.0/24"), Zone: "ap-northeast-1a"})
	assert.ErrorContains(t, err, "overlaps subnet public-1a")
	h, _ := w.net.NewHost("h")
	_, err = h.AttachSubnet(w.pub, netip.MustParseAddr("10.0.0.1"), vnet.ENIOptions{})
	assert.ErrorContains(t, err, "reserved by AWS")
	_, err = h.AttachSubnet(w.pub, netip.MustParseAddr("10.0.200.1"), vnet.ENIOptions{})
	assert.ErrorContains(t, err, "not in subnet public-1a")
	_, err = h.DialContext(context.Background(), "tcp", "example.com:80")
	assert.ErrorContains(t, err, "not an IPv4 address")
	_, err = w.net.AddVPC("bad", netip.MustParsePrefix("10.0.0.0/8"))
	assert.ErrorContains(t, err, "between /16 and /28")
}

func TestIDsAreDeterministic(t *testing.T) {
	a, b := vnet.NewIDs(7), vnet.NewIDs(7)
	assert.Equal(t, a.Next("eni"), b.Next("eni"))
	assert.Regexp(t, `^eni-0[0-9a-f]{16}$`, a.Next("eni"))
	assert.NotEqual(t, vnet.NewIDs(8).Next("eni"), vnet.NewIDs(7).Next("eni"))
}
