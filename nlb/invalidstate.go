package nlb

// A stopped instance stays registered, unused with Target.InvalidState, and
// is not checked; started again, it is checked afresh and is healthy once
// HealthyThresholdCount checks have passed (ELB API Reference,
// "TargetHealth": Target.InvalidState, "Target is in the stopped state").
// The group learns of it from the instance's host being down
// (vnet.Host.SetDown), so nlb needs nothing of package target.

// stopped reports whether m is an instance whose host is powered off.
func (m *member) stopped() bool {
	return m.ENI != nil && m.ENI.Host().Down()
}

// cycled reports whether m's instance stopped and started again since the
// group last looked; tg.mu is held.
func (m *member) cycled() bool {
	return m.ENI != nil && m.seenCycles && m.ENI.Host().PowerCycles() != m.cycles
}

// invalidState reports whether m is unused because its instance stopped.
func (m *member) invalidState() bool {
	r := m.reason.Load()
	return m.state() == StateUnused && r != nil && *r == ReasonInvalidState
}

// followPowerLocked moves m to unused (Target.InvalidState) while its
// instance is stopped and back to initial once it runs again; it reports
// whether m is stopped, so the round checks nothing. tg.mu is held.
func (tg *TargetGroup) followPowerLocked(m *member) bool {
	if m.ENI != nil && !m.seenCycles {
		m.cycles, m.seenCycles = m.ENI.Host().PowerCycles(), true
	}
	if m.stopped() {
		if !m.invalidState() {
			m.passes, m.fails = 0, 0
			tg.setLocked(m, StateUnused, ReasonInvalidState)
		}
		return true
	}
	if m.invalidState() || m.cycled() {
		if m.ENI != nil {
			m.cycles = m.ENI.Host().PowerCycles()
		}
		m.passes, m.fails, m.checked, m.restarted = 0, 0, false, true
		tg.setLocked(m, StateInitial, ReasonRegistrationInProgress)
	}
	return false
}
