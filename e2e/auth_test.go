package e2e

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/client"
	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/target"
	"github.com/vlab-sim/vlab/vnet"
)

// handshake opens an SSH connection as ec2-user from the lab's client PC
// through the NLB, authenticating with auth (nothing at all when empty)
// and verifying the lab's host key, and returns the handshake's error.
func handshake(t *testing.T, l *lab.Lab, auth ...ssh.AuthMethod) error {
	t.Helper()
	c, err := l.Dial(ctxT(t))
	require.NoError(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	sc, chans, reqs, err := ssh.NewClientConn(c, l.Endpoint().String(), &ssh.ClientConfig{
		User:            target.DefaultUser,
		Auth:            auth,
		HostKeyCallback: ssh.FixedHostKey(l.Config.HostKey.PublicKey()),
	})
	if err == nil {
		ssh.NewClient(sc, chans, reqs).Close()
	}
	return err
}

// The instance's sshd takes public keys only, and only the authorized
// ones: a key it does not know, a password and no authentication at all
// are refused, through the same client PC and NLB that the lab's own key
// logs in through.
func TestSSHRefusesUnknownKeysPasswordsAndNone(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, lab.Default())
	require.NoError(t, handshake(t, l, ssh.PublicKeys(l.Config.ClientKey)), "the lab's own key logs in")

	unknown, err := lab.NewKey()
	require.NoError(t, err)
	assert.ErrorContains(t, handshake(t, l, ssh.PublicKeys(unknown)),
		"unable to authenticate, attempted methods [none publickey]", "a key the instance does not know is refused")
	assert.ErrorContains(t, handshake(t, l, ssh.Password("ec2-user"), ssh.Password("")),
		"unable to authenticate", "password authentication is refused")
	assert.ErrorContains(t, handshake(t, l),
		"unable to authenticate, attempted methods [none]", `"none" authentication is refused`)

	// The product path too: a PC of its own, with a freshly generated key,
	// that the instances' group admits, logs in with client.PC.SSH and is
	// refused at authentication, not before.
	require.NoError(t, l.TargetSecurityGroup.AuthorizeIngress(vnet.SGRule{Protocol: "tcp", Ports: vnet.PortRange{From: 22, To: 22}, CIDR: netip.MustParsePrefix("203.0.113.66/32")}))
	intruder, err := client.New(l.Net, client.Config{Name: "intruder", Addr: netip.MustParsePrefix("203.0.113.66/24"), Key: unknown})
	require.NoError(t, err)
	cl, err := intruder.SSH(ctxT(t), l.Endpoint(), l.SSHConfig())
	if cl != nil {
		cl.Close()
	}
	assert.ErrorContains(t, err, "unable to authenticate, attempted methods [none publickey]")
}
