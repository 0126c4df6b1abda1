package vnet

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vlab-sim/vlab/vnet/flowlog"
	"github.com/vlab-sim/vlab/vnet/packet"
)

// flowLogs are the network's flow logs; with none, a verdict costs one
// atomic load.
type flowLogs struct {
	mu   sync.Mutex
	list atomic.Pointer[[]*flowlog.Log]
}

// clockAdapter runs flow-log windows on the lab clock.
type clockAdapter struct{ c *Clock }

func (a clockAdapter) Now() time.Time { return a.c.Now() }
func (a clockAdapter) AfterFunc(d time.Duration, f func()) func() bool {
	return a.c.AfterFunc(d, f).Stop
}

// EnableFlowLogs starts a flow log on enis (every VPC interface when nil):
// the fabric's verdict at each of them, ACCEPT or REJECT, for every packet
// that crosses or is dropped there (VPC User Guide, "VPC Flow Logs").
func (n *Network) EnableFlowLogs(cfg flowlog.Config, enis []*ENI) (*flowlog.Log, error) {
	if enis == nil {
		for _, h := range n.Hosts() {
			for _, e := range h.ENIs() {
				if e.subnet != nil {
					enis = append(enis, e)
				}
			}
		}
	}
	var ifs []flowlog.Interface
	for _, e := range enis {
		if e.subnet == nil {
			return nil, fmt.Errorf("flow log: %s of %s is on the internet, not in a VPC", e.id, e.host.name)
		}
		ifs = append(ifs, flowlog.Interface{ID: e.id, AccountID: n.account, VPCID: e.subnet.vpc.id, SubnetID: e.subnet.id, InstanceID: e.instanceID, VPC: e.subnet.vpc.cidr, Addr: e.addr.Addr()})
	}
	l, err := flowlog.New(clockAdapter{n.clock}, cfg, ifs)
	if err != nil {
		return nil, err
	}
	n.flowLogs.mu.Lock()
	var cur []*flowlog.Log
	if p := n.flowLogs.list.Load(); p != nil {
		cur = *p
	}
	next := append(append([]*flowlog.Log(nil), cur...), l)
	n.flowLogs.list.Store(&next)
	n.flowLogs.mu.Unlock()
	return l, nil
}

// verdict tells the flow logs that p was accepted or rejected at e, on its
// way out (egress) or in.
func (n *Network) verdict(e *ENI, egress, accept bool, p *packet.Packet) {
	lp := n.flowLogs.list.Load()
	if lp == nil || e == nil || e.subnet == nil {
		return
	}
	action := "ACCEPT"
	if !accept {
		action = "REJECT"
	}
	now := n.clock.Now()
	for _, l := range *lp {
		l.Observe(e.id, now, egress, action, p.Bytes())
	}
}

func (n *Network) closeFlowLogs() {
	if lp := n.flowLogs.list.Load(); lp != nil {
		for _, l := range *lp {
			l.Close()
		}
	}
}
