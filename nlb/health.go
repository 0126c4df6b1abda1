package nlb

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/limits"
)

// HealthCheck is a target group's health-check configuration, with the
// names and defaults of CreateTargetGroup for NLB target groups (ELB User
// Guide, "Health checks for Network Load Balancer target groups").
type HealthCheck struct {
	// Protocol is TCP (the default) or HTTP.
	Protocol string
	// Port is "traffic-port" (the default) or a port number.
	Port string
	// Path and Matcher apply to HTTP checks: "/" and "200-399".
	Path    string
	Matcher string
	// IntervalSeconds 5-300 (30); TimeoutSeconds 2-120 (10);
	// HealthyThresholdCount 2-10 (5); UnhealthyThresholdCount 2-10 (2).
	IntervalSeconds         int
	TimeoutSeconds          int
	HealthyThresholdCount   int
	UnhealthyThresholdCount int

	matchLo, matchHi int
}

// WithDefaults returns h with AWS's defaults in the fields left zero, or
// the first setting out of the ranges AWS allows.
func (h HealthCheck) WithDefaults() (HealthCheck, error) {
	err := h.normalize()
	return h, err
}

// normalize fills AWS's defaults and validates the ranges it allows.
func (h *HealthCheck) normalize() error {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if h.Protocol == "" {
		h.Protocol = "TCP"
	}
	h.Protocol = strings.ToUpper(h.Protocol)
	switch h.Protocol {
	case "TCP", "HTTP":
	case "HTTPS":
		return fmt.Errorf("HealthCheckProtocol HTTPS is not in scope yet (TCP and HTTP are)")
	default:
		return fmt.Errorf("HealthCheckProtocol %q: want TCP, HTTP or HTTPS", h.Protocol)
	}
	if h.Port == "" {
		h.Port = "traffic-port"
	}
	if h.Port != "traffic-port" {
		p, err := strconv.Atoi(h.Port)
		if err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("HealthCheckPort %q: want traffic-port or 1-65535", h.Port)
		}
	}
	settings := []struct {
		v    *int
		name string
	}{
		{&h.IntervalSeconds, "HealthCheckIntervalSeconds"},
		{&h.TimeoutSeconds, "HealthCheckTimeoutSeconds"},
		{&h.HealthyThresholdCount, "HealthyThresholdCount"},
		{&h.UnhealthyThresholdCount, "UnhealthyThresholdCount"},
	}
	for _, c := range settings {
		def(c.v, limits.Get(c.name).Default)
	}
	for _, c := range settings {
		if err := limits.Get(c.name).Check(*c.v); err != nil {
			return err
		}
	}
	if h.TimeoutSeconds > h.IntervalSeconds {
		return fmt.Errorf("HealthCheckTimeoutSeconds %d must not exceed HealthCheckIntervalSeconds %d", h.TimeoutSeconds, h.IntervalSeconds)
	}
	if h.Protocol == "HTTP" {
		if h.Path == "" {
			h.Path = "/"
		}
		if !strings.HasPrefix(h.Path, "/") {
			return fmt.Errorf("HealthCheckPath %q must start with /", h.Path)
		}
		if h.Matcher == "" {
			h.Matcher = "200-399"
		}
		lo, hi, err := parseMatcher(h.Matcher)
		if err != nil {
			return err
		}
		h.matchLo, h.matchHi = lo, hi
	}
	return nil
}

// parseMatcher reads "200" or "200-399"; NLB target groups allow 200-599.
func parseMatcher(m string) (int, int, error) {
	a, b, ok := strings.Cut(m, "-")
	if !ok {
		b = a
	}
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || lo < 200 || hi > 599 || lo > hi {
		return 0, 0, fmt.Errorf("Matcher %q: want a code or range within 200-599", m)
	}
	return lo, hi, nil
}

func (h *HealthCheck) interval() time.Duration { return time.Duration(h.IntervalSeconds) * time.Second }
func (h *HealthCheck) timeout() time.Duration  { return time.Duration(h.TimeoutSeconds) * time.Second }

