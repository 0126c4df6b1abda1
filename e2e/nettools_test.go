package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/client"
	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/packet"
)

// run runs command on the instance and returns its result, whatever its
// status (a non-zero one is the test's to check).
func run(t *testing.T, l *lab.Lab, command string) client.Result {
	t.Helper()
	res, err := l.Run(ctxT(t), command)
	if res.ExitStatus == 0 {
		require.NoError(t, err, "%s: %s", command, res)
	}
	return res
}

// ping's echo requests take the fabric's way: without a NAT gateway the
// private route table drops them (counted, ICMP's), and ping reports 100%
// loss with status 1; with one, the mirror answers, and it saw the
// gateway's public address with an identifier of the gateway's.
func TestPingThroughTheFabric(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	res := run(t, l, "ping -c 1 -W 0.3 192.0.2.80")
	assert.Equal(t, 1, res.ExitStatus, res.Stderr)
	assert.Equal(t, "PING 192.0.2.80 (192.0.2.80) 56(84) bytes of data.\n\n"+
		"--- 192.0.2.80 ping statistics ---\n"+
		"1 packets transmitted, 0 received, 100% packet loss, time 0ms\n", res.Stdout)
	drops := dropsAt(l, l.PrivateRouteTable.ID(), vnet.DropNoRoute)
	require.NotEmpty(t, drops, "the request is dropped at the private route table")
	assert.Equal(t, packet.ICMP, drops[0].Last.Flow.Proto)
	assert.Equal(t, "10.0.128.108", drops[0].Last.Flow.Src.Addr().String())

	c := manual(lab.Default())
	scenario(c).NATGateway = true
	l = labtest.New(t, c)
	dump, err := l.Tcpdump("mirror", "-n", "icmp")
	require.NoError(t, err)
	res = run(t, l, "ping -c 3 -i 0.2 192.0.2.80")
	require.Equal(t, 0, res.ExitStatus, res.Stderr)
	lines := strings.Split(strings.TrimSuffix(res.Stdout, "\n"), "\n")
	require.Len(t, lines, 8, res.Stdout)
	assert.Equal(t, "PING 192.0.2.80 (192.0.2.80) 56(84) bytes of data.", lines[0])
	for i := 1; i <= 3; i++ {
		assert.Regexp(t, fmt.Sprintf(`^64 bytes from 192\.0\.2\.80: icmp_seq=%d ttl=64 time=\d+\.\d+ ms$`, i), lines[i])
	}
	assert.Equal(t, "", lines[4])
	assert.Equal(t, "--- 192.0.2.80 ping statistics ---", lines[5])
	assert.Regexp(t, `^3 packets transmitted, 3 received, 0% packet loss, time \d+ms$`, lines[6])
	assert.Regexp(t, `^rtt min/avg/max/mdev = \d+\.\d{3}/\d+\.\d{3}/\d+\.\d{3}/\d+\.\d{3} ms$`, lines[7])

	seen := dump.Stop()
	require.Len(t, seen, 6, "three requests and three replies at the mirror: %v", seen)
	ids := map[string]bool{}
	for i, ln := range seen {
		if i%2 == 0 {
			m := regexp.MustCompile(`IP 198\.51\.100\.30 > 192\.0\.2\.80: ICMP echo request, id (\d+), seq \d, length 64$`).FindStringSubmatch(ln)
			require.NotNil(t, m, "the mirror saw the NAT gateway's public address: %s", ln)
			ids[m[1]] = true
		} else {
			assert.Regexp(t, `IP 192\.0\.2\.80 > 198\.51\.100\.30: ICMP echo reply`, ln)
		}
	}
	assert.Len(t, ids, 1, "one socket, one identifier of the gateway's")

	// Without -c ping runs until it is interrupted or killed, and still
	// prints its statistics.
	type result struct {
		res client.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := l.Run(ctxT(t), "ping -i 0.2 192.0.2.80")
		done <- result{res, err}
	}()
	var pid string
	require.Eventually(t, func() bool {
		ps, _ := l.Run(ctxT(t), "ps -ef")
		if m := regexp.MustCompile(`(?m)^ec2-user\s+(\d+)\s.*\sping -i 0\.2 192\.0\.2\.80$`).FindStringSubmatch(ps.Stdout); m != nil {
			pid = m[1]
			return true
		}
		return false
	}, 20*time.Second, 10*time.Millisecond)
	res = run(t, l, "kill "+pid)
	require.Equal(t, 0, res.ExitStatus, res.Stderr)
	r := <-done
	assert.Equal(t, 143, r.res.ExitStatus, "%v", r.err)
	assert.Regexp(t, `\n--- 192\.0\.2\.80 ping statistics ---\n\d+ packets transmitted, \d+ received, .*\n`, r.res.Stdout)

	res = run(t, l, "ping -c 1 mirror")
	require.Equal(t, 0, res.ExitStatus, res.Stderr)
	assert.Contains(t, res.Stdout, "PING mirror (192.0.2.80) 56(84) bytes of data.\n64 bytes from mirror (192.0.2.80): icmp_seq=1 ttl=64 time=")
	res = run(t, l, "ping -c 1 nowhere")
	assert.Equal(t, 2, res.ExitStatus)
	assert.Equal(t, "ping: nowhere: Name or service not known\n", res.Stderr)
}

