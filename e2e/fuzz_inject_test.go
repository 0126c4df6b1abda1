package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/capture"
)

// FuzzInjectAtClientENI writes raw bytes out of the client's interface, as
// if the client's stack had written them, into the path to the NLB: bad
// header and total lengths, fragments, options, forged sources, every TCP
// flag, UDP and ICMP to the node. fix, when set, makes the checksums right
// first, so that the stacks behind the fabric take the frame seriously.
//
// Invariants, for every input:
//   - Inject returns (the fabric carries a frame synchronously; it must not
//     hang on one);
//   - a frame that is not a whole IPv4 packet (as wellFormed says,
//     independently of package packet) is counted as exactly one malformed
//     drop at the client's interface, and goes nowhere;
//   - any other frame leaves the client's interface (its capture sees it as
//     sent) and its first hop ends, before Inject returns, either at an
//     interface (whose capture sees it arrive) or in a counted drop: the
//     fabric never loses a frame silently;
//   - a frame from outside the VPC that reaches the NLB node is forwarded,
//     answered with an RST, or dropped with a count, never discarded
//     silently (the node's own stack only serves its connections inside
//     the VPC: health checks);
//   - the lab keeps working: every 16th input, a TCP connection through the
//     NLB gets the instance's SSH banner, and every 256th a real SSH session
//     runs `true` (the first input does both).
//
// Every frame the fabric carries on the injecting goroutine is also printed
// by package capture's tcpdump formatter (-vv -X), which must not panic on
// it. The lab is built once per process and shared by every input.
//
//	go test ./e2e -run '^$' -fuzz '^FuzzInjectAtClientENI$' -fuzztime 5m -timeout 10m
func FuzzInjectAtClientENI(f *testing.F) {
	seeds := injectSeeds()
	for _, name := range []string{"syn-listener", "empty", "tcp-flags-all", "icmp-echo-node"} {
		f.Add(seeds[name], false)
	}
	f.Add(seeds["syn-bad-checksums"], true)

	l, err := lab.New(manual(lab.Default()))
	require.NoError(f, err)
	f.Cleanup(func() { l.Close() })
	eni := l.Client.Host().PrimaryENI()
	node := l.NLB.Nodes()[0].ENI().ID()
	w := watchInjections(l)
	var inputs atomic.Int64

	f.Fuzz(func(t *testing.T, frame []byte, fix bool) {
		n := inputs.Add(1)
		if fix {
			frame = slices.Clone(frame)
			fixChecksums(frame)
		}
		malformed := l.Net.DropCount(eni.ID(), vnet.DropMalformed)
		events := w.inject(t, eni, frame)

		if !wellFormed(frame) {
			require.Len(t, events, 1, "a malformed frame is one drop and nothing else: %v", events)
			require.NotNil(t, events[0].drop, "%v", events)
			assert.Equal(t, eni.ID(), events[0].drop.Where)
			assert.Equal(t, vnet.DropMalformed, events[0].drop.Reason)
			assert.Equal(t, malformed+1, l.Net.DropCount(eni.ID(), vnet.DropMalformed), "counted")
		} else {
			assert.Equal(t, malformed, l.Net.DropCount(eni.ID(), vnet.DropMalformed), "a whole IPv4 packet is not malformed")
			require.NotEmpty(t, events, "the client's capture sees the frame leave")
			first := events[0]
			require.Nil(t, first.drop, "the frame leaves the interface before anything else: %v", events)
			assert.Equal(t, eni.ID(), first.eni)
			assert.Equal(t, vnet.Out, first.dir)
			total := int(binary.BigEndian.Uint16(frame[2:4]))
			assert.Equal(t, frame[:total], first.b, "sent as written, up to its TotalLength")
			ended := slices.ContainsFunc(events[1:], func(e injectEvent) bool { return e.drop != nil || e.dir == vnet.In })
			assert.True(t, ended, "the frame's first hop ends at an interface or in a counted drop: %v", events)
			src := netip.AddrFrom4([4]byte(frame[12:16]))
			if at := slices.IndexFunc(events, func(e injectEvent) bool { return e.eni == node && e.dir == vnet.In }); at >= 0 && !l.VPC.CIDR().Contains(src) {
				taken := slices.ContainsFunc(events[at+1:], func(e injectEvent) bool { return e.drop != nil || e.eni == node && e.dir == vnet.Out })
				assert.True(t, taken, "a frame from outside the VPC that reaches the NLB node is forwarded, answered or dropped with a count (the node's stack takes only its own connections' packets): %v", events)
			}
		}

		if n%256 == 0 {
			// Lab time moves on: health checks run, closed flows leave the
			// tables, idle ones are forgotten, and the NLB answers their
			// late packets with RSTs.
			l.Clock().Advance(30 * time.Second)
		}
		if n%16 != 1 {
			return
		}
		// Not after every input: each connection leaves a TIME-WAIT socket
		// on the client for 60 s, and thousands of inputs a second would
		// exhaust its ephemeral ports.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		requireBanner(ctx, t, l)
		if n%256 == 1 {
			res, err := l.Run(ctx, "true")
			require.NoError(t, err, "an SSH session through the NLB after %d inputs", n)
			require.Equal(t, 0, res.ExitStatus, res.Stderr)
		}
	})
}

