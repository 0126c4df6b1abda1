package lab

import (
	"fmt"
	"time"

	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/flowlog"
)

// flowLogs starts the topology's flow logs, each on the interfaces of the
// resources it names; a LogDestination file is closed with the lab.
func (b *builder) flowLogs() error {
	for i, f := range b.t.FlowLogs {
		p := fmt.Sprintf("FlowLogs[%d]", i)
		cfg := flowlog.Config{Interval: time.Duration(f.MaxAggregationInterval) * time.Second}
		if f.LogFormat != "" {
			fields, err := flowlog.ParseFields(f.LogFormat)
			if err != nil {
				return at(p+".LogFormat", err)
			}
			cfg.Fields = fields
		}
		var enis []*vnet.ENI
		for j, id := range f.ResourceIds {
			es := b.enisOf(id)
			if len(es) == 0 {
				return at(fmt.Sprintf("%s.ResourceIds[%d]", p, j), fmt.Errorf("no VPC, subnet, instance or load balancer named %q", id))
			}
			enis = append(enis, es...)
		}
		// A read-only lab (validate, describe…) writes no file: the
		// records stay in the lab; it still says whether the file could
		// be written.
		if f.LogDestination != "" && b.l.Config.ReadOnly {
			if err := flowlog.CheckFile(f.LogDestination, cfg.Fields); err != nil {
				return at(p+".LogDestination", err)
			}
		}
		if f.LogDestination != "" && !b.l.Config.ReadOnly {
			file, header, err := flowlog.OpenFile(f.LogDestination, cfg.Fields)
			if err != nil {
				return at(p+".LogDestination", err)
			}
			b.l.AtClose(func() { file.Close() })
			cfg.File, cfg.SkipHeader = file, header
		}
		log, err := b.l.Net.EnableFlowLogs(cfg, enis)
		if err != nil {
			return at(p, err)
		}
		b.l.FlowLogs = append(b.l.FlowLogs, log)
		b.l.addFlowLogInfo(log, b.resourceIDs(f.ResourceIds), f.LogDestination)
	}
	return nil
}

// enisOf returns the interfaces of the resource named name.
func (b *builder) enisOf(name string) []*vnet.ENI {
	var out []*vnet.ENI
	inside := func(keep func(e *vnet.ENI) bool) {
		for _, h := range b.l.Net.Hosts() {
			for _, e := range h.ENIs() {
				if e.Subnet() != nil && keep(e) {
					out = append(out, e)
				}
			}
		}
	}
	switch {
	case b.vpcs[name] != nil:
		inside(func(e *vnet.ENI) bool { return e.Subnet().VPC() == b.vpcs[name] })
	case b.subnets[name] != nil:
		inside(func(e *vnet.ENI) bool { return e.Subnet() == b.subnets[name] })
	case b.l.instanceNames[name] != nil:
		out = append(out, b.l.instanceNames[name].ENI())
	case b.lbs[name] != nil:
		for _, nd := range b.lbs[name].Nodes() {
			out = append(out, nd.ENI())
		}
	}
	return out
}
