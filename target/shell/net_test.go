package shell

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sockSys is the test instance with sockets held by processes.
type sockSys struct{ *fakeSys }

func (sockSys) Sockets() []Socket {
	return []Socket{
		{State: "LISTEN", Local: netip.MustParseAddrPort("0.0.0.0:22"), Peer: netip.MustParseAddrPort("0.0.0.0:0"), SendQ: 4096,
			Users: []SocketUser{{Name: "sshd", PID: 1843, FD: 3, User: "root"}}},
		{State: "LISTEN", Local: netip.MustParseAddrPort("0.0.0.0:8080"), Peer: netip.MustParseAddrPort("0.0.0.0:0"), RecvQ: 1, SendQ: 4096,
			Users: []SocketUser{{Name: "nc", PID: 3012, FD: 3, User: "ec2-user"}}},
		{State: "ESTAB", Local: netip.MustParseAddrPort("10.0.128.108:22"), Peer: netip.MustParseAddrPort("203.0.113.10:40000"), RecvQ: 36, SendQ: 1200,
			Users: []SocketUser{{Name: "sshd", PID: 3005, FD: 4, User: "ec2-user"}, {Name: "sshd", PID: 3003, FD: 4, User: "root"}}},
	}
}

func sockShell(t *testing.T, user User) *Shell {
	return New(Config{Sys: sockSys{newFakeSys()}, FS: testFS(t), User: user, PID: 3001, PPID: 3000})
}

// ss -p names the processes that hold a socket, only one's own unless
// root, with the queues the stack reports.
func TestSSProcessesAndQueues(t *testing.T) {
	out, _, st := runIn(t, sockShell(t, EC2User), "ss -tnp", "")
	require.Equal(t, 0, st)
	assert.Regexp(t, `(?m)^ESTAB\s+36\s+1200\s+10\.0\.128\.108:22\s+203\.0\.113\.10:40000\s+users:\(\("sshd",pid=3005,fd=4\)\)$`, out, "ec2-user sees its own sshd only")
	out, _, _ = runIn(t, sockShell(t, EC2User), "sudo ss -tlnp", "")
	assert.Regexp(t, `(?m)^LISTEN\s+0\s+4096\s+0\.0\.0\.0:22\s+0\.0\.0\.0:\*\s+users:\(\("sshd",pid=1843,fd=3\)\)$`, out)
	assert.Regexp(t, `(?m)^LISTEN\s+1\s+4096\s+0\.0\.0\.0:8080\s+0\.0\.0\.0:\*\s+users:\(\("nc",pid=3012,fd=3\)\)$`, out)
	assert.NotContains(t, out, "ESTAB")
	out, _, _ = runIn(t, sockShell(t, Root), "ss -tanp", "")
	assert.Contains(t, out, `users:(("sshd",pid=3005,fd=4),("sshd",pid=3003,fd=4))`)
	out, _, _ = runIn(t, sockShell(t, EC2User), "ss -tln", "")
	assert.NotContains(t, out, "users:", "no -p, no processes")
	_, errs, st := runIn(t, sockShell(t, EC2User), "ss -tz", "")
	assert.Equal(t, 1, st)
	assert.Contains(t, errs, "option -z is not supported")
}

// netstat prints net-tools' columns.
func TestNetstat(t *testing.T) {
	out, errs, st := runIn(t, sockShell(t, EC2User), "netstat -tn", "")
	require.Equal(t, 0, st, errs)
	assert.Equal(t, "Active Internet connections (w/o servers)\n"+
		"Proto Recv-Q Send-Q Local Address           Foreign Address         State      \n"+
		"tcp       36   1200 10.0.128.108:22         203.0.113.10:40000      ESTABLISHED\n", out)
	out, errs, _ = runIn(t, sockShell(t, EC2User), "netstat -tlnp", "")
	assert.Contains(t, errs, "(Not all processes could be identified")
	assert.Equal(t, "Active Internet connections (only servers)\n"+
		"Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name    \n"+
		"tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      -                   \n"+
		"tcp        1      0 0.0.0.0:8080            0.0.0.0:*               LISTEN      3012/nc             \n", out)
	out, _, _ = runIn(t, sockShell(t, Root), "netstat -an", "")
	assert.Contains(t, out, "Active Internet connections (servers and established)\n")
	assert.Contains(t, out, "tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN     \n")
	assert.Contains(t, out, "10.0.128.108:22         203.0.113.10:40000      ESTABLISHED\n")
	out, _, _ = runIn(t, sockShell(t, Root), "netstat -tlp", "")
	assert.Contains(t, out, "0.0.0.0:ssh ", "port names without -n")
	assert.Contains(t, out, "1843/sshd")
}

func TestIPLink(t *testing.T) {
	out, _, st := run(t, "ip link")
	require.Equal(t, 0, st)
	assert.Equal(t, "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n"+
		"    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"+
		"2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group default qlen 1000\n"+
		"    link/ether 06:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n", out)
	out, _, _ = run(t, "ip link show eth0")
	assert.NotContains(t, out, "lo:")
	assert.Contains(t, out, "2: eth0:")
	out, _, _ = run(t, "ip -br a")
	assert.Equal(t, "lo   UNKNOWN 127.0.0.1/8\neth0 UP      10.0.128.108/20\n", out)
	_, errs, st := run(t, "ip link show eth9")
	assert.Equal(t, 1, st)
	assert.Equal(t, "Device \"eth9\" does not exist.\n", errs)
	out, _, _ = run(t, "ip a")
	assert.Contains(t, out, "inet 127.0.0.1/8 scope host lo")
	assert.Contains(t, out, "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000")
}
