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

// Run captures from src per cfg, printing tcpdump's text to out, until
// cfg.Count packets were printed, ctx ends, or out fails (the reader of a
// pipe went away, as when head exits). Errors in cfg are reported before
// anything runs. The banner and the closing figures go to errOut, as
// tcpdump writes them to stderr.
func Run(ctx context.Context, src Source, cfg Config, names func(netip.Addr) (string, bool), resolve func(string) (netip.Addr, bool), out, errOut io.Writer) (Stats, error) {
	var st Stats
	if cfg.Interface != "" && cfg.Interface != src.Name() && cfg.Interface != "any" {
		return st, fmt.Errorf("tcpdump: %s: No such device exists", cfg.Interface)
	}
	flt, err := ParseFilter(cfg.Expr, resolve)
	if err != nil {
		return st, fmt.Errorf("tcpdump: %w", err)
	}
	cfg.Options.Names = names
	fm := NewFormatter(cfg.Options)
	if cfg.Verbose == 0 {
		fmt.Fprintln(errOut, "tcpdump: verbose output suppressed, use -v[v]... for full protocol decode")
	}
	fmt.Fprintf(errOut, "listening on %s, link-type RAW (Raw IP), snapshot length %d bytes\n", src.Name(), snapLen)

	type rec struct {
		ts time.Time
		b  []byte
	}
	q := make(chan rec, queueLen)
	var mu sync.Mutex
	stop := src.Tap(func(ts time.Time, b []byte) {
		if !flt.Match(b) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		st.Received++
		select {
		case q <- rec{ts, append([]byte(nil), b...)}:
		default:
			st.Dropped++
		}
	})
	defer stop()
	n := 0
loop:
	for cfg.Count == 0 || n < cfg.Count {
		select {
		case <-ctx.Done():
			break loop
		case r := <-q:
			if _, err := io.WriteString(out, fm.Format(r.ts, r.b)+"\n"); err != nil {
				break loop
			}
			n++
		}
	}
	stop()
	mu.Lock()
	st.Captured = n
	fin := st
	mu.Unlock()
	fmt.Fprintf(errOut, "%d packets captured\n%d packets received by filter\n%d packets dropped by kernel\n", fin.Captured, fin.Received, fin.Dropped)
	return fin, nil
}
