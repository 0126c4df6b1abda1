package nlb

import (
	"errors"
	"fmt"

	"github.com/vlab-sim/vlab/vnet"
)

// The changes a running load balancer and its target groups take, as the
// ELB API makes them: health-check settings, listeners, security groups.

// SetHealthCheck replaces the group's health-check settings (AWS's
// defaults fill the fields left zero; the ranges are CreateTargetGroup's).
// They hold from the next check on, on the lab clock: thresholds apply to
// the next verdict, counting the passes and failures already seen (a lower
// unhealthy threshold turns a failing target unhealthy sooner), and a new
// interval reschedules every target's next check one new interval from now
// (an assumption: AWS documents no timing for the change).
func (tg *TargetGroup) SetHealthCheck(hc HealthCheck) error {
	if err := hc.normalize(); err != nil {
		return fmt.Errorf("target group %s: %w", tg.cfg.Name, err)
	}
	tg.mu.Lock()
	old := tg.cfg.HealthCheck
	tg.cfg.HealthCheck = hc
	var restart []*member
	if hc.IntervalSeconds != old.IntervalSeconds {
		for _, m := range tg.members {
			// A round that already fired schedules its successor with
			// the new interval itself.
			if m.round != nil && m.round.Stop() {
				restart = append(restart, m)
			}
		}
	}
	tg.mu.Unlock()
	for _, m := range restart {
		tg.startChecksIn(m, hc.interval())
	}
	return nil
}

// InUse reports whether a listener forwards to the group.
func (tg *TargetGroup) InUse() bool {
	tg.mu.RLock()
	defer tg.mu.RUnlock()
	return len(tg.lbs) > 0
}

// detach undoes one attach: when no listener forwards to the group any
// more, its targets are unused (Target.NotInUse) and no longer checked.
func (tg *TargetGroup) detach(lb *LoadBalancer) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	for i, o := range tg.lbs {
		if o == lb {
			tg.lbs = append(append([]*LoadBalancer(nil), tg.lbs[:i]...), tg.lbs[i+1:]...)
			break
		}
	}
	if len(tg.lbs) > 0 {
		return
	}
	for _, m := range tg.members {
		// Every member's checks stop, an unused (stopped) one's included:
		// attach starts them again, once.
		if m.round != nil {
			m.round.Stop()
		}
		m.checkGen++
		if s := m.state(); s == StateDraining || s == StateUnused {
			continue
		}
		m.passes, m.fails = 0, 0
		tg.setLocked(m, StateUnused, ReasonNotInUse)
	}
}

// resumeLocked makes the targets a detached group left unused initial
// again, for attach to check them afresh.
func (tg *TargetGroup) resumeLocked() {
	for _, m := range tg.members {
		if r := m.reason.Load(); m.state() == StateUnused && r != nil && *r == ReasonNotInUse {
			m.checked, m.passes, m.fails = false, 0, 0
			tg.setLocked(m, StateInitial, ReasonRegistrationInProgress)
		}
	}
}

// listenerID is a new listener's 16-hex-digit id, from the network's id
// generator: unique, and the same across runs of a seed.
func listenerID(lb *LoadBalancer) string { return lb.net.IDs().Hex("listener", 16) }

// ID returns the listener's id, the last part of its ARN.
func (l *Listener) ID() string { return l.id }

// RemoveListener deletes the listener on port. Flows it opened continue
// to their targets; new connections to the port are dropped.
func (lb *LoadBalancer) RemoveListener(port uint16) error {
	lb.mu.Lock()
	l, ok := lb.listeners[port]
	delete(lb.listeners, port)
	lb.mu.Unlock()
	if !ok {
		return fmt.Errorf("load balancer %s: no listener on port %d", lb.name, port)
	}
	l.TargetGroup.detach(lb)
	return nil
}

// ModifyListener moves the listener on port to newPort (0: unchanged)
// and forwards it to tg (nil: unchanged). It keeps its id and attributes;
// flows it opened continue to their targets, new ones follow the change.
func (lb *LoadBalancer) ModifyListener(port, newPort uint16, tg *TargetGroup) (*Listener, error) {
	old := lb.listener(port)
	if old == nil {
		return nil, fmt.Errorf("load balancer %s: no listener on port %d", lb.name, port)
	}
	if newPort == 0 {
		newPort = port
	}
	if tg == nil {
		tg = old.TargetGroup
	}
	if tg.cfg.VPC != lb.cfg.Subnets[0].Subnet.VPC() {
		return nil, fmt.Errorf("load balancer %s: listener %d: target group %s is in another VPC", lb.name, port, tg.Name())
	}
	if other := tg.otherLoadBalancer(lb); other != nil {
		return nil, fmt.Errorf("load balancer %s: listener %d: target group %s is already used by load balancer %s (a target group serves one load balancer)", lb.name, port, tg.Name(), other.name)
	}
	lb.mu.Lock()
	if _, taken := lb.listeners[newPort]; taken && newPort != port {
		lb.mu.Unlock()
		return nil, fmt.Errorf("load balancer %s: a listener on port %d already exists", lb.name, newPort)
	}
	l := &Listener{Protocol: old.Protocol, Port: newPort, TargetGroup: tg, id: old.id}
	l.idle.Store(old.idle.Load())
	delete(lb.listeners, port)
	lb.listeners[newPort] = l
	lb.mu.Unlock()
	// Attach before detaching, so that a group that stays keeps its
	// targets' health.
	tg.attach(lb, newPort)
	old.TargetGroup.detach(lb)
	return l, nil
}

// ErrNoSecurityGroups refuses SetSecurityGroups on a load balancer created
// without security groups (ELB API Reference, "SetSecurityGroups": not
// possible unless it was created with one).
var ErrNoSecurityGroups = errors.New("a Network Load Balancer created without security groups cannot be given any")

// SetSecurityGroups replaces the groups of the load balancer's nodes.
// Tracked flows continue; new ones meet the new groups' rules.
func (lb *LoadBalancer) SetSecurityGroups(gs []*vnet.SecurityGroup) error {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if len(lb.cfg.SecurityGroups) == 0 {
		return fmt.Errorf("load balancer %s: %w", lb.name, ErrNoSecurityGroups)
	}
	for _, nd := range lb.nodes {
		if err := nd.eni.SetSecurityGroups(gs); err != nil {
			return fmt.Errorf("load balancer %s: %w", lb.name, err)
		}
	}
	lb.cfg.SecurityGroups = append([]*vnet.SecurityGroup(nil), gs...)
	return nil
}
