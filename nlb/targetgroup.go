package nlb

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/limits"
	"github.com/vlab-sim/vlab/vnet/wire"
)

// Target types (ELB User Guide, "Target groups for your Network Load
// Balancers"): instance targets, by their instance's ENI, and ip targets,
// by address.
const (
	TargetTypeInstance = "instance"
	TargetTypeIP       = "ip"
)

// TargetGroupConfig describes a target group.
type TargetGroupConfig struct {
	Name        string
	Protocol    string // TCP
	Port        uint16 // the port targets receive traffic on
	TargetType  string // instance (the default)
	VPC         *vnet.VPC
	HealthCheck HealthCheck
	// Attributes by their AWS keys; unset keys keep AWS's defaults.
	Attributes map[string]string
}

// Target group attributes the lab supports, with AWS's defaults (ELB User
// Guide, "Edit target group attributes").
const (
	AttrDeregistrationDelay     = "deregistration_delay.timeout_seconds"
	AttrUnhealthyTermination    = "target_health_state.unhealthy.connection_termination.enabled"
	AttrPreserveClientIP        = "preserve_client_ip.enabled"
	AttrProxyProtocolV2         = "proxy_protocol_v2.enabled"
	AttrDeregistrationTerminate = "deregistration_delay.connection_termination.enabled"
	AttrUnhealthyDraining       = "target_health_state.unhealthy.draining_interval_seconds"
	AttrStickiness              = "stickiness.enabled"
	AttrStickinessType          = "stickiness.type"
	// AttrCrossZone is the load balancer's attribute and the target
	// group's override (true, false or use_load_balancer_configuration).
	AttrCrossZone = "load_balancing.cross_zone.enabled"
)

// TargetGroup routes flows to registered targets.
type TargetGroup struct {
	net  *vnet.Network
	id   string
	cfg  TargetGroupConfig
	seed uint64

	checker *checker

	mu        sync.RWMutex
	members   []*member
	ids       []uint64 // rendezvous ids, parallel to members
	attrs     map[string]string
	lbs       []*LoadBalancer
	port      uint16 // the listener's port (HTTP checks' Host header)
	watchers  []func(HealthChange)
	closed    bool
	terminate atomic.Bool // AttrUnhealthyTermination
	preserve  atomic.Bool // AttrPreserveClientIP
	proxyV2   atomic.Bool // AttrProxyProtocolV2
	healthy   atomic.Int32
}

// Target is a registered target.
type Target struct {
	// ID is the instance id (i-…) of an instance target, the address of an
	// ip target.
	ID string
	// ENI is the interface traffic goes to: for an instance target, its
	// primary ENI's primary private address (ELB User Guide, "Register
	// targets"). Not used for ip targets.
	ENI *vnet.ENI
	// IP is an ip target's address.
	IP netip.Addr
	// Port overrides the target group's port when not zero.
	Port uint16
}

// NewTargetGroup creates an empty target group.
func NewTargetGroup(n *vnet.Network, c TargetGroupConfig) (*TargetGroup, error) {
	if c.Name == "" {
		return nil, fmt.Errorf("target group: Name is required")
	}
	if c.Protocol == "" {
		c.Protocol = "TCP"
	}
	if c.Protocol != "TCP" {
		return nil, fmt.Errorf("target group %s: Protocol %q: only TCP is in scope (UDP, TCP_UDP, TLS and QUIC are not yet)", c.Name, c.Protocol)
	}
	if c.Port == 0 {
		return nil, fmt.Errorf("target group %s: Port must be 1-65535", c.Name)
	}
	if c.TargetType == "" {
		c.TargetType = TargetTypeInstance
	}
	if c.TargetType != TargetTypeInstance && c.TargetType != TargetTypeIP {
		return nil, fmt.Errorf("target group %s: TargetType %q: instance and ip are in scope (alb and lambda are not)", c.Name, c.TargetType)
	}
	if c.VPC == nil {
		return nil, fmt.Errorf("target group %s: VpcId is required", c.Name)
	}
	if err := c.HealthCheck.normalize(); err != nil {
		return nil, fmt.Errorf("target group %s: %w", c.Name, err)
	}
	h := fnv.New64a()
	h.Write([]byte(c.Name))
	// Client IP preservation: on by default for instance targets, off for
	// ip targets with TCP (ELB User Guide, "Target group attributes").
	cip := c.TargetType == TargetTypeInstance
	// Every attribute starts at AWS's default (limits.Attributes).
	attrs := map[string]string{}
	for _, a := range limits.Of(limits.TargetGroup) {
		attrs[a.Key] = a.Default
	}
	attrs[AttrPreserveClientIP] = strconv.FormatBool(cip)
	tg := &TargetGroup{net: n, id: n.IDs().Hex("targetgroup", 16), cfg: c, seed: h.Sum64(), attrs: attrs}
	tg.terminate.Store(true)
	tg.preserve.Store(cip)
	for k, v := range c.Attributes {
		if err := tg.SetAttribute(k, v); err != nil {
			return nil, err
		}
	}
	if tg.terminate.Load() && tg.attrs[AttrUnhealthyDraining] != "0" {
		return nil, fmt.Errorf("target group %s: %s needs %s false (AWS allows a draining interval only without termination)", c.Name, AttrUnhealthyDraining, AttrUnhealthyTermination)
	}
	tg.checker = newChecker(tg)
	return tg, nil
}

