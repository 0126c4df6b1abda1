package e2e

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
)

// sshd's log is a third witness of the address the instance saw: the
// client's with an instance target, the node's with an ip target, the
// client's again with Proxy Protocol; on both images.
func TestSSHDLogNamesTheAddressTheInstanceSaw(t *testing.T) {
	noLeaks(t)
	for _, tc := range []struct {
		name, image, targetType string
		proxy                   bool
		from                    string
	}{
		{"instance", "", "", false, "203.0.113.10"},
		{"instance on al2023", "al2023", "", false, "203.0.113.10"},
		{"ip", "", "ip", false, "10.0.10.25"},
		{"ip with proxy protocol", "al2023", "ip", true, "203.0.113.10"},
	} {
		c := manual(lab.Default())
		scenario(c).Image, scenario(c).TargetType, scenario(c).ProxyProtocol = tc.image, tc.targetType, tc.proxy
		l := labtest.New(t, c)
		res, err := l.Run(ctxT(t), "journalctl -u sshd")
		require.NoError(t, err, tc.name)
		port := res.Local.Port()
		if tc.from == "10.0.10.25" {
			// Without preservation the port is one the node chose.
			assert.Regexp(t, `sshd\[\d+\]: Accepted publickey for ec2-user from 10\.0\.10\.25 port \d+ ssh2: ED25519 SHA256:`, res.Stdout, tc.name)
			assert.NotContains(t, res.Stdout, "from 203.0.113.10", tc.name)
			continue
		}
		assert.Regexp(t, fmt.Sprintf(`(?m)^Nov 24 03:20:00 ip-10-0-128-108 sshd\[\d+\]: Accepted publickey for ec2-user from %s port %d ssh2: ED25519 SHA256:\S+$`, strings.ReplaceAll(tc.from, ".", `\.`), port), res.Stdout, tc.name)
	}
}

// A refused key and an unknown user appear as the image's sshd words
// them; Amazon Linux 2's rsyslog copies sshd's lines to /var/log/secure,
// root's only, and Amazon Linux 2023 has no such file.
func TestSSHDLogsRefusals(t *testing.T) {
	noLeaks(t)
	unknown, err := lab.NewKey()
	require.NoError(t, err)
	for _, tc := range []struct{ image, refused, invalid string }{
		{"al2023", `Connection closed by authenticating user ec2-user 203\.0\.113\.10 port \d+ \[preauth\]`, `Connection closed by invalid user bob 203\.0\.113\.10 port \d+ \[preauth\]`},
		{"al2", `Connection closed by 203\.0\.113\.10 port \d+ \[preauth\]`, `Invalid user bob from 203\.0\.113\.10 port \d+`},
	} {
		c := manual(lab.Default())
		scenario(c).Image = tc.image
		l := labtest.New(t, c)
		require.Error(t, handshake(t, l, ssh.PublicKeys(unknown)))
		cl, err := l.Dial(ctxT(t))
		require.NoError(t, err)
		_, _, _, err = ssh.NewClientConn(cl, l.Endpoint().String(), &ssh.ClientConfig{User: "bob", Auth: []ssh.AuthMethod{ssh.PublicKeys(l.Config.ClientKey)}, HostKeyCallback: ssh.FixedHostKey(l.Config.HostKey.PublicKey())})
		require.Error(t, err)
		cl.Close()
		// The server logs the refusals when it sees the connections end.
		require.Eventually(t, func() bool {
			res, err := l.Run(ctxT(t), "journalctl -u sshd")
			return err == nil && strings.Contains(res.Stdout, "Invalid user bob from 203.0.113.10") && strings.Count(res.Stdout, "[preauth]") >= 2
		}, 10*time.Second, 10*time.Millisecond)
		res, err := l.Run(ctxT(t), "journalctl -u sshd; sudo cat /var/log/secure; cat /var/log/secure; true")
		require.NoError(t, err)
		assert.Regexp(t, tc.refused, res.Stdout, tc.image)
		assert.Regexp(t, tc.invalid, res.Stdout, tc.image)
		if tc.image == "al2" {
			assert.Contains(t, res.Stderr, "cat: /var/log/secure: Permission denied")
			assert.Regexp(t, `(?m)^Nov 24 03:20:00 ip-10-0-128-108 sshd\[\d+\]: Accepted publickey for ec2-user from 203\.0\.113\.10`, res.Stdout)
			assert.Contains(t, res.Stdout, "Did not receive identification string from 10.0.10.25", "the NLB's TCP health checks")
		} else {
			assert.Contains(t, res.Stderr, "cat: /var/log/secure: No such file or directory", "Amazon Linux 2023 has no rsyslog")
		}
	}
}

// who, w and last list the sessions with a terminal, with the address
// the instance saw; journalctl -f follows the log as logins happen.
func TestWhoWAndLast(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	s, in, out := ptyShell(t, l, 120)
	waitFor := func(sub string) {
		t.Helper()
		require.Eventually(t, func() bool { return strings.Contains(out.String(), sub) }, 10*time.Second, time.Millisecond, "want %q in %q", sub, out.String())
	}
	waitFor("]$ ")
	io.WriteString(in, "who; w; last\r")
	waitFor("wtmp begins")
	screen := out.String()
	assert.Regexp(t, `ec2-user pts/0\s+2026-11-24 03:20 \(203\.0\.113\.10\)`, screen)
	assert.Regexp(t, `USER\s+TTY\s+FROM\s+LOGIN@`, screen)
	assert.Regexp(t, `ec2-user pts/0\s+203\.0\.113\.10\s+Tue Nov 24 03:20\s+still logged in`, screen)

	io.WriteString(in, "journalctl -u sshd -f -n 0\r")
	waitFor("journalctl -u sshd -f -n 0\r\n")
	res, err := l.Run(ctxT(t), "true")
	require.NoError(t, err)
	waitFor(fmt.Sprintf("Accepted publickey for ec2-user from 203.0.113.10 port %d", res.Local.Port()))
	io.WriteString(in, "\x03")
	waitFor("]$ ")
	io.WriteString(in, "exit\r")
	s.Wait()
}