// check is one health check in flight: from one node to one target.
type check struct {
	node      *Node
	target    netip.AddrPort
	local     netip.AddrPort // its own end, once bound
	stalled   bool           // a packet of it was dropped: it can only end by timing out
	connected bool           // its handshake completed: it may wait on the target's answer
	done      bool
	began     time.Time // real time it started, for stuckGuard
}

// checker runs a target group's health checks on the lab clock and lets
// Advance wait for them (see vnet.Clock.AddQuiescer).
type checker struct {
	tg *TargetGroup

	mu       sync.Mutex
	cond     *sync.Cond
	inflight map[*check]bool
	wg       sync.WaitGroup
	ctx      context.Context
	cancel   context.CancelFunc
}

func newChecker(tg *TargetGroup) *checker {
	c := &checker{tg: tg, inflight: map[*check]bool{}}
	c.cond = sync.NewCond(&c.mu)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	tg.net.OnDrop(c.onDrop)
	tg.net.Clock().AddQuiescer(c.quiesce)
	return c
}

// onDrop marks the checks whose packets the fabric dropped as stalled.
func (c *checker) onDrop(e vnet.DropEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ch := range c.inflight {
		// Its own packets only: an earlier check's late SYN to the same
		// target, dropped, says nothing of this one.
		if ch.local.IsValid() && (e.Flow.Src == ch.local && e.Flow.Dst == ch.target || e.Flow.Src == ch.target && e.Flow.Dst == ch.local) {
			ch.stalled = true
			c.cond.Broadcast()
		}
	}
}

// realTimeGuard bounds how long Advance waits for a connected check that
// is neither done nor known to be stalled (a server that accepts and never
// answers). A check that has not connected yet is always waited for: its
// SYN is answered, refused or dropped (which stalls it), however slowly the
// machine runs; moving lab time on without it would start it late.
// stuckGuard bounds even that wait, from the check's start, against a check
// that never progresses: such a check holds up one Advance, not every one.
const (
	realTimeGuard = 2 * time.Second
	stuckGuard    = 60 * time.Second
)

// quiesce returns when every check in flight is done or stalled.
func (c *checker) quiesce() {
	start := time.Now()
	wake := func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	}
	t1 := time.AfterFunc(realTimeGuard, wake)
	defer t1.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		busy, onlyConnected := false, true
		var stuckIn time.Duration // until the first busy check counts as stuck
		for ch := range c.inflight {
			if ch.done || ch.stalled {
				continue
			}
			left := stuckGuard - time.Since(ch.began)
			if left <= 0 {
				continue
			}
			if !busy || left < stuckIn {
				stuckIn = left
			}
			busy = true
			onlyConnected = onlyConnected && ch.connected
		}
		if !busy || onlyConnected && time.Since(start) >= realTimeGuard {
			return
		}
		t2 := time.AfterFunc(stuckIn, wake)
		c.cond.Wait()
		t2.Stop()
	}
}

func (c *checker) stop() {
	c.cancel()
	c.wg.Wait()
}

// round runs one check of t from every node and records the verdict: the
// round passes only if every node's check passed (AWS decides by consensus
// among its checkers; the lab asks all of them to agree, so a security group
// must admit every node).
func (c *checker) round(t *member) {
	tg := c.tg
	hc := tg.healthCheck()
	nodes := tg.nodes()
	if len(nodes) == 0 {
		return
	}
	addr := tg.checkAddr(t, hc)
	tg.mu.Lock()
	t.startRound()
	tg.mu.Unlock()
	var (
		mu     sync.Mutex
		failed string
		left   = len(nodes)
	)
	for _, nd := range nodes {
		ch := &check{node: nd, target: addr, began: time.Now()}
		ctx, cancel := context.WithCancel(c.ctx)
		// The timeout runs on the lab clock and cancels the dial, so a
		// check whose SYN was dropped never waits on real TCP timers. Once
		// cancelled the check ends promptly: Advance waits for it again.
		timer := tg.net.Clock().AfterFunc(hc.timeout(), func() {
			c.mu.Lock()
			ch.stalled = false
			c.mu.Unlock()
			cancel()
		})
		c.mu.Lock()
		c.inflight[ch] = true
		c.wg.Add(1)
		c.mu.Unlock()
		go func() {
			defer c.wg.Done()
			why := c.probe(ctx, ch, addr, hc)
			// The verdict counts at once; only the check's end (which
			// Advance waits for) waits for the close handshake.
			mu.Lock()
			if why != "" && failed == "" {
				failed = why
			}
			left--
			last := left == 0
			mu.Unlock()
			if last && c.ctx.Err() == nil {
				tg.record(t, failed)
			}
			c.awaitClosed(ch)
			timer.Stop()
			cancel()
			c.mu.Lock()
			ch.done = true
			delete(c.inflight, ch)
			c.cond.Broadcast()
			c.mu.Unlock()
		}()
	}
}