// Name returns the target group's name.
func (tg *TargetGroup) Name() string { return tg.cfg.Name }

// Port returns the target group's port.
func (tg *TargetGroup) Port() uint16 { return tg.cfg.Port }

// Protocol returns the target group's protocol.
func (tg *TargetGroup) Protocol() string { return tg.cfg.Protocol }

// TargetType returns instance or ip.
func (tg *TargetGroup) TargetType() string { return tg.cfg.TargetType }

// VPC returns the target group's VPC.
func (tg *TargetGroup) VPC() *vnet.VPC { return tg.cfg.VPC }

// HealthCheck returns the health-check settings, defaults filled in.
func (tg *TargetGroup) HealthCheck() HealthCheck { return tg.healthCheck() }

func (tg *TargetGroup) healthCheck() HealthCheck {
	tg.mu.RLock()
	defer tg.mu.RUnlock()
	return tg.cfg.HealthCheck
}

// ARN returns the target group's ARN.
func (tg *TargetGroup) ARN() string {
	return fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s", tg.net.Region(), tg.net.AccountID(), tg.cfg.Name, tg.id)
}

// Attributes returns the target group's attributes by AWS key.
func (tg *TargetGroup) Attributes() map[string]string {
	tg.mu.RLock()
	defer tg.mu.RUnlock()
	out := map[string]string{}
	for k, v := range tg.attrs {
		out[k] = v
	}
	return out
}

// SetAttribute sets one attribute by its AWS key, validating its value
// against limits.Attributes; a refused one is a *limits.AttributeError.
func (tg *TargetGroup) SetAttribute(key, value string) error {
	value, err := limits.Check(limits.TargetGroup, tg.cfg.Name, key, value)
	if err != nil {
		return err
	}
	switch key {
	case AttrUnhealthyTermination:
		tg.terminate.Store(value == "true")
	case AttrUnhealthyDraining:
		if value != "0" && tg.terminate.Load() && tg.checker != nil {
			return fmt.Errorf("target group %s: %s needs %s false (AWS allows a draining interval only without termination)", tg.cfg.Name, key, AttrUnhealthyTermination)
		}
	case AttrPreserveClientIP:
		tg.preserve.Store(value == "true")
	case AttrProxyProtocolV2:
		tg.proxyV2.Store(value == "true")
	}
	tg.mu.Lock()
	tg.attrs[key] = value
	tg.mu.Unlock()
	return nil
}

// attach records that a listener of lb forwards to the group: health
// checks start from lb's nodes.
func (tg *TargetGroup) attach(lb *LoadBalancer, port uint16) {
	tg.mu.Lock()
	first := len(tg.lbs) == 0
	tg.lbs = append(tg.lbs, lb)
	if first {
		tg.resumeLocked()
	}
	tg.port = port
	members := append([]*member(nil), tg.members...)
	tg.mu.Unlock()
	if first {
		for _, m := range members {
			tg.startChecks(m)
		}
	}
}

