package e2e

import (
	"context"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/vlab-sim/vlab/lab"
)

// BenchmarkTCPRoundTrip measures, through the NLB, a 100-byte echo round
// trip on one connection (us/rtt) and a connect plus close (us/connect):
// the latencies every SSH message and session pays.
func BenchmarkTCPRoundTrip(b *testing.B) {
	l, err := lab.New(lab.Default())
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
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	addr := netip.AddrPortFrom(l.Endpoint().Addr(), 9000)
	ctx := context.Background()
	c, err := l.Client.Host().Dial(ctx, addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 100)
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
	rtt := time.Since(t0)
	t0 = time.Now()
	for i := 0; i < b.N; i++ {
		c, err := l.Client.Host().Dial(ctx, addr)
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
	b.ReportMetric(float64(rtt.Microseconds())/float64(b.N), "us/rtt")
	b.ReportMetric(float64(time.Since(t0).Microseconds())/float64(b.N), "us/connect")
	b.ReportMetric(0, "ns/op")
}
