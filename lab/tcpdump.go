package lab

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/capture"
)

// Capture is a running tcpdump on one host's interface.
type Capture struct {
	mu     sync.Mutex
	out    bytes.Buffer
	cancel context.CancelFunc
	done   chan struct{}
}

// Tcpdump starts capturing host's primary interface (a name as Host takes:
// client, nlb-1a, ec2…) with tcpdump's arguments ("-n", "port 22"), printing
// as tcpdump does. It runs until Stop or until the lab closes.
func (l *Lab) Tcpdump(host string, args ...string) (*Capture, error) {
	h, err := l.Host(host)
	if err != nil {
		return nil, err
	}
	cfg, err := capture.ParseArgs(args)
	if err != nil {
		return nil, fmt.Errorf("tcpdump %s: %w", strings.Join(args, " "), err)
	}
	cfg.Legacy = l.TcpdumpLegacy(h)
	s, err := capture.Start(h.PrimaryENI().CaptureSource(), cfg, l.Net.NameOf, l.Net.AddrOf, io.Discard)
	if err != nil {
		return nil, fmt.Errorf("tcpdump on %s: %w", host, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Capture{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		s.Print(ctx, c)
	}()
	l.closers = append(l.closers, func() { c.Stop() })
	return c, nil
}

func (c *Capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.Write(p)
}

// Lines returns what the capture has printed so far, a line a packet.
func (c *Capture) Lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := strings.TrimSpace(c.out.String())
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// Stop ends the capture, once the packets already seen are printed, and
// returns its lines.
func (c *Capture) Stop() []string {
	c.cancel()
	<-c.done
	return c.Lines()
}

// TcpdumpLegacy reports whether tcpdump on h behaves as tcpdump 4.9 does:
// h is an instance of Amazon Linux 2. Other hosts run tcpdump 4.99.
func (l *Lab) TcpdumpLegacy(h *vnet.Host) bool {
	for _, in := range l.Instances {
		if in.Host() == h {
			return in.Image().TcpdumpLegacy
		}
	}
	return false
}
