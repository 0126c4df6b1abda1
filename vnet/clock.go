package vnet

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is the lab clock: the one time everything AWS schedules reads
// (health-check intervals, thresholds, deregistration delays). Its time is
// a start instant plus an offset plus, while it runs, the wall time elapsed
// times a scale. Advance jumps the offset forward, so AWS's real defaults
// (30 s intervals, 300 s delays) play out in milliseconds; a frozen clock
// moves only when advanced. The gVisor stacks keep real time for TCP.
//
// Timers scheduled with AfterFunc fire in lab-time order, one at a time.
type Clock struct {
	start time.Time

	mu      sync.Mutex
	offset  time.Duration
	scale   float64
	frozen  bool
	wallRef time.Time // wall time when the offset was last set, while running
	timers  timerHeap
	seq     uint64
	wake    chan struct{}
	closed  bool
	done    chan struct{}
	quiet   []func() // see AddQuiescer

	fire sync.Mutex // one firer at a time: Advance or the runner
}

// NewClock returns a frozen clock reading start (a fixed instant keeps lab
// output reproducible). Run it with Run.
func NewClock(start time.Time) *Clock {
	c := &Clock{start: start.UTC(), scale: 1, frozen: true, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.runner()
	return c
}

// Now returns the lab time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Clock) nowLocked() time.Time {
	t := c.start.Add(c.offset)
	if !c.frozen {
		t = t.Add(time.Duration(float64(time.Since(c.wallRef)) * c.scale))
	}
	return t
}

// Run lets lab time follow the wall clock, times scale (1 when scale <= 0).
func (c *Clock) Run(scale float64) {
	if scale <= 0 {
		scale = 1
	}
	c.mu.Lock()
	c.offset = c.nowLocked().Sub(c.start)
	c.scale, c.frozen, c.wallRef = scale, false, time.Now()
	c.mu.Unlock()
	c.poke()
}

// Freeze stops lab time where it is; only Advance moves it then.
func (c *Clock) Freeze() {
	c.mu.Lock()
	c.offset = c.nowLocked().Sub(c.start)
	c.frozen = true
	c.mu.Unlock()
}

// Frozen reports whether the clock is frozen.
func (c *Clock) Frozen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frozen
}

// AddQuiescer registers f, which Advance calls before firing each timer and
// at its end: f returns once the work earlier timers started (a health
// check's handshake, say) has finished or can only end at a later lab time.
func (c *Clock) AddQuiescer(f func()) {
	c.mu.Lock()
	c.quiet = append(c.quiet, f)
	c.mu.Unlock()
}

func (c *Clock) quiesce() {
	c.mu.Lock()
	qs := c.quiet
	c.mu.Unlock()
	for _, q := range qs {
		q()
	}
}

// Advance moves lab time forward by d, firing every timer due on the way in
// order, each at its own lab time, and returns when the work they started
// has settled.
func (c *Clock) Advance(d time.Duration) {
	if d < 0 {
		return
	}
	c.fire.Lock()
	defer c.fire.Unlock()
	c.mu.Lock()
	end := c.nowLocked().Add(d)
	c.mu.Unlock()
	for {
		c.quiesce()
		c.mu.Lock()
		if c.closed || len(c.timers) == 0 || c.timers[0].at.After(end) {
			c.setLocked(end)
			c.mu.Unlock()
			break
		}
		t := heap.Pop(&c.timers).(*Timer)
		if t.at.After(c.nowLocked()) {
			c.setLocked(t.at)
		}
		t.fired = true
		c.mu.Unlock()
		t.f()
	}
	c.quiesce()
	c.poke()
}

// setLocked makes the clock read t (never backwards).
func (c *Clock) setLocked(t time.Time) {
	if !t.After(c.nowLocked()) {
		return
	}
	c.offset = t.Sub(c.start)
	c.wallRef = time.Now()
}

// AfterFunc calls f, on the goroutine that fires timers, once lab time
// reaches now+d. f must not block for long: start work on a goroutine.
func (c *Clock) AfterFunc(d time.Duration, f func()) *Timer {
	c.mu.Lock()
	t := &Timer{c: c, at: c.nowLocked().Add(d), f: f, seq: c.seq}
	c.seq++
	heap.Push(&c.timers, t)
	c.mu.Unlock()
	c.poke()
	return t
}

func (c *Clock) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// runner fires due timers while the clock runs.
func (c *Clock) runner() {
	defer close(c.done)
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		wait := time.Duration(-1) // nothing to fire while frozen or idle
		if !c.frozen && len(c.timers) > 0 {
			wait = max(0, time.Duration(float64(c.timers[0].at.Sub(c.nowLocked()))/c.scale))
		}
		c.mu.Unlock()
		switch {
		case wait == 0:
		case wait > 0:
			tm := time.NewTimer(wait)
			select {
			case <-c.wake:
				tm.Stop()
				continue
			case <-tm.C:
			}
		default:
			<-c.wake
			continue
		}
		c.fireDue()
	}
}

func (c *Clock) fireDue() {
	c.fire.Lock()
	defer c.fire.Unlock()
	for {
		c.mu.Lock()
		if c.closed || c.frozen || len(c.timers) == 0 || c.timers[0].at.After(c.nowLocked()) {
			c.mu.Unlock()
			return
		}
		t := heap.Pop(&c.timers).(*Timer)
		t.fired = true
		c.mu.Unlock()
		t.f()
	}
}

// Close stops the clock's goroutine; pending timers never fire.
func (c *Clock) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.timers = nil
	c.mu.Unlock()
	c.poke()
	<-c.done
}

// Timer is a callback scheduled on the lab clock.
type Timer struct {
	c     *Clock
	at    time.Time
	f     func()
	seq   uint64
	index int
	fired bool
}

// Stop cancels the timer; it reports whether the timer was pending.
func (t *Timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.fired || t.index < 0 || t.index >= len(t.c.timers) || t.c.timers[t.index] != t {
		return false
	}
	heap.Remove(&t.c.timers, t.index)
	t.fired = true
	return true
}

// When returns the lab time the timer fires at.
func (t *Timer) When() time.Time { return t.at }

type timerHeap []*Timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *timerHeap) Push(x any) {
	t := x.(*Timer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}