// requireBanner dials the NLB's listener from the client and reads the
// instance's SSH banner.
func requireBanner(ctx context.Context, t *testing.T, l *lab.Lab) {
	t.Helper()
	c, err := l.Dial(ctx)
	require.NoError(t, err, "a TCP connection through the NLB")
	defer c.Close()
	dl, _ := ctx.Deadline()
	require.NoError(t, c.SetReadDeadline(dl))
	line, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err, "the instance's SSH banner through the NLB")
	assert.True(t, strings.HasPrefix(line, "SSH-2.0-"), "banner %q", line)
}

// injectEvent is one thing that happened to an injected frame on the
// injecting goroutine: it crossed an interface (eni, dir, its bytes), or
// was dropped.
type injectEvent struct {
	eni  string
	dir  vnet.Direction
	b    []byte
	drop *vnet.DropEvent
}

func (e injectEvent) String() string {
	if e.drop != nil {
		return e.drop.String()
	}
	return fmt.Sprintf("%s %s %d bytes", e.eni, e.dir, len(e.b))
}

// injectWatch records what the fabric does on the goroutine that injects a
// frame: the fabric carries a packet synchronously on its sender's
// goroutine, captures and drop watchers included, so what happens there
// is the frame's own fate (and the synchronous replies of the stacks it
// reaches), whatever the rest of the lab does meanwhile.
type injectWatch struct {
	on      atomic.Bool
	gid     atomic.Uint64
	mu      sync.Mutex
	events  []injectEvent
	tcpdump *capture.Formatter
}

