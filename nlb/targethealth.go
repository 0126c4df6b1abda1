package nlb

import (
	"fmt"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/vlab-sim/vlab/vnet"
)

// Target health states and reason codes, as describe-target-health reports
// them (ELB API Reference, "TargetHealth").
const (
	StateInitial   = "initial"
	StateHealthy   = "healthy"
	StateUnhealthy = "unhealthy"
	StateUnused    = "unused"
	StateDraining  = "draining"
	// StateUnhealthyDraining: unhealthy, keeping its established flows for
	// target_health_state.unhealthy.draining_interval_seconds.
	StateUnhealthyDraining = "unhealthy.draining"

	ReasonRegistrationInProgress   = "Elb.RegistrationInProgress"
	ReasonInitialHealthChecking    = "Elb.InitialHealthChecking"
	ReasonFailedHealthChecks       = "Target.FailedHealthChecks"
	ReasonDeregistrationInProgress = "Target.DeregistrationInProgress"
	ReasonNotInUse                 = "Target.NotInUse"
	ReasonNotRegistered            = "Target.NotRegistered"
	// ReasonInvalidState: the target is a stopped (or stopping,
	// terminated) instance.
	ReasonInvalidState = "Target.InvalidState"
)

// descriptions are the texts AWS puts beside each reason.
var descriptions = map[string]string{
	ReasonRegistrationInProgress:   "Target registration is in progress",
	ReasonInitialHealthChecking:    "Initial health checks in progress",
	ReasonFailedHealthChecks:       "Health checks failed",
	ReasonDeregistrationInProgress: "Target deregistration is in progress",
	ReasonNotInUse:                 "Target group is not configured to receive traffic from the load balancer",
	ReasonNotRegistered:            "Target is not registered to the target group",
	ReasonInvalidState:             "Target is in the stopped state",
}

var stateCodes = []string{StateInitial, StateHealthy, StateUnhealthy, StateUnused, StateDraining, StateUnhealthyDraining}

// member is a registered target with its health.
type member struct {
	Target
	addr netip.AddrPort
	zone string

	terminated atomic.Bool // deregistered with connection termination

	st     atomic.Int32 // index in stateCodes; read per packet
	reason atomic.Pointer[string]
	cause  atomic.Pointer[string] // the last failed check's, in words
	// guarded by TargetGroup.mu
	passes, fails int
	round         *vnet.Timer
	checked       bool
	restarted     bool   // started again after a stop: healthy after the threshold
	cycles        uint64 // its host's power cycles when last checked
	seenCycles    bool
	drainGen      uint64 // bumped by Deregister: a removal acts only on its own drain
	checkGen      uint64 // bumped by startChecksIn and detach: older check loops end
}

func (m *member) state() string { return stateCodes[m.st.Load()] }

func (m *member) setState(s, reason string) {
	for i, c := range stateCodes {
		if c == s {
			m.st.Store(int32(i))
		}
	}
	m.reason.Store(&reason)
}

func (m *member) startRound() {
	if m.state() == StateInitial && !m.checked {
		m.checked = true
		m.setState(StateInitial, ReasonInitialHealthChecking)
	}
}

// HealthChange is a target's move from one state to another.
type HealthChange struct {
	At        time.Time
	TargetID  string
	Port      uint16
	From, To  string
	Reason    string
	GroupName string
}

// OnHealthChange registers f to be told of every state change; f runs on
// the clock's goroutine and must not block.
func (tg *TargetGroup) OnHealthChange(f func(HealthChange)) {
	tg.mu.Lock()
	tg.watchers = append(tg.watchers, f)
	tg.mu.Unlock()
}

// setLocked moves m to state s; tg.mu is held.
func (tg *TargetGroup) setLocked(m *member, s, reason string) {
	from := m.state()
	m.setState(s, reason)
	tg.recountLocked()
	if from == s {
		return
	}
	ch := HealthChange{At: tg.net.Clock().Now(), TargetID: m.ID, Port: m.addr.Port(), From: from, To: s, Reason: reason, GroupName: tg.cfg.Name}
	for _, w := range tg.watchers {
		w(ch)
	}
}

func (tg *TargetGroup) recountLocked() {
	n := int32(0)
	for _, m := range tg.members {
		if m.state() == StateHealthy {
			n++
		}
	}
	tg.healthy.Store(n)
}

// record applies one round's verdict ("" for a pass) to m, with AWS's
// thresholds: a new target turns healthy on its first pass and unhealthy
// after UnhealthyThresholdCount failures; a healthy one turns unhealthy
// after UnhealthyThresholdCount consecutive failures, an unhealthy one
// healthy after HealthyThresholdCount consecutive passes (ELB User Guide,
// "Health checks for Network Load Balancer target groups").
func (tg *TargetGroup) record(m *member, failure string) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if tg.closed || m.state() == StateDraining || m.state() == StateUnused {
		return
	}
	hc := tg.cfg.HealthCheck
	if failure == "" {
		m.passes++
		m.fails = 0
	} else {
		m.fails++
		m.passes = 0
		m.cause.Store(&failure)
	}
	switch m.state() {
	case StateInitial:
		// A target started again after a stop passes HealthyThresholdCount
		// checks first; a new registration, one.
		if failure == "" && (!m.restarted || m.passes >= hc.HealthyThresholdCount) {
			m.restarted = false
			tg.setLocked(m, StateHealthy, "")
		} else if m.fails >= hc.UnhealthyThresholdCount {
			tg.setLocked(m, StateUnhealthy, ReasonFailedHealthChecks)
		}
	case StateHealthy:
		if m.fails >= hc.UnhealthyThresholdCount {
			// With termination off, a draining interval keeps the target's
			// established flows before it is plainly unhealthy.
			if n, _ := strconv.Atoi(tg.attrs[AttrUnhealthyDraining]); n > 0 && !tg.terminate.Load() {
				tg.setLocked(m, StateUnhealthyDraining, ReasonFailedHealthChecks)
				tg.net.Clock().AfterFunc(timeSeconds(n), func() {
					tg.mu.Lock()
					defer tg.mu.Unlock()
					if m.state() == StateUnhealthyDraining {
						tg.setLocked(m, StateUnhealthy, ReasonFailedHealthChecks)
					}
				})
			} else {
				tg.setLocked(m, StateUnhealthy, ReasonFailedHealthChecks)
			}
		}
	case StateUnhealthy, StateUnhealthyDraining:
		if m.passes >= hc.HealthyThresholdCount {
			tg.setLocked(m, StateHealthy, "")
		}
	}
}

