package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/topology"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/target"
	"github.com/vlab-sim/vlab/vnet/netstack"
)

const bulkChunk = 64 << 10

// sink accepts connections on ln and reports the bytes each one carried
// (health checks, which carry nothing but perhaps a 16-byte Proxy Protocol
// LOCAL header, are not reported).
func sink(ln net.Listener) <-chan int64 {
	got := make(chan int64, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				n, _ := io.Copy(io.Discard, c)
				c.Close()
				if n > 16 {
					got <- n
				}
			}()
		}
	}()
	return got
}

// pump writes total bytes to c, closes it and waits for the receiver's
// count (total, plus a Proxy Protocol header's 28 bytes when extra says
// so); it returns the elapsed time.
func pump(b *testing.B, c net.Conn, total int64, got <-chan int64, extra ...int64) time.Duration {
	buf := make([]byte, bulkChunk)
	start := time.Now()
	for sent := int64(0); sent < total; {
		n, err := c.Write(buf)
		if err != nil {
			b.Fatalf("write: %v", err)
		}
		sent += int64(n)
	}
	c.Close()
	want := total
	for _, e := range extra {
		want += e
	}
	if n := <-got; n != want {
		b.Fatalf("receiver got %d bytes, want %d", n, want)
	}
	return time.Since(start)
}

