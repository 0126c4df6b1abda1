package e2e

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/vnet"
)

// soakSessions is how many SSH sessions the soak test opens and closes.
// On a 2-core machine they take about 0.7 s, and 7-8 s under the race
// detector (which slows this path some 12 times, not 25): the same count
// keeps go test -race within its 20 s budget, with room for a loaded
// machine. Lower it under raceEnabled if the race run grows.
const soakSessions = 1000

// soakWorkers run the sessions side by side, as several users would.
const soakWorkers = 4

// The lab's health checks run every soakInterval (AWS's longest) rather
// than every 30 s, so that the soak's measurements fall between two
// checks, when no check's connection is in the tables; each check's
// connection closes in wall time (slowly under the race detector), so the
// test waits for it before moving lab time on. soakLinger is past every
// linger of a closed connection: the NLB keeps a closed flow 10 s, an
// ENI's connection tracking a closing one 120 s.
const soakInterval, soakLinger = 300 * time.Second, 130 * time.Second

// labState is what a session may leave behind.
type labState struct {
	Goroutines    int
	NLBFlows      int
	TargetTracked int // the target ENI's connection-tracking entries
	ClientSockets int // the client's TCP connections, but those in TIME-WAIT
	TargetSockets int // the target's, likewise
}

func (s labState) String() string {
	return fmt.Sprintf("%d goroutines, %d NLB flows, %d tracked at the target ENI, %d client connections, %d target connections",
		s.Goroutines, s.NLBFlows, s.TargetTracked, s.ClientSockets, s.TargetSockets)
}

func stateOfLab(l *lab.Lab) labState {
	return labState{
		Goroutines:    runtime.NumGoroutine(),
		NLBFlows:      l.NLB.FlowCount(),
		TargetTracked: l.Target.ENI().TrackedFlows(),
		ClientSockets: connections(l.Client.Host().Sockets()),
		TargetSockets: connections(l.Target.Host().Sockets()),
	}
}

// connections counts the sockets neither listening nor in TIME-WAIT: the
// stacks keep those 60 s of wall time, as Linux does, and they hold
// nothing but a port.
func connections(ss []vnet.Socket) int {
	n := 0
	for _, s := range ss {
		if s.State != "TIME-WAIT" && s.State != "LISTEN" {
			n++
		}
	}
	return n
}

// Many SSH sessions through the NLB, opened and closed, leave nothing
// behind once lab time has passed their lingers: no goroutine, no flow in
// the NLB's table, no entry in the target ENI's connection tracking, no
// connection but those in TIME-WAIT.
func TestSoakSessionsLeaveNothingBehind(t *testing.T) {
	noLeaks(t)
	cfg := manual(lab.Default())
	scenario(cfg).HealthCheck.IntervalSeconds = int(soakInterval / time.Second)
	l := labtest.New(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// The baseline: the lab idle between two health checks, the last
	// check's connection closed and forgotten by the tables.
	quiet := func() {
		waitFor(t, 30*time.Second, func() bool {
			s := stateOfLab(l)
			return s.TargetSockets == 0 && s.ClientSockets == 0
		}, "connections close")
	}
	idle := func() bool {
		s := stateOfLab(l)
		return s.TargetTracked == 0 && s.NLBFlows == 0 && s.TargetSockets == 0 && s.ClientSockets == 0
	}
	for i := 0; i < 40 && !idle(); i++ {
		quiet()
		l.Clock().Advance(10 * time.Second)
	}
	require.True(t, idle(), "the lab between two health checks: %v", stateOfLab(l))
	before := settledState(l, labState{}, 0)
	t.Logf("before: %v", before)

	start := time.Now()
	n := soakSessions
	jobs := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range soakWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				res, err := l.Run(ctx, "true")
				if err == nil && res.ExitStatus != 0 {
					err = fmt.Errorf("status %d: %s", res.ExitStatus, res.Stderr)
				}
				if err != nil {
					errs <- fmt.Errorf("session %d: %w", i, err)
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	t.Logf("%d sessions through the NLB in %v", n, time.Since(start).Round(time.Millisecond))

	// Their last segments cross the fabric before lab time moves on, or
	// they would find the tables as they were, and start new lingers. One
	// interval later (one health check, whose connection closes too),
	// and past the lingers, the lab is where it was: idle between two
	// checks (the baseline was taken at most 140 s after one).
	require.NoError(t, l.WaitClosed(ctx))
	quiet()
	l.Clock().Advance(soakInterval)
	quiet()
	l.Clock().Advance(soakLinger)
	after := settledState(l, before, 30*time.Second)
	t.Logf("after: %v", after)

	assert.LessOrEqual(t, after.Goroutines, before.Goroutines+goroutineSlack, "goroutines\n%s", goroutineDump())
	assert.Equal(t, before.NLBFlows, after.NLBFlows, "flows in the NLB's table: %v", l.NLB.Flows())
	assert.Equal(t, before.TargetTracked, after.TargetTracked, "flows tracked at the target ENI")
	assert.Equal(t, before.ClientSockets, after.ClientSockets, "the client's sockets: %v", l.Client.Host().Sockets())
	assert.Equal(t, before.TargetSockets, after.TargetSockets, "the target's sockets: %v", l.Target.Host().Sockets())
}

// settledState waits up to d for the lab to come back to want (goroutines
// within goroutineSlack) and returns its state, with the fewest goroutines
// seen over a short while, so that a moment's timers do not count.
func settledState(l *lab.Lab, want labState, d time.Duration) labState {
	deadline := time.Now().Add(d)
	for {
		s := stateOfLab(l)
		s.Goroutines = fewestGoroutines(50 * time.Millisecond)
		done := s.Goroutines <= want.Goroutines+goroutineSlack && s.NLBFlows == want.NLBFlows &&
			s.TargetTracked == want.TargetTracked && s.ClientSockets == want.ClientSockets && s.TargetSockets == want.TargetSockets
		if done || !time.Now().Before(deadline) {
			return s
		}
	}
}

// waitFor polls cond every millisecond for up to d and fails t if it never
// holds.
func waitFor(t *testing.T, d time.Duration, cond func() bool, what string) {
	t.Helper()
	require.Eventually(t, cond, d, time.Millisecond, what)
}