func watchInjections(l *lab.Lab) *injectWatch {
	w := &injectWatch{tcpdump: capture.NewFormatter(capture.Options{Verbose: 2, Hex: true, Names: l.Net.NameOf})}
	mine := func() bool { return w.on.Load() && goid() == w.gid.Load() }
	for _, h := range l.Net.Hosts() {
		for _, e := range h.ENIs() {
			id := e.ID()
			e.Tap(func(ts time.Time, dir vnet.Direction, b []byte) {
				if !mine() {
					return
				}
				w.mu.Lock()
				defer w.mu.Unlock()
				w.tcpdump.Format(ts, b)
				w.events = append(w.events, injectEvent{eni: id, dir: dir, b: slices.Clone(b)})
			})
		}
	}
	l.Net.OnDrop(func(d vnet.DropEvent) {
		if !mine() {
			return
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		w.events = append(w.events, injectEvent{drop: &d})
	})
	return w
}

// inject injects frame at eni on a goroutine of its own and returns what
// happened there; it fails t if Inject does not return.
func (w *injectWatch) inject(t *testing.T, eni *vnet.ENI, frame []byte) []injectEvent {
	t.Helper()
	w.mu.Lock()
	w.events = nil
	w.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.gid.Store(goid())
		w.on.Store(true)
		defer w.on.Store(false)
		eni.Inject(frame)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("Inject of %x did not return in 10 s", frame)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.events
}

// goid is the current goroutine's id, from its stack header ("goroutine 7
// [running]:"): the only way to tell, in a capture tap, whether the packet
// is the injected frame's own doing.
func goid() uint64 {
	var buf [64]byte
	s := buf[:runtime.Stack(buf[:], false)]
	s = bytes.TrimPrefix(s, []byte("goroutine "))
	if i := bytes.IndexByte(s, ' '); i > 0 {
		s = s[:i]
	}
	id, _ := strconv.ParseUint(string(s), 10, 64)
	return id
}

// TestInjectSeedCorpusIsCommitted: the files under
// testdata/fuzz/FuzzInjectAtClientENI are injectSeeds, so that plain go test
// runs every hand-built frame. VLAB_WRITE_SEEDS=1 writes them again.
func TestInjectSeedCorpusIsCommitted(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzInjectAtClientENI")
	write := os.Getenv("VLAB_WRITE_SEEDS") != ""
	for name, frame := range injectSeeds() {
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbool(false)\n", frame)
		path := filepath.Join(dir, name)
		if write {
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
			continue
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err, "run with VLAB_WRITE_SEEDS=1 to write the seed corpus")
		assert.Equal(t, want, string(got), name)
	}
}

// The hand-built frames meet the fates the scenario gives them, as the
// fuzz target's watch sees them: a SYN to the listener from a public source
// reaches the instance through the NLB; one with a private, VPC or special
// source is dropped by the internet gateway (anti-spoofing); what has
// nowhere to go is dropped, with the reason.
func TestInjectAtClientENI(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	eni := l.Client.Host().PrimaryENI()
	node, target := l.NLB.Nodes()[0].ENI().ID(), l.Target.ENI().ID()
	w := watchInjections(l)
	seeds := injectSeeds()
	fate := func(name string) (arrived []string, drops []vnet.DropReason) {
		for _, e := range w.inject(t, eni, seeds[name]) {
			switch {
			case e.drop != nil:
				drops = append(drops, e.drop.Reason)
			case e.dir == vnet.In:
				arrived = append(arrived, e.eni)
			}
		}
		return arrived, drops
	}
	for _, name := range []string{"syn-listener", "ip-options-rr", "tcp-flags-synfin"} {
		arrived, _ := fate(name)
		assert.Contains(t, arrived, node, name)
		assert.Contains(t, arrived, target, name+": forwarded to the instance")
	}
	for name, want := range map[string]vnet.DropReason{
		"empty":                vnet.DropMalformed,
		"ihl-4":                vnet.DropMalformed,
		"tcp-header-truncated": vnet.DropMalformed,
		"total-past-frame":     vnet.DropMalformed,
		"tcp-to-instance":      vnet.DropNoRoute,
		"tcp-to-broadcast":     vnet.DropNoRoute,
		"tcp-no-listener":      vnet.DropNoListener,
		"udp-node-dns":         vnet.DropNoListener,
		"icmp-echo-node":       vnet.DropNoListener,
		"tcp-ack-no-flow":      "no-flow",
		"syn-src-node":         vnet.DropSpoofedSource,
		"syn-src-zero":         vnet.DropSpoofedSource,
		"syn-src-broadcast":    vnet.DropSpoofedSource,
	} {
		arrived, drops := fate(name)
		assert.Equal(t, []vnet.DropReason{want}, drops, name)
		switch want {
		case vnet.DropMalformed, vnet.DropNoRoute, vnet.DropSpoofedSource:
			assert.Empty(t, arrived, name)
		case vnet.DropSecurityGroup:
			assert.Equal(t, []string{node}, arrived, name+": forwarded, then refused at the instance")
		case "no-flow":
			assert.Equal(t, []string{node, eni.ID()}, arrived, name+": answered with an RST")
		default:
			assert.Equal(t, []string{node}, arrived, name)
		}
	}
	requireBanner(ctxT(t), t, l)
}
