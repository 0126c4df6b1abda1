package e2e

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/flowlog"
)

const seedPattern = `[version, account, eni, source="203.0.113.10", destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action, flowlogstatus]`

// flowLab builds the seed's lab with flow logs on every VPC interface, runs
// the seed's session and closes the first window.
func flowLab(t *testing.T, c lab.Config, interval time.Duration) *lab.Lab {
	t.Helper()
	c.ManualClock = true
	c.FlowLogs = &flowlog.Config{Interval: interval}
	return labtest.New(t, c)
}

func linesOf(l *lab.Lab, eni string, pattern string) []string {
	p, err := flowlog.ParsePattern(pattern)
	if err != nil {
		panic(err)
	}
	var out []string
	for _, r := range l.FlowLog.Records() {
		line := r.Format(flowlog.DefaultFields)
		if (eni == "" || r.InterfaceID == eni) && p.Match(line) {
			out = append(out, line)
		}
	}
	return out
}

// O6: the instance's ENI records the client's traffic as srcaddr
// 203.0.113.10, dstport 22, protocol 6, ACCEPT, and the replies the other
// way; the seed's pattern selects exactly the client's records, which the
// health checks outnumber without it.
func TestFlowLogsOnTheInstance(t *testing.T) {
	noLeaks(t)
	l := flowLab(t, lab.Default(), 600*time.Second)
	res, err := l.Run(ctxT(t), "true")
	require.NoError(t, err)
	require.NoError(t, l.WaitClosed(ctxT(t)))
	l.Clock().Advance(600 * time.Second)
	eni := l.Target.ENI().ID()
	port := res.Local.Port()
	in := fmt.Sprintf(`2 123456789012 %s 203.0.113.10 10.0.128.108 %d 22 6 `, eni, port)
	out := fmt.Sprintf(`2 123456789012 %s 10.0.128.108 203.0.113.10 22 %d 6 `, eni, port)
	all := linesOf(l, eni, "")
	var sawIn, sawOut bool
	for _, ln := range all {
		sawIn = sawIn || (strings.HasPrefix(ln, in) && strings.HasSuffix(ln, " ACCEPT OK"))
		sawOut = sawOut || (strings.HasPrefix(ln, out) && strings.HasSuffix(ln, " ACCEPT OK"))
	}
	assert.True(t, sawIn, "the client's record:\n%s", strings.Join(all, "\n"))
	assert.True(t, sawOut, "the reply record")

	seed := linesOf(l, eni, seedPattern)
	require.Len(t, seed, 1)
	assert.True(t, strings.HasPrefix(seed[0], in), seed[0])
	health := linesOf(l, eni, `[version, account, eni, source="10.0.10.25", ...]`)
	assert.Greater(t, len(health), len(seed), "without the source filter the health checks bury the client")

	// The node's ENI logs both legs of the connection: what arrives with
	// the client's address as srcaddr, what leaves toward the instance
	// with the node's own (VPC User Guide, "Flow log records").
	node := l.NLB.Nodes()[0].ENI().ID()
	nodeLines := strings.Join(linesOf(l, node, ""), "\n")
	assert.Contains(t, nodeLines, fmt.Sprintf(" 203.0.113.10 10.0.10.25 %d 51512 6 ", port), "frontend leg")
	assert.Contains(t, nodeLines, fmt.Sprintf(" 10.0.10.25 10.0.128.108 %d 22 6 ", port), "backend leg")
}

// With no rule for the client: REJECT at the instance's ENI, ACCEPT at the
// node's, and AWS's "rejected SSH" pattern finds them.
func TestFlowLogsRejectAtTheInstance(t *testing.T) {
	noLeaks(t)
	c := lab.Default()
	scenario(c).NoSGClientRule = true
	l := flowLab(t, c, 60*time.Second)
	assertDialDropped(t, l, "198.51.100.10:51512", l.Target.ENI().ID(), vnet.DropSecurityGroup)
	l.Clock().Advance(60 * time.Second)
	rejected := linesOf(l, "", `[version, account, eni, source, destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action="REJECT", flowlogstatus]`)
	require.NotEmpty(t, rejected)
	for _, ln := range rejected {
		assert.Contains(t, ln, l.Target.ENI().ID()+" 203.0.113.10 10.0.128.108 ")
	}
	accepted := linesOf(l, l.NLB.Nodes()[0].ENI().ID(), `[v, a, eni, source, destination, srcport, destport, protocol="6", packets, bytes, start, end, action="ACCEPT", status]`)
	legs := strings.Join(accepted, "\n")
	assert.Contains(t, legs, " 203.0.113.10 10.0.10.25 ", "the frontend leg accepted at the node")
	assert.Contains(t, legs, " 10.0.10.25 10.0.128.108 ", "the backend leg accepted at the node (its own address as srcaddr)")
}

