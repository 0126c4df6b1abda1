package target

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/vnet"
)

// sshWorld is an instance and a host beside it in one subnet of the
// VPC's default group (members reach each other).
func sshWorld(t *testing.T, c Config) (*Instance, *vnet.Host) {
	t.Helper()
	n := vnet.New(vnet.Options{})
	t.Cleanup(func() { n.Close() })
	v, err := n.AddVPC("v", netip.MustParsePrefix("10.0.0.0/16"))
	require.NoError(t, err)
	s, err := v.AddSubnet(vnet.SubnetConfig{Name: "s", CIDR: netip.MustParsePrefix("10.0.0.0/24"), Zone: "z"})
	require.NoError(t, err)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	c.HostKey, err = ssh.NewSignerFromKey(priv)
	require.NoError(t, err)
	c.Subnet, c.Addr, c.SSHPort = s, netip.MustParseAddr("10.0.0.10"), 22
	in, err := New(n, c)
	require.NoError(t, err)
	t.Cleanup(func() { in.Close() })
	h, err := n.NewHost("peer")
	require.NoError(t, err)
	_, err = h.AttachSubnet(s, netip.MustParseAddr("10.0.0.20"), vnet.ENIOptions{})
	require.NoError(t, err)
	return in, h
}

// banner dials the instance's port 22 and reports whether sshd sent its
// version line (a refused startup is closed before it).
func banner(t *testing.T, h *vnet.Host) (net.Conn, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := h.Dial(ctx, netip.MustParseAddrPort("10.0.0.10:22"))
	require.NoError(t, err)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 8)
	_, err = io.ReadFull(c, buf)
	return c, err == nil && string(buf) == "SSH-2.0-"
}

// OpenSSH's MaxStartups: past full unauthenticated connections, a new one
// is closed before the banner; once they go, connections start again.
func TestMaxStartupsRefusesPastFull(t *testing.T) {
	_, h := sshWorld(t, Config{MaxStartups: MaxStartups{Start: 3, Rate: 100, Full: 3}})
	var held []net.Conn
	for range 3 {
		c, ok := banner(t, h)
		require.True(t, ok, "below start every connection gets the banner")
		held = append(held, c)
	}
	c, ok := banner(t, h)
	c.Close()
	assert.False(t, ok, "the fourth unauthenticated connection is refused")
	for _, c := range held {
		c.Close()
	}
	assert.Eventually(t, func() bool {
		c, ok := banner(t, h)
		c.Close()
		return ok
	}, 10*time.Second, 5*time.Millisecond, "connections start again once the others are gone")
}

func TestMaxStartupsDropProbability(t *testing.T) {
	s := startups{limit: DefaultMaxStartups}
	assert.False(t, s.drop(9), "below 10 never")
	assert.True(t, s.drop(100), "at 100 always")
	// At 55, half way: 30 + 70/2 = 65 %.
	dropped := 0
	for range 10000 {
		if s.drop(55) {
			dropped++
		}
	}
	assert.InDelta(t, 6500, dropped, 300)
	assert.ErrorContains(t, MaxStartups{Start: 10, Rate: 30, Full: 5}.Check(), "MaxStartups 10:30:5")
}

// LoginGraceTime: a client that never authenticates is cut off.
func TestLoginGraceTimeClosesIdleHandshakes(t *testing.T) {
	_, h := sshWorld(t, Config{LoginGraceTime: 50 * time.Millisecond})
	c, ok := banner(t, h)
	require.True(t, ok)
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, c)
	assert.NoError(t, err, "the server closed the connection (EOF), before the read deadline")
}