// otherLoadBalancer returns a load balancer other than lb that the group
// is attached to, or nil.
func (tg *TargetGroup) otherLoadBalancer(lb *LoadBalancer) *LoadBalancer {
	tg.mu.RLock()
	defer tg.mu.RUnlock()
	for _, o := range tg.lbs {
		if o != lb {
			return o
		}
	}
	return nil
}

func (tg *TargetGroup) nodes() []*Node {
	tg.mu.RLock()
	defer tg.mu.RUnlock()
	var out []*Node
	for _, lb := range tg.lbs {
		out = append(out, lb.nodes...)
	}
	return out
}

func (tg *TargetGroup) listenerPort() uint16 {
	tg.mu.RLock()
	defer tg.mu.RUnlock()
	return tg.port
}

func (tg *TargetGroup) checkAddr(m *member, hc HealthCheck) netip.AddrPort {
	port := m.addr.Port()
	if hc.Port != "traffic-port" {
		p, _ := strconv.Atoi(hc.Port)
		port = uint16(p)
	}
	return netip.AddrPortFrom(m.addr.Addr(), port)
}

// Register adds a target. The same instance may be registered again on
// another port. It starts in state initial.
func (tg *TargetGroup) Register(t Target) error {
	var ip netip.Addr
	if tg.cfg.TargetType == TargetTypeIP {
		ip = t.IP
		if !ip.IsValid() || !ip.Is4() {
			return fmt.Errorf("target group %s: an ip target needs an IPv4 address", tg.cfg.Name)
		}
		// ELB User Guide, "Target type": outside the VPC, only private
		// ranges.
		if !tg.cfg.VPC.CIDR().Contains(ip) && !limits.IsPrivate(ip) {
			return fmt.Errorf("target group %s: target %s: an ip target must be in the VPC (%s) or in 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10; public addresses are refused", tg.cfg.Name, ip, tg.cfg.VPC.CIDR())
		}
		t.ID, t.ENI = ip.String(), nil
	} else {
		if t.ENI == nil {
			return fmt.Errorf("target group %s: target %s has no network interface", tg.cfg.Name, t.ID)
		}
		if s := t.ENI.Subnet(); s == nil || s.VPC() != tg.cfg.VPC {
			return fmt.Errorf("target group %s: target %s (%s) is not in the target group's VPC %s", tg.cfg.Name, t.ID, t.ENI.PrivateAddr(), tg.cfg.VPC.ID())
		}
		ip = t.ENI.PrivateAddr()
	}
	port := t.Port
	if port == 0 {
		port = tg.cfg.Port
	}
	addr := netip.AddrPortFrom(ip, port)
	tg.mu.Lock()
	for i, o := range tg.members {
		if o.addr != addr {
			continue
		}
		if o.state() == StateDraining {
			// Registered again while draining: back in service, its
			// checks start over (as AWS does: re-registering a draining
			// target returns it to the group); the pending removal finds
			// it no longer draining and leaves it.
			o.passes, o.fails, o.checked, o.restarted = 0, 0, false, false
			o.cause.Store(nil)
			if len(tg.lbs) == 0 {
				// No listener forwards to the group: unused, unchecked,
				// until attach starts its checks.
				tg.setLocked(o, StateUnused, ReasonNotInUse)
				tg.mu.Unlock()
				return nil
			}
			tg.setLocked(o, StateInitial, ReasonRegistrationInProgress)
			tg.mu.Unlock()
			tg.startChecks(o)
			return nil
		}
		if o.state() != StateUnused {
			tg.mu.Unlock()
			return fmt.Errorf("target group %s: target %s port %d is already registered", tg.cfg.Name, t.ID, port)
		}
		// Unused in a zone not enabled: registering it again starts it
		// afresh.
		tg.members = append(append([]*member(nil), tg.members[:i]...), tg.members[i+1:]...)
		tg.ids = append(append([]uint64(nil), tg.ids[:i]...), tg.ids[i+1:]...)
		break
	}
	m := &member{Target: t, addr: addr, zone: tg.zoneOf(addr.Addr())}
	m.Target.Port = port
	m.setState(StateInitial, ReasonRegistrationInProgress)
	h := fnv.New64a()
	h.Write([]byte(addr.String()))
	tg.members = append(append([]*member(nil), tg.members...), m)
	tg.ids = append(append([]uint64(nil), tg.ids...), h.Sum64())
	inUse := len(tg.lbs) > 0
	if !inUse {
		// No listener forwards to the group: unused until one does (ELB
		// API Reference, "TargetHealth": Target.NotInUse).
		tg.setLocked(m, StateUnused, ReasonNotInUse)
	}
	tg.mu.Unlock()
	if inUse {
		tg.startChecks(m)
	}
	return nil
}