// packets and bytes equal what the capture tap counted for the flow in the
// window.
func TestFlowLogCountsMatchTheCapture(t *testing.T) {
	noLeaks(t)
	l := flowLab(t, lab.Default(), 600*time.Second)
	type key struct{ src, dst string }
	var mu sync.Mutex
	counted := map[key][2]uint64{}
	stop := l.Target.ENI().Tap(func(_ time.Time, _ vnet.Direction, b []byte) {
		ihl := int(b[0]&0x0f) * 4
		k := key{
			fmt.Sprintf("%s:%d", netip.AddrFrom4([4]byte(b[12:16])), binary.BigEndian.Uint16(b[ihl:])),
			fmt.Sprintf("%s:%d", netip.AddrFrom4([4]byte(b[16:20])), binary.BigEndian.Uint16(b[ihl+2:])),
		}
		mu.Lock()
		c := counted[k]
		counted[k] = [2]uint64{c[0] + 1, c[1] + uint64(binary.BigEndian.Uint16(b[2:4]))}
		mu.Unlock()
	})
	defer stop()
	_, err := l.Run(ctxT(t), "hostname; whoami")
	require.NoError(t, err)
	require.NoError(t, l.WaitClosed(ctxT(t)))
	l.Clock().Advance(600 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	checked := 0
	for _, r := range l.FlowLog.Records() {
		if r.InterfaceID != l.Target.ENI().ID() || r.LogStatus != "OK" || (r.Src.String() != "203.0.113.10" && r.Dst.String() != "203.0.113.10") {
			continue
		}
		c := counted[key{fmt.Sprintf("%s:%d", r.Src, r.SrcPort), fmt.Sprintf("%s:%d", r.Dst, r.DstPort)}]
		assert.Equal(t, c[0], r.Packets, r.Format(flowlog.DefaultFields))
		assert.Equal(t, c[1], r.Bytes, r.Format(flowlog.DefaultFields))
		checked++
	}
	assert.Equal(t, 2, checked, "both directions of the session")
}

// An idle interface logs NODATA; 60 s windows split a long session into
// several records.
func TestNodataAndWindows(t *testing.T) {
	noLeaks(t)
	c := lab.Default()
	c.ManualClock = true
	l := labtest.New(t, c)
	idle, err := l.Net.NewHost("idle")
	require.NoError(t, err)
	eni, err := idle.AttachSubnet(l.VPC.Subnet("vlab-private-1c"), netip.MustParseAddr("10.0.144.200"), vnet.ENIOptions{})
	require.NoError(t, err)
	fl, err := l.Net.EnableFlowLogs(flowlog.Config{Interval: 60 * time.Second, Fields: []string{"interface-id", "srcaddr", "dstport", "packets", "start", "end", "action", "log-status", "tcp-flags", "flow-direction", "traffic-path", "instance-id"}}, []*vnet.ENI{eni, l.Target.ENI()})
	require.NoError(t, err)

	cl, err := l.SSH(ctxT(t))
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		runOn(t, cl, "true")
		l.Clock().Advance(60 * time.Second)
	}
	cl.Close()
	lines := fl.Lines()
	start := vnet.LabEpoch.Unix()
	assert.Contains(t, lines, fmt.Sprintf("%s - - - %d %d - NODATA - - - -", eni.ID(), start, start+60))
	var clientWindows []string
	for _, ln := range lines {
		if strings.HasPrefix(ln, l.Target.ENI().ID()+" 203.0.113.10 22 ") {
			clientWindows = append(clientWindows, ln)
			assert.True(t, strings.HasSuffix(ln, " ingress - "+l.Target.ID()), ln)
		}
	}
	assert.GreaterOrEqual(t, len(clientWindows), 3, "one record per window: %v", clientWindows)
	for _, ln := range lines {
		if strings.HasPrefix(ln, l.Target.ENI().ID()+" 10.0.128.108 ") && strings.Contains(ln, " egress ") {
			assert.Regexp(t, ` egress [12] i-0`, ln, "traffic-path: 1 inside the VPC, 2 through the gateway")
		}
	}
	_, err = flowlog.New(nil, flowlog.Config{Interval: 30 * time.Second}, nil)
	assert.ErrorContains(t, err, "must be 60 or 600 seconds")
	_, err = flowlog.ParseFields("srcaddr bogus")
	assert.ErrorContains(t, err, `unknown field "bogus"`)
}

// Health checks land in the same flow-log windows run after run: lab time
// does not move on while a check's connection is still closing, so the same
// lab gives the same records in the same windows. Left out: the node's
// ephemeral port (the stack's own random pick) and the packet counts, which
// race: the SSH server speaks first, and its banner reaches the node before
// or after the check's close (4 packets then, or 6 with the node's RST).
func TestHealthCheckFlowLogsRepeatRunAfterRun(t *testing.T) {
	if raceEnabled {
		// Slowed 25 times, a target's stack may retransmit its FIN past
		// the node's RST a lab second later: a late record of its own.
		t.Skip("the race detector slows the stacks enough for TCP retransmissions")
	}
	noLeaks(t)
	fields := []string{"interface-id", "srcaddr", "dstaddr", "protocol", "start", "end", "action", "log-status"}
	run := func() []string {
		l := flowLab(t, lab.Default(), time.Minute)
		l.Clock().Advance(10 * time.Minute) // 20 rounds of checks, 10 windows closed
		var lines []string
		for _, r := range l.FlowLog.Records() {
			lines = append(lines, r.Format(fields))
		}
		l.Close()
		slices.Sort(lines)
		return lines
	}
	first := run()
	require.Greater(t, len(first), 40, "20 rounds of checks, at two interfaces, both ways")
	for range 2 {
		assert.Equal(t, first, run())
	}
}