// TargetHealth is one target's entry in describe-target-health.
type TargetHealth struct {
	Target           Target
	AvailabilityZone string
	HealthCheckPort  string
	State            string
	Reason           string // empty when healthy
	Description      string
}

// Health describes every registered target's health, as
// DescribeTargetHealth does when given no targets: a target whose
// deregistration has completed is no longer listed (ELB API Reference,
// "DescribeTargetHealth": "the specified targets or all of your targets").
func (tg *TargetGroup) Health() []TargetHealth {
	tg.mu.RLock()
	defer tg.mu.RUnlock()
	out := make([]TargetHealth, 0, len(tg.members))
	for _, m := range tg.members {
		out = append(out, tg.healthLocked(m))
	}
	return out
}

// HealthOf describes the named targets' health, as DescribeTargetHealth
// does given Targets: one that is not registered (never, or its
// deregistration has completed) is unused, Target.NotRegistered. A target's
// Port 0 is the group's port.
func (tg *TargetGroup) HealthOf(targets ...Target) []TargetHealth {
	tg.mu.RLock()
	defer tg.mu.RUnlock()
	out := make([]TargetHealth, 0, len(targets))
	for _, t := range targets {
		if t.Port == 0 {
			t.Port = tg.cfg.Port
		}
		var th *TargetHealth
		for _, m := range tg.members {
			if m.Target.ID == t.ID && m.addr.Port() == t.Port {
				h := tg.healthLocked(m)
				th = &h
			}
		}
		if th == nil {
			th = &TargetHealth{Target: t, State: StateUnused, Reason: ReasonNotRegistered, Description: descriptions[ReasonNotRegistered]}
		}
		out = append(out, *th)
	}
	return out
}

// healthLocked describes m's health; tg.mu is held.
func (tg *TargetGroup) healthLocked(m *member) TargetHealth {
	th := TargetHealth{Target: m.Target, AvailabilityZone: m.zone, State: m.state(), Reason: *m.reason.Load()}
	th.HealthCheckPort = tg.cfg.HealthCheck.Port
	if th.HealthCheckPort == "traffic-port" {
		th.HealthCheckPort = strconv.Itoa(int(m.addr.Port()))
	}
	if len(tg.lbs) == 0 && th.State != StateUnused {
		th.State, th.Reason = StateUnused, ReasonNotInUse
	}
	if th.State != StateUnused && th.State != StateDraining {
		// At once, not at the next round: the instance stopped, or
		// stopped and started again since the last round.
		if m.stopped() {
			th.State, th.Reason = StateUnused, ReasonInvalidState
		} else if m.cycled() {
			th.State, th.Reason = StateInitial, ReasonRegistrationInProgress
		}
	}
	th.Description = descriptions[th.Reason]
	if th.Reason == ReasonInvalidState && m.ENI != nil && m.ENI.Host().Terminated() {
		// ELB API Reference, "TargetHealth": "Target is in the terminated state".
		th.Description = "Target is in the terminated state"
	}
	if c := m.cause.Load(); c != nil && th.Reason == *m.reason.Load() && (th.Reason == ReasonFailedHealthChecks || th.Reason == ReasonNotInUse) {
		th.Description = *c // the cause, as AWS describes an NLB's failed checks
	}
	return th
}

// zoneOf is a target's zone: its subnet's, or "all" for an address
// outside the VPC's subnets, as AWS shows it.
func (tg *TargetGroup) zoneOf(a netip.Addr) string {
	for _, s := range tg.cfg.VPC.Subnets() {
		if s.CIDR().Contains(a) {
			return s.Zone()
		}
	}
	return "all"
}

// inZone reports whether m serves the nodes of zone ("" is every zone). A
// target in zone "all" serves every zone (ELB User Guide, "Target groups
// for your Network Load Balancers": AvailabilityZone all).
func (m *member) inZone(zone string) bool {
	return zone == "" || m.zone == "all" || m.zone == zone
}

func timeSeconds(n int) time.Duration { return time.Duration(n) * time.Second }

// String prints the target as describe-target-health names it: id and
// port.
func (t Target) String() string {
	if t.Port != 0 {
		return fmt.Sprintf("%s:%d", t.ID, t.Port)
	}
	return t.ID
}

func (h TargetHealth) String() string {
	s := fmt.Sprintf("%s in %s: %s", h.Target, h.AvailabilityZone, h.State)
	if h.Reason != "" {
		s += fmt.Sprintf(" (%s: %s)", h.Reason, h.Description)
	}
	return s
}

func (h HealthChange) String() string {
	s := fmt.Sprintf("%s target %s:%d %s -> %s", h.At.Format(time.RFC3339), h.TargetID, h.Port, h.From, h.To)
	if h.Reason != "" {
		s += " (" + h.Reason + ")"
	}
	return s
}