// Deregister starts deregistering the target with id on port (0: the
// group's port): it goes draining, takes no new flows while its established
// flows continue, and after the deregistration delay is unused
// (Target.NotRegistered); with
// deregistration_delay.connection_termination.enabled its remaining flows
// are then reset.
func (tg *TargetGroup) Deregister(id string, port uint16) error {
	if port == 0 {
		port = tg.cfg.Port
	}
	tg.mu.Lock()
	var m *member
	for _, o := range tg.members {
		if o.ID == id && o.addr.Port() == port {
			m = o
		}
	}
	if m == nil || m.state() == StateDraining || m.state() == StateUnused && !m.invalidState() {
		tg.mu.Unlock()
		return fmt.Errorf("target group %s: target %s port %d is not registered", tg.cfg.Name, id, port)
	}
	delay, _ := strconv.Atoi(tg.attrs[AttrDeregistrationDelay])
	if m.round != nil {
		m.round.Stop()
	}
	tg.setLocked(m, StateDraining, ReasonDeregistrationInProgress)
	m.drainGen++
	gen := m.drainGen
	tg.mu.Unlock()
	tg.net.Clock().AfterFunc(timeSeconds(delay), func() { tg.remove(m, gen) })
	return nil
}

// remove completes the drain gen of m: a later Deregister (after m was
// registered again) has its own delay.
func (tg *TargetGroup) remove(m *member, gen uint64) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if m.state() != StateDraining || m.drainGen != gen {
		return
	}
	m.terminated.Store(tg.attrs[AttrDeregistrationTerminate] == "true")
	tg.setLocked(m, StateUnused, ReasonNotRegistered)
	// The group forgets it (flows still holding m see it terminated);
	// HealthOf answers Target.NotRegistered for it from then on.
	for i, o := range tg.members {
		if o == m {
			tg.members = append(append([]*member(nil), tg.members[:i]...), tg.members[i+1:]...)
			tg.ids = append(append([]uint64(nil), tg.ids[:i]...), tg.ids[i+1:]...)
			break
		}
	}
	tg.recountLocked()
}

// Targets returns the registered targets: those unused in a zone not
// enabled included, those whose deregistration has completed not.
func (tg *TargetGroup) Targets() []Target {
	tg.mu.RLock()
	defer tg.mu.RUnlock()
	out := make([]Target, 0, len(tg.members))
	for _, m := range tg.members {
		out = append(out, m.Target)
	}
	return out
}

// startChecks runs m's first health check now and one every interval.
func (tg *TargetGroup) startChecks(m *member) { tg.startChecksIn(m, 0) }

// startChecksIn runs m's first health check after first, then one every
// interval.
func (tg *TargetGroup) startChecksIn(m *member, first time.Duration) {
	// A target in an Availability Zone no load balancer of the group has
	// enabled is unused: not checked, sent nothing, cross-zone or not
	// (ELB API Reference, "TargetHealth": Target.NotInUse).
	tg.mu.Lock()
	if m.zone != "" && m.zone != "all" && !tg.zoneEnabledLocked(m.zone) {
		cause := "Target is in an Availability Zone that is not enabled for the load balancer"
		m.cause.Store(&cause)
		tg.setLocked(m, StateUnused, ReasonNotInUse)
		tg.mu.Unlock()
		return
	}
	// One loop per member: an older one ends at its next tick.
	if m.round != nil {
		m.round.Stop()
	}
	m.checkGen++
	gen := m.checkGen
	tg.mu.Unlock()
	var tick func()
	tick = func() {
		tg.mu.Lock()
		if tg.closed || m.checkGen != gen || m.state() == StateDraining || m.state() == StateUnused && !m.invalidState() {
			tg.mu.Unlock()
			return
		}
		m.round = tg.net.Clock().AfterFunc(tg.cfg.HealthCheck.interval(), tick)
		stopped := tg.followPowerLocked(m)
		tg.mu.Unlock()
		if !stopped {
			tg.checker.round(m)
		}
	}
	tg.mu.Lock()
	m.round = tg.net.Clock().AfterFunc(first, tick)
	tg.mu.Unlock()
}

