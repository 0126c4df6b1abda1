package flowlog

import (
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vlab-sim/vlab/vnet/wire"
)

// Clock is the lab clock the windows run on.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// Interface describes a logged network interface.
type Interface struct {
	ID, AccountID, VPCID, SubnetID, InstanceID string
	VPC                                        netip.Prefix
	// Addr is the interface's own address: srcaddr of what leaves it,
	// dstaddr of what arrives (VPC User Guide, "Flow log records").
	Addr netip.Addr
}

// Config configures a flow log.
type Config struct {
	// Interval is the maximum aggregation interval: 600 s (AWS's default)
	// or 60 s.
	Interval time.Duration
	// Fields is the record format; nil is the default format.
	Fields []string
	// File, when not nil, receives the records as text, a header line of
	// field names first (as delivery to S3 writes them), as windows close.
	File io.Writer
	// SkipHeader leaves the header line out: File already has it (a log
	// appended to, see OpenFile).
	SkipHeader bool
}

// Log is a flow log over a set of interfaces. Its records are kept in
// memory (Records) and written to Config.File, window by window.
type Log struct {
	cfg   Config
	clock Clock

	mu      sync.Mutex
	ifaces  map[string]*ifaceLog
	order   []string
	records []Record
	stops   []func() bool
	closed  bool
	fileErr error
}

type ifaceLog struct {
	Interface
	windowStart time.Time
	flows       map[flowKey]*Record
}

// flowKey is what a record aggregates by: the 5-tuple, the verdict and
// the direction.
type flowKey struct {
	flow   wire.Flow
	action string
	egress bool
}

// New starts a flow log on ifaces; each interface's first window opens now.
func New(clock Clock, cfg Config, ifaces []Interface) (*Log, error) {
	if cfg.Interval == 0 {
		cfg.Interval = 600 * time.Second
	}
	// VPC User Guide, "Flow log records": the maximum aggregation interval
	// is 60 seconds or 600 seconds.
	if cfg.Interval != 60*time.Second && cfg.Interval != 600*time.Second {
		return nil, fmt.Errorf("flow log: MaxAggregationInterval %v: must be 60 or 600 seconds", cfg.Interval.Seconds())
	}
	if cfg.Fields == nil {
		cfg.Fields = DefaultFields
	}
	l := &Log{cfg: cfg, clock: clock, ifaces: map[string]*ifaceLog{}}
	now := clock.Now()
	for _, i := range ifaces {
		l.ifaces[i.ID] = &ifaceLog{Interface: i, windowStart: now, flows: map[flowKey]*Record{}}
		l.order = append(l.order, i.ID)
	}
	if cfg.File != nil && !cfg.SkipHeader {
		if _, err := io.WriteString(cfg.File, strings.Join(cfg.Fields, " ")+"\n"); err != nil {
			return nil, fmt.Errorf("flow log file: %w", err)
		}
	}
	l.schedule()
	return l, nil
}

func (l *Log) schedule() {
	stop := l.clock.AfterFunc(l.cfg.Interval, func() {
		l.closeWindows()
		l.mu.Lock()
		closed := l.closed
		l.mu.Unlock()
		if !closed {
			l.schedule()
		}
	})
	l.mu.Lock()
	l.stops = append(l.stops[:0], stop)
	l.mu.Unlock()
}

