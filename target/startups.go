package target

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// MaxStartups is OpenSSH's limit on unauthenticated connections,
// start:rate:full: from Start of them on, a new connection is refused with
// probability Rate %, rising linearly to 100 % at Full (sshd_config(5),
// MaxStartups).
type MaxStartups struct{ Start, Rate, Full int }

// DefaultMaxStartups is OpenSSH's default, 10:30:100.
var DefaultMaxStartups = MaxStartups{Start: 10, Rate: 30, Full: 100}

// DefaultLoginGraceTime is OpenSSH's LoginGraceTime: a connection that has
// not authenticated by then is closed. It runs on the wall clock, as the
// handshake's TCP does.
const DefaultLoginGraceTime = 120 * time.Second

func (m MaxStartups) String() string { return fmt.Sprintf("%d:%d:%d", m.Start, m.Rate, m.Full) }

// Check reports a limit sshd would refuse.
func (m MaxStartups) Check() error {
	if m.Start < 1 || m.Rate < 0 || m.Rate > 100 || m.Full < m.Start {
		return fmt.Errorf("MaxStartups %s: want start:rate:full with 1 <= start <= full and rate 0-100", m)
	}
	return nil
}

// startups counts a server's unauthenticated connections and decides, as
// sshd's drop_connection does, whether to refuse a new one.
type startups struct {
	limit MaxStartups

	mu      sync.Mutex
	pending int
	refused uint64
}

// admit reports whether a new connection may start its handshake; if so,
// done must be called when it has authenticated or failed.
func (s *startups) admit() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drop(s.pending) {
		s.refused++
		return false
	}
	s.pending++
	return true
}

func (s *startups) done() {
	s.mu.Lock()
	s.pending--
	s.mu.Unlock()
}

// drop is sshd.c's drop_connection for n unauthenticated connections.
func (s *startups) drop(n int) bool {
	m := s.limit
	switch {
	case n < m.Start:
		return false
	case n >= m.Full:
		return true
	}
	p := (100-m.Rate)*(n-m.Start)/(m.Full-m.Start) + m.Rate
	return rand.IntN(100) < p
}