// zoneEnabledLocked reports whether a load balancer of the group has a node
// in zone.
func (tg *TargetGroup) zoneEnabledLocked(zone string) bool {
	for _, lb := range tg.lbs {
		for _, nd := range lb.nodes {
			if nd.zone == zone {
				return true
			}
		}
	}
	return false
}

// pick chooses the target of a new flow arriving at a node in zone: among
// the targets the node may use (its zone's, unless cross-zone load
// balancing is on), a healthy one by flow hash or, when none is healthy,
// any of them that is still registered (the NLB fails open, per zone; ELB
// User Guide, "Health checks" and "Cross-zone load balancing"). With
// stickiness the hash covers the client's address only.
func (tg *TargetGroup) pick(k wire.Flow, zone string, crossZone bool) (*member, bool) {
	tg.mu.RLock()
	defer tg.mu.RUnlock()
	h := flowHash(k, tg.seed, tg.attrs[AttrStickiness] == "true")
	choose := func(healthyOnly bool) int {
		return rendezvous(h, tg.ids, func(i int) bool {
			m := tg.members[i]
			s := m.state()
			return s != StateDraining && s != StateUnused && (!healthyOnly || s == StateHealthy) && (crossZone || m.inZone(zone))
		})
	}
	best := choose(true)
	if best < 0 {
		best = choose(false)
	}
	if best < 0 {
		return nil, false
	}
	return tg.members[best], true
}

// CrossZone reports whether lb's nodes may send this group's flows to any
// zone: the group's attribute, or the load balancer's when it says
// use_load_balancer_configuration.
func (tg *TargetGroup) CrossZone(lb *LoadBalancer) bool {
	tg.mu.RLock()
	v := tg.attrs[AttrCrossZone]
	tg.mu.RUnlock()
	if v == "use_load_balancer_configuration" {
		return lb.crossZone.Load()
	}
	return v == "true"
}

// healthyIn reports whether a target in zone (any zone when zone is "") is
// healthy.
func (tg *TargetGroup) healthyIn(zone string) bool {
	tg.mu.RLock()
	defer tg.mu.RUnlock()
	for _, m := range tg.members {
		if m.state() == StateHealthy && m.inZone(zone) {
			return true
		}
	}
	return false
}

// FailedOpen reports whether no target is healthy, so that new flows go to
// every target whatever its health.
func (tg *TargetGroup) FailedOpen() bool { return tg.healthy.Load() == 0 }

// resets reports whether a packet of a flow to m through nd must be
// answered with an RST: m turned unhealthy, AttrUnhealthyTermination is on,
// and the targets nd may send to have not failed open — with cross-zone
// load balancing off, those of nd's zone: a zone whose targets are all
// unhealthy fails open within the zone (ELB User Guide, "Health checks for
// Network Load Balancer target groups").
func (tg *TargetGroup) resets(m *member, nd *Node) bool {
	if m.terminated.Load() {
		return true // deregistered with connection termination
	}
	if m.state() != StateUnhealthy || !tg.terminate.Load() || tg.healthy.Load() == 0 {
		return false
	}
	if tg.CrossZone(nd.lb) {
		return true
	}
	return tg.healthyIn(nd.zone)
}

// Close stops the group's health checks.
func (tg *TargetGroup) Close() {
	tg.mu.Lock()
	tg.closed = true
	for _, m := range tg.members {
		if m.round != nil {
			m.round.Stop()
		}
	}
	tg.mu.Unlock()
	tg.checker.stop()
}
