package lab_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/vnet/flowlog"
)

// Close stops everything the lab started: stacks, servers, sessions,
// forwarders.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t)
	l, err := lab.New(lab.Default())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// A finished session, a session left open, a listener on the target
	// and a loopback forward with a connection in flight.
	_, err = l.Run(ctx, "true")
	require.NoError(t, err)
	open, err := l.SSH(ctx)
	require.NoError(t, err)
	s, err := open.NewSession()
	require.NoError(t, err)
	require.NoError(t, s.Shell())
	ln, err := l.Target.Listen("tcp", ":8080")
	require.NoError(t, err)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	fw := l.Client.Forward(hl, l.Endpoint(), nil)
	hc, err := net.Dial("tcp", fw.Addr().String())
	require.NoError(t, err)
	buf := make([]byte, 7)
	_, err = hc.Read(buf) // the instance's SSH version line, through the forward
	require.NoError(t, err)
	assert.Equal(t, "SSH-2.0", string(buf))

	require.NoError(t, fw.Close())
	hc.Close()
	open.Close()
	require.NoError(t, l.Close())
}

func TestDefaultIsTheReferenceScenario(t *testing.T) {
	l := labtest.New(t, lab.Default())
	assert.Equal(t, "198.51.100.10:51512", l.Endpoint().String())
	assert.Equal(t, "10.0.128.108", l.Target.Addr().String())
	assert.Equal(t, "ip-10-0-128-108", l.Target.Hostname())
	assert.Equal(t, "203.0.113.10", l.Client.Addr().String())
	nodes := l.NLB.Nodes()
	require.Len(t, nodes, 1)
	assert.Equal(t, "10.0.10.25", nodes[0].PrivateAddr().String())
	assert.Equal(t, "ap-northeast-1a", nodes[0].Zone())
	assert.Regexp(t, `^ELB net/vlab-nlb/[0-9a-f]{16}$`, nodes[0].ENI().Description())
	assert.Regexp(t, `^eni-0[0-9a-f]{16}$`, l.Target.ENI().ID())
	assert.Regexp(t, `^i-0[0-9a-f]{16}$`, l.Target.ID())
	h, err := l.Host("ec2")
	require.NoError(t, err)
	assert.Equal(t, l.Target.Host(), h)
	_, err = l.Host("nope")
	assert.ErrorContains(t, err, `host "nope": no such host`)

	// The same seed gives the same ids.
	l2 := labtest.New(t, lab.Default())
	assert.Equal(t, l.Target.ENI().ID(), l2.Target.ENI().ID())
	assert.Equal(t, l.NLB.ARN(), l2.NLB.ARN())
	c := lab.Default()
	c.Seed = 2
	l3 := labtest.New(t, c)
	assert.NotEqual(t, l.Target.ENI().ID(), l3.Target.ENI().ID())
}

func TestConfigErrorsNameTheField(t *testing.T) {
	c := lab.Default()
	scenario(c).Zones = []string{"1a", "1b"}
	_, err := lab.New(c)
	assert.ErrorContains(t, err, `zones: "1b" is not a zone of the lab`)
	c = lab.Default()
	scenario(c).Targets = 1000
	_, err = lab.New(c)
	assert.ErrorContains(t, err, "targets: 1000 is out of range")
}

func TestTwoZonesSpreadTargets(t *testing.T) {
	c := lab.Default()
	scenario(c).Zones = []string{"1a", "1c"}
	scenario(c).Targets = 3
	l := labtest.New(t, c)
	var addrs []string
	for _, in := range l.Targets {
		addrs = append(addrs, in.Addr().String())
	}
	assert.Equal(t, []string{"10.0.128.108", "10.0.144.108", "10.0.128.109"}, addrs)
	require.Len(t, l.NLB.Nodes(), 2)
	assert.Equal(t, "198.51.100.11", l.NLB.Nodes()[1].PublicAddr().String())
	assert.Equal(t, "nlb-1c", l.NLB.Nodes()[1].Host().Name())
}

// Close also stops what the optional parts start: pcap writers, flow logs,
// the NAT gateway, a second zone.
func TestCloseLeavesNoGoroutineWithEverything(t *testing.T) {
	defer goleak.VerifyNone(t)
	c := lab.Default()
	scenario(c).Zones = []string{"1a", "1c"}
	scenario(c).Targets = 2
	scenario(c).TargetType = "ip"
	scenario(c).ProxyProtocol = true
	scenario(c).NATGateway = true
	c.PcapDir = t.TempDir()
	c.FlowLogs = &flowlog.Config{Interval: 60 * time.Second}
	l, err := lab.New(c)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := l.Run(ctx, "curl -s http://192.0.2.80/")
	require.NoError(t, err)
	assert.Contains(t, res.Stdout, "198.51.100.30")
	open, err := l.SSH(ctx)
	require.NoError(t, err)
	defer open.Close()
	require.NoError(t, l.Close())
}

// failed is a testing.TB whose test counts as failed, to see what NewT
// keeps.
type failed struct {
	*testing.T
	logs []string
}

func (f *failed) Failed() bool { return true }
func (f *failed) Logf(format string, args ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}

// When a test fails, NewT keeps the pcap files of every interface and
// says where.
func TestNewTKeepsCapturesOfAFailedTest(t *testing.T) {
	var tb *failed
	t.Run("inner", func(t *testing.T) {
		tb = &failed{T: t}
		l := labtest.New(tb, lab.Default())
		_, err := l.Run(context.Background(), "true")
		require.NoError(t, err)
	})
	const kept = "vlab: the captures of every interface are kept in "
	require.NotEmpty(t, tb.logs)
	last := tb.logs[len(tb.logs)-1]
	require.True(t, strings.HasPrefix(last, kept), last)
	dir := strings.TrimPrefix(last, kept)
	defer os.RemoveAll(dir)
	files, err := filepath.Glob(filepath.Join(dir, "ip-10-0-128-108-eni-*.pcap"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	st, err := os.Stat(files[0])
	require.NoError(t, err)
	assert.Greater(t, st.Size(), int64(24), "more than the pcap header")
}