// BenchmarkBulkTCP moves bulk data client -> NLB -> target at MTU 1500 and,
// in the same run, between two directly wired stacks; it reports both
// rates, their ratio and the retransmissions on the NLB path.
func BenchmarkBulkTCP(b *testing.B) {
	const total = 64 << 20
	l, err := lab.New(lab.Default())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ln, err := l.Target.Listen("tcp", ":9000")
	if err != nil {
		b.Fatal(err)
	}
	got := sink(ln)
	nlbAddr := netip.AddrPortFrom(l.Endpoint().Addr(), 9000)
	if _, err := l.NLB.AddListener(nlbListener(l, 9000)); err != nil {
		b.Fatal(err)
	}

	a, s, err := netstack.NewPair(netip.MustParsePrefix("10.9.0.1/24"), netip.MustParsePrefix("10.9.0.2/24"))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	defer s.Close()
	dln, err := s.ListenTCP(netip.MustParseAddrPort("0.0.0.0:9000"))
	if err != nil {
		b.Fatal(err)
	}
	dgot := sink(dln)

	retx0 := l.Client.Host().Stats().Retransmits + l.Target.Host().Stats().Retransmits
	var tNLB, tDirect time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		c, err := l.Client.Host().Dial(ctx, nlbAddr)
		if err != nil {
			b.Fatal(err)
		}
		tNLB += pump(b, c, total, got)
		dc, err := a.DialTCP(ctx, netip.MustParseAddrPort("10.9.0.2:9000"))
		if err != nil {
			b.Fatal(err)
		}
		tDirect += pump(b, dc, total, dgot)
		cancel()
	}
	b.StopTimer()
	mbps := func(d time.Duration) float64 { return float64(total) * float64(b.N) / d.Seconds() / 1e6 }
	b.ReportMetric(mbps(tNLB), "nlb-MB/s")
	b.ReportMetric(mbps(tDirect), "direct-MB/s")
	b.ReportMetric(mbps(tNLB)/mbps(tDirect), "nlb/direct")
	retx := l.Client.Host().Stats().Retransmits + l.Target.Host().Stats().Retransmits - retx0
	b.ReportMetric(float64(retx), "retransmits")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkSSHSession runs whole SSH sessions (connect, handshake, exec
// `true`, close) from the client through the NLB to the instance and, in the
// same run, the same session with the same server over an in-memory pipe.
func BenchmarkSSHSession(b *testing.B) {
	l, err := lab.New(lab.Default())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	cfg := &ssh.ClientConfig{
		User:            target.DefaultUser,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(l.Config.ClientKey)},
		HostKeyCallback: ssh.FixedHostKey(l.Config.HostKey.PublicKey()),
	}
	pipeSession := func() {
		c, s := memPipe()
		done := make(chan struct{})
		go func() { l.Target.ServeSSH(s); close(done) }()
		sc, chans, reqs, err := ssh.NewClientConn(c, "mem", cfg)
		if err != nil {
			b.Fatal(err)
		}
		cl := ssh.NewClient(sc, chans, reqs)
		sess, err := cl.NewSession()
		if err != nil {
			b.Fatal(err)
		}
		if err := sess.Run("true"); err != nil {
			b.Fatal(err)
		}
		cl.Close()
		<-done
	}
	var tNLB, tPipe time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		res, err := l.Run(ctx, "true")
		if err != nil || res.ExitStatus != 0 {
			b.Fatalf("session: %v %+v", err, res)
		}
		t1 := time.Now()
		pipeSession()
		tNLB += t1.Sub(t0)
		tPipe += time.Since(t1)
	}
	b.StopTimer()
	per := func(d time.Duration) float64 { return d.Seconds() * 1e3 / float64(b.N) }
	b.ReportMetric(per(tNLB), "nlb-ms/session")
	b.ReportMetric(per(tPipe), "pipe-ms/session")
	b.ReportMetric(per(tNLB)/per(tPipe), "nlb/pipe")
	b.ReportMetric(float64(b.N)/tNLB.Seconds(), "nlb-sessions/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkLabStartup builds the reference lab, ready to serve, and closes
// it (the close is not timed).
func BenchmarkLabStartup(b *testing.B) { benchStartup(b, lab.Default()) }

// BenchmarkLabStartupFromFile builds examples/two-nlbs.yaml (two NLBs, three
// instances, HTTP health checks, a NAT gateway, a flow log) from its parsed
// topology, ready with health settled.
func BenchmarkLabStartupFromFile(b *testing.B) {
	data, err := os.ReadFile("../examples/two-nlbs.yaml")
	if err != nil {
		b.Fatal(err)
	}
	top, err := topology.Parse("two-nlbs.yaml", data)
	if err != nil {
		b.Fatal(err)
	}
	benchStartup(b, lab.Config{Topology: top})
}

// benchStartup times lab.New(c), reporting ms/lab.
func benchStartup(b *testing.B, c lab.Config) {
	var built time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		l, err := lab.New(c)
		if err != nil {
			b.Fatal(err)
		}
		built += time.Since(t0)
		b.StopTimer()
		l.Close()
		b.StartTimer()
	}
	b.ReportMetric(built.Seconds()*1e3/float64(b.N), "ms/lab")
}

// BenchmarkIdleFlowMemory holds 1,000 idle TCP connections through the NLB
// and reports the heap they take per flow: both ends' sockets and the NLB's
// flow-table entry.
func BenchmarkIdleFlowMemory(b *testing.B) {
	const flows = 1000
	for i := 0; i < b.N; i++ {
		l, err := lab.New(lab.Default())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.NLB.AddListener(nlbListener(l, 9000)); err != nil {
			b.Fatal(err)
		}
		ln, err := l.Target.Listen("tcp", ":9000")
		if err != nil {
			b.Fatal(err)
		}
		accepted := make(chan net.Conn, flows)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				if !strings.HasPrefix(peerOf(c), "203.0.113.10:") {
					c.Close() // a health check
					continue
				}
				accepted <- c
			}
		}()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		conns := make([]net.Conn, 0, 2*flows)
		addr := netip.AddrPortFrom(l.Endpoint().Addr(), 9000)
		for j := 0; j < flows; j++ {
			c, err := l.Client.Host().Dial(context.Background(), addr)
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c, <-accepted)
		}
		if n := l.NLB.FlowCount(); n != flows {
			b.Fatalf("flow table holds %d flows, want %d", n, flows)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/flows, "bytes/flow")
		for _, c := range conns {
			c.Close()
		}
		l.Close()
	}
	b.ReportMetric(0, "ns/op")
}