// closeGuard bounds, in real time, how long a finished check waits for its
// connection's close handshake.
const closeGuard = 2 * time.Second

// awaitClosed returns once the check's connection has finished closing on
// the node (nothing left of it but TIME-WAIT), so that its last packets
// cross the interfaces before Advance moves lab time on: the same command
// then puts a check's packets in the same flow-log windows, run after run.
func (c *checker) awaitClosed(ch *check) {
	c.mu.Lock()
	local := ch.local
	c.mu.Unlock()
	if !local.IsValid() {
		return
	}
	deadline := time.Now().Add(closeGuard)
	for time.Now().Before(deadline) && c.ctx.Err() == nil {
		open := false
		for _, s := range ch.node.host.Sockets() {
			if s.Local == local && s.Peer == ch.target && s.State != "TIME-WAIT" {
				open = true
				break
			}
		}
		if !open {
			return
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// probe runs one check and returns "" on success or, in words, why it
// failed: an NLB reports every failure as Target.FailedHealthChecks and puts
// the cause in the description (ELB API Reference, "TargetHealth").
func (c *checker) probe(ctx context.Context, ch *check, addr netip.AddrPort, hc HealthCheck) string {
	nd := ch.node
	conn, err := nd.host.DialBound(ctx, addr, func(local netip.AddrPort) {
		c.mu.Lock()
		ch.local = local
		c.mu.Unlock()
	})
	timedOut := func() string {
		return fmt.Sprintf("Health checks failed: no answer within %d s (HealthCheckTimeoutSeconds)", hc.TimeoutSeconds)
	}
	if err != nil {
		if ctx.Err() != nil {
			return timedOut()
		}
		c.mu.Lock()
		bound := ch.local.IsValid()
		c.mu.Unlock()
		if !bound {
			// The node itself could not open the connection (no free
			// ephemeral port): a lab limit, not the target's refusal.
			return "Health checks failed: the node could not open a connection: " + err.Error()
		}
		return "Health checks failed: the connection was refused"
	}
	defer conn.Close()
	c.mu.Lock()
	ch.connected = true
	c.mu.Unlock()
	if c.tg.proxyV2.Load() {
		// Health checks carry the LOCAL form of the header, so a target
		// that parses PPv2 stays healthy.
		if _, err := conn.Write(ppv2Local()); err != nil {
			return "Health checks failed: the connection closed"
		}
	}
	if hc.Protocol == "TCP" {
		return "" // a completed handshake is a pass; AWS then closes
	}
	// HTTP: one request on the connection just made, with the Host header
	// AWS sends (the node's address and the listener port).
	tr := &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) { return conn, nil }, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr.String()+hc.Path, nil)
	if err != nil {
		return "Health checks failed: " + err.Error()
	}
	req.Host = netip.AddrPortFrom(nd.PrivateAddr(), c.tg.listenerPort()).String()
	req.Header.Set("User-Agent", "ELB-HealthChecker/2.0")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		if ctx.Err() != nil {
			return timedOut()
		}
		return "Health checks failed: the target closed the connection without an HTTP response"
	}
	resp.Body.Close()
	if resp.StatusCode < hc.matchLo || resp.StatusCode > hc.matchHi {
		return fmt.Sprintf("Health checks failed with these codes: [%d]", resp.StatusCode)
	}
	return ""
}