// Echo meets security groups as any protocol does: the instance's group
// has no ICMP rule, so another host's echo request is dropped at its
// interface and counted; a rule for ICMP lets it in, and connection
// tracking lets the reply out.
func TestPingRefusedBySecurityGroup(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	probe, err := l.Net.NewHost("probe")
	require.NoError(t, err)
	_, err = probe.AttachSubnet(l.Subnet("vlab-public-1a"), netip.MustParseAddr("10.0.0.60"), vnet.ENIOptions{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(ctxT(t), 300*time.Millisecond)
	defer cancel()
	_, _, err = probe.Ping(ctx, l.Target.Addr(), 1, 56)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	drops := dropsAt(l, l.Target.ENI().ID(), vnet.DropSecurityGroup)
	require.NotEmpty(t, drops)
	assert.Equal(t, "no inbound rule allows 10.0.0.60 to ICMP", drops[0].Last.Rule)

	require.NoError(t, l.TargetSecurityGroup.AuthorizeIngress(vnet.SGRule{Protocol: "icmp", CIDR: netip.MustParsePrefix("10.0.0.0/16")}))
	rtt, ttl, err := probe.Ping(ctxT(t), l.Target.Addr(), 2, 56)
	require.NoError(t, err)
	assert.Positive(t, rtt)
	assert.Equal(t, uint8(64), ttl)
}

// nc -l on the instance, reached from the client through a listener of
// the NLB: bytes both ways, the client's own address in -v's lines, and
// while it listens, ss -tlnp names nc's process, ss -tnp the session's
// sshd, netstat the same.
func TestNCListensBehindTheNLB(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	// The target group checks port 22, so that nc's one connection is the
	// client's.
	tg, err := nlb.NewTargetGroup(l.Net, nlb.TargetGroupConfig{Name: "nc", Port: 8080, VPC: l.VPC, HealthCheck: nlb.HealthCheck{Port: "22"}})
	require.NoError(t, err)
	require.NoError(t, tg.Register(nlb.Target{ID: l.Target.ID(), ENI: l.Target.ENI()}))
	require.NoError(t, l.TargetSecurityGroup.AuthorizeIngress(vnet.SGRule{Protocol: "tcp", Ports: vnet.PortRange{From: 8080, To: 8080}, CIDR: netip.MustParsePrefix("0.0.0.0/0")}))
	_, err = l.NLB.AddListener(nlb.ListenerConfig{Port: 8080, TargetGroup: tg})
	require.NoError(t, err)

	type result struct {
		res client.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := l.Run(ctxT(t), "echo from-ec2 | nc -lv 8080")
		done <- result{res, err}
	}()
	require.Eventually(t, func() bool {
		for _, s := range l.Target.Host().Sockets() {
			if s.State == "LISTEN" && s.Local.Port() == 8080 {
				return true
			}
		}
		return false
	}, 20*time.Second, time.Millisecond, "nc listens")

	res := run(t, l, "ss -tlnp; echo --; ss -tnp; echo --; netstat -tlnp; echo --; netstat -tn; echo --; ps -ef")
	require.Equal(t, 0, res.ExitStatus, res.Stderr)
	parts := strings.Split(res.Stdout, "--\n")
	require.Len(t, parts, 5, res.Stdout)
	ncPID := regexp.MustCompile(`(?m)^ec2-user\s+(\d+)\s+\d+\s.*\snc -lv 8080$`).FindStringSubmatch(parts[4])
	require.NotNil(t, ncPID, parts[4])
	assert.Regexp(t, `(?m)^LISTEN\s+0\s+4096\s+0\.0\.0\.0:8080\s+0\.0\.0\.0:\*\s+users:\(\("nc",pid=`+ncPID[1]+`,fd=3\)\)$`, parts[0])
	assert.Regexp(t, `(?m)^LISTEN\s+0\s+4096\s+0\.0\.0\.0:22\s+0\.0\.0\.0:\*\s*$`, parts[0], "sshd's listener is root's: ec2-user's ss names no process")

	session := fmt.Sprintf(`10\.0\.128\.108:22\s+203\.0\.113\.10:%d`, res.Local.Port())
	m := regexp.MustCompile(`(?m)^ESTAB\s+(\d+)\s+(\d+)\s+` + session + `\s+users:\(\("sshd",pid=(\d+),fd=4\)\)$`).FindStringSubmatch(parts[1])
	require.NotNil(t, m, "the session's own socket, held by its sshd: %s", parts[1])
	assert.Regexp(t, `(?m)^ec2-user\s+`+m[3]+`\s+\d+\s.*\ssshd: ec2-user@notty$`, parts[4], "the session's sshd process, as ps shows it")

	assert.Contains(t, parts[2], "Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name")
	assert.Regexp(t, `(?m)^tcp\s+0\s+0 0\.0\.0\.0:8080\s+0\.0\.0\.0:\*\s+LISTEN\s+`+ncPID[1]+`/nc\s*$`, parts[2])
	assert.Regexp(t, `(?m)^tcp\s+\d+\s+\d+ `+session+`\s+ESTABLISHED\s*$`, parts[3])

	// The client, through the NLB.
	c, err := l.Client.Dial(ctxT(t), "tcp", "198.51.100.10:8080")
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "from-client\n")
	require.NoError(t, err)
	require.NoError(t, c.(interface{ CloseWrite() error }).CloseWrite())
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, "from-ec2\n", string(got), "the instance's stdin reached the client")

	var r result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("nc did not end when the client closed")
	}
	require.NoError(t, r.err, "%v", r.res)
	assert.Equal(t, "from-client\n", r.res.Stdout, "the client's bytes reached nc's stdout")
	assert.Regexp(t, `^Ncat: Version 7\.50 \( https://nmap\.org/ncat \)\n`+
		`Ncat: Listening on 0\.0\.0\.0:8080\n`+
		`Ncat: Connection from 203\.0\.113\.10\.\n`+
		`Ncat: Connection from 203\.0\.113\.10:\d+\.\n`+
		`Ncat: 9 bytes sent, 12 bytes received in \d+\.\d\d seconds\.\n$`, r.res.Stderr)

	res = run(t, l, "ss -tlnp; ip link")
	assert.NotContains(t, res.Stdout, ":8080", "nc has gone")
	assert.Contains(t, res.Stdout, "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group default qlen 1000\n    link/ether 06:")
}

