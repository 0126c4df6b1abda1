package capture

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"time"
)

// Source is an interface a capture can attach to (vnet's ENI).
type Source interface {
	// Tap attaches f and returns the function that detaches it.
	Tap(f func(ts time.Time, b []byte)) (stop func())
	// Name is the interface's name inside its host (eth0).
	Name() string
}

// queueLen bounds how many packets wait for the formatter; beyond it they
// are "dropped by kernel", as tcpdump counts them.
const queueLen = 8192

// Stats are tcpdump's closing figures.
type Stats struct{ Captured, Received, Dropped int }

// Session is a running capture.
type Session struct {
	cfg    Config
	fm     *Formatter
	q      chan rec
	stop   func()
	errOut io.Writer

	mu sync.Mutex
	st Stats
}

type rec struct {
	ts time.Time
	b  []byte
}

// Start opens a capture on src per cfg: the tap is attached and the banner
// written to errOut (tcpdump's stderr) when it returns, so that traffic
// started afterwards is seen whole. Errors in cfg are reported before
// anything is attached.
func Start(src Source, cfg Config, names func(netip.Addr) (string, bool), resolve func(string) (netip.Addr, bool), errOut io.Writer) (*Session, error) {
	if cfg.Interface != "" && cfg.Interface != src.Name() && cfg.Interface != "any" {
		return nil, fmt.Errorf("tcpdump: %s: No such device exists", cfg.Interface)
	}
	flt, err := ParseFilter(cfg.Expr, resolve)
	if err != nil {
		return nil, fmt.Errorf("tcpdump: %w", err)
	}
	cfg.Options.Names = names
	s := &Session{cfg: cfg, fm: NewFormatter(cfg.Options), q: make(chan rec, queueLen), errOut: errOut}
	s.stop = src.Tap(func(ts time.Time, b []byte) {
		if !flt.Match(b) {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.st.Received++
		select {
		case s.q <- rec{ts, append([]byte(nil), b...)}:
		default:
			s.st.Dropped++
		}
	})
	if cfg.Verbose == 0 {
		fmt.Fprintln(errOut, "tcpdump: verbose output suppressed, use -v[v]... for full protocol decode")
	}
	if cfg.Legacy {
		fmt.Fprintf(errOut, "listening on %s, link-type RAW (Raw IP), capture size %d bytes\n", src.Name(), snapLen)
	} else {
		fmt.Fprintf(errOut, "listening on %s, link-type RAW (Raw IP), snapshot length %d bytes\n", src.Name(), snapLen)
	}
	return s, nil
}

// Print writes tcpdump's text to out until cfg.Count packets were printed,
// ctx ends, or out fails (the reader of a pipe went away, as when head
// exits: tcpdump then dies of SIGPIPE without its closing figures).
// Otherwise the closing figures go to errOut. The capture is closed when
// Print returns.
func (s *Session) Print(ctx context.Context, out io.Writer) Stats {
	defer s.stop()
	n := 0
	for s.cfg.Count == 0 || n < s.cfg.Count {
		select {
		case <-ctx.Done():
			return s.finish(n)
		case r := <-s.q:
			if _, err := io.WriteString(out, s.fm.Format(r.ts, r.b)+"\n"); err != nil {
				s.stop()
				return s.stats(n)
			}
			n++
		}
	}
	return s.finish(n)
}

func (s *Session) stats(n int) Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Captured = n
	return s.st
}

func (s *Session) finish(n int) Stats {
	s.stop()
	st := s.stats(n)
	fmt.Fprintf(s.errOut, "%d packets captured\n%d packets received by filter\n%d packets dropped by kernel\n", st.Captured, st.Received, st.Dropped)
	return st
}

// Run is Start then Print.
func Run(ctx context.Context, src Source, cfg Config, names func(netip.Addr) (string, bool), resolve func(string) (netip.Addr, bool), out, errOut io.Writer) (Stats, error) {
	s, err := Start(src, cfg, names, resolve, errOut)
	if err != nil {
		return Stats{}, err
	}
	return s.Print(ctx, out), nil
}
