package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	proxyproto "github.com/pires/go-proxyproto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/packet"
	"github.com/vlab-sim/vlab/vnet/wire"
)

// ppSignature opens every Proxy Protocol v2 header.
var ppSignature = []byte("\r\n\r\n\x00\r\nQUIT\n")

// ppConfig is the reference scenario with proxy_protocol_v2.enabled on its
// target group and the instances' SSH servers unwrapping the header.
func ppConfig() lab.Config {
	c := manual(lab.Default())
	scenario(c).ProxyProtocol = true
	return c
}

// ppListener adds a listener on port whose target group speaks Proxy
// Protocol v2, and a server on the target that hands each connection's
// PROXY header and reader to serve (health checks' LOCAL headers are
// answered by closing).
func ppListener(t *testing.T, l *lab.Lab, port uint16, serve func(*proxyproto.Header, *bufio.Reader, net.Conn)) {
	t.Helper()
	lc := nlbListener(l, port)
	require.NoError(t, lc.TargetGroup.SetAttribute(nlb.AttrProxyProtocolV2, "true"))
	_, err := l.NLB.AddListener(lc)
	require.NoError(t, err)
	ln, err := l.Target.Listen("tcp", fmt.Sprintf(":%d", port))
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				r := bufio.NewReader(c)
				h, err := proxyproto.Read(r)
				if err != nil || h.Command != proxyproto.PROXY {
					return
				}
				serve(h, r, c)
			}()
		}
	}()
}

// Instance target with Proxy Protocol: the load balancer stays a
// pass-through. The target's socket has the client as its peer, and the
// header names the same client.
func TestProxyProtocolKeepsTheClientAsPeer(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, ppConfig())
	res, err := l.Run(ctxT(t), "ss -tn; echo $SSH_CLIENT")
	require.NoError(t, err)
	require.Equal(t, 0, res.ExitStatus, res.Stderr)
	client := strings.ReplaceAll(res.Local.String(), ".", `\.`)
	assert.Regexp(t, `ESTAB\s+\d+\s+\d+\s+10\.0\.128\.108:22\s+`+client+`\s`, res.Stdout, "the TCP peer is the client")
	assert.Contains(t, res.Stdout, fmt.Sprintf("\n203.0.113.10 %d 22\n", res.Local.Port()), "and so is the header's source")
	assert.NotContains(t, res.Stdout, "10.0.10.25", "the node is nobody's peer")
}

// The seed's security-group lesson holds with Proxy Protocol: without the
// rule for the client the session fails at the target's ENI; without the
// rule for the node it works (the health checks fail and the group fails
// open).
func TestProxyProtocolSecurityGroupLesson(t *testing.T) {
	noLeaks(t)
	c := ppConfig()
	scenario(c).NoSGClientRule = true
	l := labtest.New(t, c)
	assert.Equal(t, nlb.StateHealthy, stateOf(t, l, 0).State, "the LOCAL health checks pass")
	assertDialDropped(t, l, "198.51.100.10:51512", l.Target.ENI().ID(), vnet.DropSecurityGroup)
	drops := dropsAt(l, l.Target.ENI().ID(), vnet.DropSecurityGroup)
	require.NotEmpty(t, drops)
	assert.Equal(t, "203.0.113.10", drops[0].Last.Flow.Src.Addr().String(), "the SYN reaches the target with the client's address")

	c = ppConfig()
	scenario(c).NoSGNLBRule = true
	l = labtest.New(t, c)
	assert.Equal(t, nlb.StateUnhealthy, stateOf(t, l, 0).State)
	res, err := l.Run(ctxT(t), "echo $SSH_CLIENT")
	require.NoError(t, err, "no rule for the node is needed to carry the session")
	assert.True(t, strings.HasPrefix(res.Stdout, "203.0.113.10 "), res.Stdout)
}

// With no target answering, the client's handshake does not complete: the
// target's own refusal reaches the client, as without Proxy Protocol.
func TestProxyProtocolNoHandshakeWithoutTarget(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, ppConfig())
	lc := nlbListener(l, 9000)
	require.NoError(t, lc.TargetGroup.SetAttribute(nlb.AttrProxyProtocolV2, "true"))
	_, err := l.NLB.AddListener(lc)
	require.NoError(t, err)
	var synAcks atomic.Int32
	stop := l.Client.Host().PrimaryENI().Tap(func(_ time.Time, d vnet.Direction, b []byte) {
		if ip, ok := wire.ParseIPv4(b); ok && d == vnet.In && ip.Flags().Has(wire.SYN|wire.ACK) {
			synAcks.Add(1)
		}
	})
	defer stop()
	_, err = l.Client.Dial(ctxT(t), "tcp", "198.51.100.10:9000")
	require.Error(t, err, "nothing listens on the target's port 9000")
	assert.Contains(t, err.Error(), "refused")
	assert.Zero(t, synAcks.Load(), "no SYN-ACK ever reached the client")
}