// ss's queues are the stack's own: bytes a server has not read wait in
// its Recv-Q; bytes its peer's full window refuses, in its Send-Q.
func TestSSShowsRealQueues(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	require.NoError(t, l.TargetSecurityGroup.AuthorizeIngress(vnet.SGRule{Protocol: "tcp", Ports: vnet.PortRange{From: 9000, To: 9000}, CIDR: netip.MustParsePrefix("10.0.0.0/16")}))
	ln, err := l.Target.Listen("tcp", ":9000")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	node, err := l.Host("nlb-1a")
	require.NoError(t, err)
	peer, err := node.Dial(ctxT(t), netip.AddrPortFrom(l.Target.Addr(), 9000))
	require.NoError(t, err)
	defer peer.Close()
	srv := <-accepted
	defer srv.Close()
	_, err = peer.Write(bytes.Repeat([]byte("q"), 1000))
	require.NoError(t, err)
	writeDone := make(chan struct{})
	go func() {
		defer close(writeDone)
		srv.SetWriteDeadline(time.Now().Add(30 * time.Second))
		srv.Write(bytes.Repeat([]byte("r"), 8<<20)) // more than the node's window and buffer hold
	}()
	queues := func() (recv, send int) {
		for _, s := range l.Target.Host().Sockets() {
			if s.State == "ESTAB" && s.Local.Port() == 9000 {
				return s.RecvQ, s.SendQ
			}
		}
		return -1, -1
	}
	require.Eventually(t, func() bool { r, s := queues(); return r == 1000 && s > 0 }, 20*time.Second, time.Millisecond)
	res := run(t, l, "ss -tn; netstat -tn")
	assert.Regexp(t, `(?m)^ESTAB\s+1000\s+[1-9]\d*\s+10\.0\.128\.108:9000\s+10\.0\.10\.25:\d+\s*$`, res.Stdout)
	assert.Regexp(t, `(?m)^tcp\s+1000\s+[1-9]\d* 10\.0\.128\.108:9000\s+10\.0\.10\.25:\d+\s+ESTABLISHED\s*$`, res.Stdout)
	srv.Close()
	peer.Close()
	<-writeDone
}