// BenchmarkCLISSHTrue runs the built `vlab ssh -- true` as a whole process:
// start, build the lab, SSH through the NLB, exit.
func BenchmarkCLISSHTrue(b *testing.B) {
	cfg := b.TempDir()
	env := append(os.Environ(), "XDG_CONFIG_HOME="+cfg, "HOME="+cfg)
	run := func() {
		cmd := exec.Command(vlabBin, "ssh", "--", "true")
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("vlab ssh -- true: %v %s", err, out)
		}
	}
	run() // the first run writes the keys
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < b.N; i++ {
		run()
	}
	b.ReportMetric(time.Since(t0).Seconds()*1e3/float64(b.N), "ms/process")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkBulkTCPCaptured is BenchmarkBulkTCP's NLB path with captures on:
// every ENI of the lab written to a pcap file (--pcap), the cost of
// watching. With no capture, a tap costs one atomic load per packet.
func BenchmarkBulkTCPCaptured(b *testing.B) {
	c := lab.Default()
	c.PcapDir = b.TempDir()
	bulkThroughListener(b, c, "nlb-pcap-MB/s")
}

// BenchmarkBulkTCPProxyProtocol moves bulk data through a Proxy Protocol
// v2 target group and, in the same run, through a plain one on the same
// lab: the node inserts the header and shifts every segment's numbers, and
// the ratio says what that costs.
func BenchmarkBulkTCPProxyProtocol(b *testing.B) {
	const total = 64 << 20
	l, err := lab.New(lab.Default())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	sinks := map[uint16]<-chan int64{}
	for _, port := range []uint16{9000, 9001} {
		lc := nlbListener(l, port)
		if port == 9001 {
			if err := lc.TargetGroup.SetAttribute(nlb.AttrProxyProtocolV2, "true"); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := l.NLB.AddListener(lc); err != nil {
			b.Fatal(err)
		}
		ln, err := l.Target.Listen("tcp", fmt.Sprintf(":%d", port))
		if err != nil {
			b.Fatal(err)
		}
		sinks[port] = sink(ln)
	}
	var plain, pp time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, port := range []uint16{9000, 9001} {
			conn, err := l.Client.Host().Dial(context.Background(), netip.AddrPortFrom(l.Endpoint().Addr(), port))
			if err != nil {
				b.Fatal(err)
			}
			if port == 9000 {
				plain += pump(b, conn, total, sinks[port])
			} else {
				pp += pump(b, conn, total, sinks[port], 28) // the header
			}
		}
	}
	b.StopTimer()
	mbps := func(d time.Duration) float64 { return float64(total) * float64(b.N) / d.Seconds() / 1e6 }
	b.ReportMetric(mbps(pp), "nlb-ppv2-MB/s")
	b.ReportMetric(mbps(plain), "nlb-MB/s")
	b.ReportMetric(mbps(pp)/mbps(plain), "ppv2/plain")
	b.ReportMetric(0, "ns/op")
}

func bulkThroughListener(b *testing.B, c lab.Config, metric string) {
	const total = 64 << 20
	l, err := lab.New(c)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	if _, err := l.NLB.AddListener(nlbListener(l, 9000)); err != nil {
		b.Fatal(err)
	}
	ln, err := l.Target.Listen("tcp", ":9000")
	if err != nil {
		b.Fatal(err)
	}
	got := sink(ln)
	var elapsed time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		conn, err := l.Client.Host().Dial(context.Background(), netip.AddrPortFrom(l.Endpoint().Addr(), 9000))
		if err != nil {
			b.Fatal(err)
		}
		elapsed += pump(b, conn, total, got)
	}
	b.ReportMetric(float64(total)*float64(b.N)/elapsed.Seconds()/1e6, metric)
	b.ReportMetric(0, "ns/op")
}