// Observe counts one packet b crossing interface id at ts: ingress (it
// arrived) or egress (it left), with the verdict ACCEPT or REJECT.
func (l *Log) Observe(id string, ts time.Time, egress bool, action string, b []byte) {
	ip, ok := wire.ParseIPv4(b)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	il := l.ifaces[id]
	if il == nil || l.closed {
		return
	}
	k := flowKey{flow: ip.Flow(), action: action, egress: egress}
	f0 := k.flow
	// tcp-flags: FIN 1, SYN 2, RST 4, and SYN-ACK 18: ACK is reported
	// only with SYN (VPC User Guide, "TCP flag sequence").
	f := ip.Flags()
	flags := uint8(f & (wire.FIN | wire.SYN | wire.RST))
	if f.Has(wire.SYN | wire.ACK) {
		flags |= uint8(wire.SYN | wire.ACK)
	}
	r := il.flows[k]
	if r == nil {
		// srcaddr is the source of what arrives, the interface's own
		// address for what leaves; dstaddr the destination of what leaves,
		// the interface's own for what arrives; pkt-* are the packet's
		// own (VPC User Guide, "Flow log records"). They differ at an
		// interface that forwards others' packets: a NAT gateway's, a load
		// balancer node's.
		src, dst := f0.Src.Addr(), f0.Dst.Addr()
		if il.Addr.IsValid() {
			if egress {
				src = il.Addr
			} else {
				dst = il.Addr
			}
		}
		r = &Record{
			AccountID: il.AccountID, InterfaceID: il.ID, VPCID: il.VPCID, SubnetID: il.SubnetID, InstanceID: il.InstanceID,
			Src: src, Dst: dst, PktSrc: f0.Src.Addr(), PktDst: f0.Dst.Addr(), SrcPort: f0.Src.Port(), DstPort: f0.Dst.Port(), Protocol: f0.Proto,
			Start: ts, Action: action, LogStatus: "OK", Direction: "ingress",
		}
		if egress {
			r.Direction, r.TrafficPath = "egress", 2
			if il.VPC.IsValid() && il.VPC.Contains(f0.Dst.Addr()) {
				r.TrafficPath = 1
			}
		}
		il.flows[k] = r
	}
	r.Packets++
	r.Bytes += uint64(ip.TotalLen())
	r.End = ts
	r.TCPFlags |= flags
}

// closeWindows emits every interface's records for the window that ends
// now, or a NODATA record for an interface that saw nothing.
func (l *Log) closeWindows() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked(l.clock.Now())
}

func (l *Log) flushLocked(end time.Time) {
	v := versionOf(l.cfg.Fields)
	var out []Record
	for _, id := range l.order {
		il := l.ifaces[id]
		if len(il.flows) == 0 {
			out = append(out, Record{Version: v, AccountID: il.AccountID, InterfaceID: il.ID, VPCID: il.VPCID, SubnetID: il.SubnetID, InstanceID: il.InstanceID, Start: il.windowStart, End: end, LogStatus: "NODATA"})
		}
		var rs []Record
		for _, r := range il.flows {
			r.Version = v
			rs = append(rs, *r)
		}
		sort.Slice(rs, func(i, j int) bool {
			if !rs[i].Start.Equal(rs[j].Start) {
				return rs[i].Start.Before(rs[j].Start)
			}
			return rs[i].Format(DefaultFields) < rs[j].Format(DefaultFields)
		})
		out = append(out, rs...)
		il.flows = map[flowKey]*Record{}
		il.windowStart = end
	}
	l.records = append(l.records, out...)
	if l.cfg.File != nil && l.fileErr == nil {
		var b strings.Builder
		for _, r := range out {
			b.WriteString(r.Format(l.cfg.Fields))
			b.WriteByte('\n')
		}
		_, l.fileErr = io.WriteString(l.cfg.File, b.String())
	}
}

// Fields returns the log's record format.
func (l *Log) Fields() []string { return l.cfg.Fields }

// Interval returns the maximum aggregation interval.
func (l *Log) Interval() time.Duration { return l.cfg.Interval }

// Records returns the records of every window closed so far.
func (l *Log) Records() []Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Record(nil), l.records...)
}

// Lines returns Records formatted in the log's format.
func (l *Log) Lines() []string {
	var out []string
	for _, r := range l.Records() {
		out = append(out, r.Format(l.cfg.Fields))
	}
	return out
}

// Close emits the open window's records (cut short at now) and stops.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.fileErr
	}
	l.closed = true
	for _, s := range l.stops {
		s()
	}
	l.flushLocked(l.clock.Now())
	return l.fileErr
}