// nc connects through the NAT gateway (stdin to the mirror, its answer to
// stdout) and checks ports with -z, in ncat's words; without the gateway
// -w ends the attempt.
func TestNCConnectsAndScans(t *testing.T) {
	noLeaks(t)
	c := manual(lab.Default())
	scenario(c).NATGateway = true
	l := labtest.New(t, c)
	res := run(t, l, `printf 'GET / HTTP/1.0\r\n\r\n' | nc -v 192.0.2.80 80`)
	require.Equal(t, 0, res.ExitStatus, res.Stderr)
	assert.Regexp(t, `(?s)^HTTP/1\.0 200 OK\r\n.*\r\n\r\nmirror: hello 198\.51\.100\.30:\d+\n$`, res.Stdout)
	assert.Regexp(t, `^Ncat: Version 7\.50 \( https://nmap\.org/ncat \)\nNcat: Connected to 192\.0\.2\.80:80\.\nNcat: 18 bytes sent, \d+ bytes received in \d+\.\d\d seconds\.\n$`, res.Stderr)

	res = run(t, l, "nc -zv 192.0.2.80 80")
	assert.Equal(t, 0, res.ExitStatus, res.Stderr)
	assert.Contains(t, res.Stderr, "Ncat: Connected to 192.0.2.80:80.\n")
	res = run(t, l, "nc -zv mirror 81")
	assert.Equal(t, 1, res.ExitStatus)
	assert.Contains(t, res.Stderr, "Ncat: Connection refused.\n")
	res = run(t, l, "nc -z 192.0.2.80 79-81; echo $?")
	assert.Equal(t, "0\n", res.Stdout, "a port answered")
	assert.Equal(t, "Ncat: Connection refused.\nNcat: Connection refused.\n", res.Stderr)

	l = labtest.New(t, manual(lab.Default()))
	res = run(t, l, "nc -zv -w 0.3 192.0.2.80 80")
	assert.Equal(t, 1, res.ExitStatus)
	assert.Contains(t, res.Stderr, "Ncat: TIMEOUT.\n")
	res = run(t, l, "sudo nc -l 22")
	assert.Equal(t, 2, res.ExitStatus)
	assert.Equal(t, "Ncat: bind to 0.0.0.0:22: Address already in use. QUITTING.\n", res.Stderr)
	res = run(t, l, "nc -l 80")
	assert.Equal(t, 2, res.ExitStatus)
	assert.Equal(t, "Ncat: bind to 0.0.0.0:80: Permission denied. QUITTING.\n", res.Stderr, "a port below 1024 is root's")
}