// ip target with preservation off: the TCP peer is the node, the header's
// source the client.
func TestProxyProtocolIPTargetWithoutPreservation(t *testing.T) {
	noLeaks(t)
	c := ppConfig()
	scenario(c).TargetType = "ip"
	l := labtest.New(t, c)
	require.Equal(t, "false", l.TargetGroup.Attributes()[nlb.AttrPreserveClientIP])
	res, err := l.Run(ctxT(t), "ss -tn; echo $SSH_CLIENT")
	require.NoError(t, err)
	require.Equal(t, 0, res.ExitStatus, res.Stderr)
	assert.Regexp(t, `ESTAB\s+\d+\s+\d+\s+10\.0\.128\.108:22\s+10\.0\.10\.25:\d+\s`, res.Stdout, "the TCP peer is the node")
	assert.NotRegexp(t, `ESTAB.*203\.0\.113\.10`, res.Stdout)
	assert.Contains(t, res.Stdout, fmt.Sprintf("\n203.0.113.10 %d 22\n", res.Local.Port()), "the header's source is the client")
}

// The header, read by an independent library, comes in front of the
// client's first byte, and not before the client sends: a server that
// waits for it before greeting waits for the client, as on AWS.
func TestProxyProtocolHeaderBeforeClientBytes(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, ppConfig())
	type got struct {
		h    *proxyproto.Header
		line string
	}
	gotc := make(chan got, 1)
	ppListener(t, l, 9000, func(h *proxyproto.Header, r *bufio.Reader, _ net.Conn) {
		line, _ := r.ReadString('\n')
		gotc <- got{h, line}
	})
	var toTarget bytes.Buffer
	var mu sync.Mutex
	stop := l.Target.ENI().Tap(func(_ time.Time, d vnet.Direction, b []byte) {
		ip, _ := wire.ParseIPv4(b)
		if tcp, ok := ip.TCP(); ok && d == vnet.In && ip.Src().String() == "203.0.113.10" {
			mu.Lock()
			toTarget.Write(tcp.Payload())
			mu.Unlock()
		}
	})
	defer stop()

	conn, err := l.Client.Dial(ctxT(t), "tcp", "198.51.100.10:9000")
	require.NoError(t, err)
	defer conn.Close()
	local := conn.LocalAddr().String()
	// The handshake is end to end: the target's socket exists with the
	// client as peer, and nothing has crossed yet.
	require.Eventually(t, func() bool {
		for _, s := range l.Target.Host().Sockets() {
			if s.Peer.String() == local && s.State == "ESTAB" {
				return true
			}
		}
		return false
	}, 10*time.Second, time.Millisecond)
	mu.Lock()
	assert.Zero(t, toTarget.Len(), "no header before the client's first byte")
	mu.Unlock()

	_, err = conn.Write([]byte("hello\n"))
	require.NoError(t, err)
	var g got
	select {
	case g = <-gotc:
	case <-ctxT(t).Done():
		t.Fatal("no PROXY header")
	}
	assert.Equal(t, byte(2), g.h.Version)
	assert.Equal(t, proxyproto.TCPv4, g.h.TransportProtocol)
	assert.Equal(t, local, g.h.SourceAddr.String(), "the client's address and port")
	assert.Equal(t, "10.0.10.25:9000", g.h.DestinationAddr.String(), "the node's private address and the listener port")
	assert.Equal(t, "hello\n", g.line, "the client's bytes follow the header, unchanged")
	mu.Lock()
	assert.True(t, bytes.HasPrefix(toTarget.Bytes(), ppSignature), "the target's interface shows the header first")
	mu.Unlock()
}