// curl's options: -I, -o into the instance's files, -w, -H, -d, -X, -f,
// -v, against a server on the instance and the mirror through the NAT
// gateway.
func TestCurlOptions(t *testing.T) {
	noLeaks(t)
	c := manual(lab.Default())
	scenario(c).NATGateway = true
	l := labtest.New(t, c)
	ln, err := l.Target.Listen("tcp", ":8081")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo", "yes")
		fmt.Fprintf(w, "%s %s x-test=%s type=%s body=%s\n", r.Method, r.URL.Path, r.Header.Get("X-Test"), r.Header.Get("Content-Type"), body)
	})}
	served := make(chan struct{})
	go func() { defer close(served); srv.Serve(ln) }()
	defer func() { srv.Close(); <-served }()

	res := run(t, l, `curl -s -H 'X-Test: yes' -d 'a=b' -d c=d http://localhost:8081/post`)
	assert.Equal(t, "POST /post x-test=yes type=application/x-www-form-urlencoded body=a=b&c=d\n", res.Stdout, res.Stderr)
	res = run(t, l, `curl -s -X PUT -d x http://10.0.128.108:8081/put`)
	assert.Equal(t, "PUT /put x-test= type=application/x-www-form-urlencoded body=x\n", res.Stdout, res.Stderr)
	res = run(t, l, `curl -sI http://localhost:8081/`)
	assert.Regexp(t, `^HTTP/1\.1 200 OK\r\n`, res.Stdout)
	assert.Contains(t, res.Stdout, "X-Echo: yes\r\n")
	assert.True(t, strings.HasSuffix(res.Stdout, "\r\n\r\n"), "the head only: %q", res.Stdout)
	res = run(t, l, `curl -s -o page.txt http://localhost:8081/file && cat page.txt && ls -l page.txt`)
	assert.Regexp(t, `^GET /file x-test= type= body=\n-rw-rw-r-- 1 ec2-user ec2-user 30 `, res.Stdout, res.Stderr)
	res = run(t, l, `curl -s -o /dev/null -w '%{http_code} %{remote_ip}:%{remote_port}\n' http://localhost:8081/missing`)
	assert.Equal(t, "404 10.0.128.108:8081\n", res.Stdout)
	res = run(t, l, `curl -sf http://localhost:8081/missing; echo $?`)
	assert.Equal(t, "22\n", res.Stdout)
	res = run(t, l, `curl -v -s http://localhost:8081/v`)
	assert.Contains(t, res.Stderr, "*   Trying 10.0.128.108:8081...\n* Connected to localhost (10.0.128.108) port 8081\n> GET /v HTTP/1.1\n> Host: localhost:8081\n> User-Agent: curl/8.5.0\n> Accept: */*\n> \n< HTTP/1.1 200 OK\n")
	assert.Contains(t, res.Stderr, "* Connection #0 to host localhost left intact\n")

	res = run(t, l, `curl -s -w '%{http_code} %{time_total}\n' http://192.0.2.80/`)
	assert.Regexp(t, `^mirror: hello 198\.51\.100\.30:\d+\n200 \d+\.\d{6}\n$`, res.Stdout)
	res = run(t, l, `curl -s -o /dev/null --connect-timeout 0.3 -w '%{http_code}\n' http://192.0.2.80:81/; echo $?`)
	assert.Equal(t, "000\n7\n", res.Stdout, "refused")
}

// nc -lk serves one connection after another until it is killed; ss names
// the process to kill, and kill's status is SIGTERM's.
func TestNCKeepOpenUntilKilled(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	require.NoError(t, l.TargetSecurityGroup.AuthorizeIngress(vnet.SGRule{Protocol: "tcp", Ports: vnet.PortRange{From: 9090, To: 9090}, CIDR: netip.MustParsePrefix("10.0.0.0/16")}))
	probe, err := l.Net.NewHost("probe")
	require.NoError(t, err)
	_, err = probe.AttachSubnet(l.Subnet("vlab-public-1a"), netip.MustParseAddr("10.0.0.60"), vnet.ENIOptions{})
	require.NoError(t, err)

	type result struct {
		res client.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := l.Run(ctxT(t), "nc -lkv 9090")
		done <- result{res, err}
	}()
	open := func(states ...string) bool {
		for _, s := range l.Target.Host().Sockets() {
			for _, st := range states {
				if s.Local.Port() == 9090 && s.State == st {
					return true
				}
			}
		}
		return false
	}
	require.Eventually(t, func() bool { return open("LISTEN") }, 20*time.Second, time.Millisecond)
	for i := 1; i <= 2; i++ {
		c, err := probe.Dial(ctxT(t), netip.AddrPortFrom(l.Target.Addr(), 9090))
		require.NoError(t, err, "%v", l.Target.Host().Sockets())
		fmt.Fprintf(c, "line %d\n", i)
		c.Close()
		// nc has read all of it when it has closed its end.
		require.Eventually(t, func() bool { return !open("ESTAB", "CLOSE-WAIT") }, 5*time.Second, time.Millisecond, "%v", l.Target.Host().Sockets())
	}
	res := run(t, l, "sudo ss -tlnp")
	m := regexp.MustCompile(`0\.0\.0\.0:9090\s+0\.0\.0\.0:\*\s+users:\(\("nc",pid=(\d+),fd=3\)\)`).FindStringSubmatch(res.Stdout)
	require.NotNil(t, m, res.Stdout)
	res = run(t, l, "kill "+m[1])
	require.Equal(t, 0, res.ExitStatus, res.Stderr)
	var r result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("nc -k outlived kill")
	}
	assert.Equal(t, 143, r.res.ExitStatus, "%v", r.err)
	assert.Equal(t, "line 1\nline 2\n", r.res.Stdout)
	assert.Equal(t, 2, strings.Count(r.res.Stderr, "Ncat: Connection from 10.0.0.60.\n"), r.res.Stderr)
	assert.False(t, open("LISTEN"), "its listener closed with it")
}