// Captures show what crosses each interface: the header on the target's,
// never on the client's; the flow logs of the two legs differ by the
// header's 28 bytes each time it was sent.
func TestProxyProtocolCapturesAndFlowLogs(t *testing.T) {
	noLeaks(t)
	c := lab.Default()
	scenario(c).ProxyProtocol = true
	l := flowLab(t, c, 600*time.Second)
	var mu sync.Mutex
	var fromClient, atTarget bytes.Buffer
	headers := 0
	tap := func(buf *bytes.Buffer, count bool) vnet.TapFunc {
		return func(_ time.Time, _ vnet.Direction, b []byte) {
			ip, _ := wire.ParseIPv4(b)
			tcp, ok := ip.TCP()
			if !ok || ip.Src().String() != "203.0.113.10" {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			buf.Write(tcp.Payload())
			if count && bytes.HasPrefix(tcp.Payload(), ppSignature) {
				headers++
			}
		}
	}
	defer l.Client.Host().PrimaryENI().Tap(tap(&fromClient, false))()
	defer l.Target.ENI().Tap(tap(&atTarget, true))()

	res, err := l.Run(ctxT(t), "echo $SSH_CLIENT")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(res.Stdout, "203.0.113.10 "), res.Stdout)
	require.NoError(t, l.WaitClosed(ctxT(t)))
	mu.Lock()
	assert.False(t, bytes.Contains(fromClient.Bytes(), ppSignature), "the client's interface never shows the header")
	assert.True(t, bytes.HasPrefix(atTarget.Bytes(), ppSignature), "the target's shows it first")
	assert.True(t, bytes.HasPrefix(fromClient.Bytes(), []byte("SSH-2.0-")), "the client's stream starts with its banner")
	assert.Equal(t, fromClient.Bytes()[:8], atTarget.Bytes()[28:36], "and the target's continues with it")
	sent := headers
	mu.Unlock()
	require.GreaterOrEqual(t, sent, 1)

	l.Clock().Advance(600 * time.Second)
	port := res.Local.Port()
	bytesOf := func(eni, prefix string) (pkts, n uint64) {
		for _, r := range l.FlowLog.Records() {
			line := r.Format([]string{"interface-id", "srcaddr", "dstaddr", "srcport", "dstport"})
			if r.InterfaceID == eni && strings.HasPrefix(line, prefix) {
				pkts, n = pkts+r.Packets, n+r.Bytes
			}
		}
		return pkts, n
	}
	node := l.NLB.Nodes()[0].ENI().ID()
	frontPkts, front := bytesOf(node, fmt.Sprintf("%s 203.0.113.10 10.0.10.25 %d 51512", node, port))
	backPkts, back := bytesOf(l.Target.ENI().ID(), fmt.Sprintf("%s 203.0.113.10 10.0.128.108 %d 22", l.Target.ENI().ID(), port))
	require.NotZero(t, front)
	assert.Equal(t, front+uint64(28*sent), back, "the target's leg carries the header's bytes")
	assert.Equal(t, frontPkts, backPkts, "in the same packets: the header rode on the client's first segment")
}

// A 50 MB transfer each way through a Proxy Protocol target group keeps its
// SHA-256, also when the target's link loses the segment that carries the
// header and some later ones: the client's retransmission brings the
// header back, at the same numbers.
func TestProxyProtocolBulkSurvivesLoss(t *testing.T) {
	noLeaks(t)
	const size = 50 << 20
	l := labtest.New(t, ppConfig())
	upload := make(chan []byte, 1)
	var seen atomic.Pointer[proxyproto.Header]
	ppListener(t, l, 9000, func(h *proxyproto.Header, r *bufio.Reader, c net.Conn) {
		seen.Store(h)
		sum := sha256.New()
		if _, err := io.CopyN(sum, r, size); err != nil {
			return
		}
		upload <- sum.Sum(nil)
		io.CopyN(c, rand.NewChaCha8([32]byte{2}), size)
	})

	// The target's link drops the first segment that carries the header,
	// then every 2,000th data segment from the client; the client's link
	// every 2,000th from the target.
	var headerDrops, headerSeen, drops atomic.Int32
	var n, m atomic.Int64
	l.Target.ENI().SetInterceptor(func(p *packet.Packet) bool {
		tcp, ok := p.TCP()
		if !ok || p.Src().String() != "203.0.113.10" || len(tcp.Payload()) == 0 {
			return false
		}
		if bytes.HasPrefix(tcp.Payload(), ppSignature) {
			headerSeen.Add(1)
			if headerDrops.Add(1) == 1 {
				p.Release()
				return true
			}
		}
		if n.Add(1)%2000 == 0 {
			drops.Add(1)
			p.Release()
			return true
		}
		return false
	})
	defer l.Target.ENI().SetInterceptor(nil)
	l.Client.Host().PrimaryENI().SetInterceptor(func(p *packet.Packet) bool {
		if tcp, ok := p.TCP(); ok && len(tcp.Payload()) > 0 && m.Add(1)%2000 == 0 {
			drops.Add(1)
			p.Release()
			return true
		}
		return false
	})
	defer l.Client.Host().PrimaryENI().SetInterceptor(nil)

	// Ten seconds under the race detector on two cores: room to spare.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := l.Client.Dial(ctx, "tcp", "198.51.100.10:9000")
	require.NoError(t, err)
	defer conn.Close()
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	}
	sum := sha256.New()
	_, err = io.CopyN(io.MultiWriter(conn, sum), rand.NewChaCha8([32]byte{1}), size)
	require.NoError(t, err)
	want := sum.Sum(nil)
	down := sha256.New()
	_, err = io.CopyN(down, conn, size)
	require.NoError(t, err)
	wantDown := sha256.New()
	io.CopyN(wantDown, rand.NewChaCha8([32]byte{2}), size)

	assert.Equal(t, want, <-upload, "the upload's SHA-256 at the target")
	assert.Equal(t, wantDown.Sum(nil), down.Sum(nil), "the download's SHA-256 at the client")
	assert.Equal(t, conn.LocalAddr().String(), seen.Load().SourceAddr.String())
	assert.GreaterOrEqual(t, headerSeen.Load(), int32(2), "the header was sent again after its loss")
	assert.NotZero(t, drops.Load(), "later segments were lost too")
	t.Logf("%d MB each way; header sent %d times; %d other segments dropped", size>>20, headerSeen.Load(), drops.Load())
}
