package lab

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/vlab-sim/vlab/vnet/flowlog"
)

// FlowLogInfo describes one of the lab's flow logs as DescribeFlowLogs
// answers it (EC2 API Reference, "FlowLog").
type FlowLogInfo struct {
	// ID is fl- and 17 hex digits, derived from what the log covers (the
	// lab's id counters are left alone, so other ids stay as they were).
	ID string
	// ResourceIDs are the AWS ids of the VPCs, subnets and instances the
	// log was created on; a load balancer's are its nodes' interfaces
	// (AWS logs a load balancer through them).
	ResourceIDs []string
	// LogFormat is the record format, ${field} ${field}….
	LogFormat string
	// Destination is the file the records go to ("" when they stay in the
	// lab).
	Destination string
	// MaxAggregationInterval is 60 or 600 seconds.
	MaxAggregationInterval int
	// Created is when the lab started it, on the lab clock.
	Created time.Time
	Log     *flowlog.Log
}

// FlowLogInfos returns the lab's flow logs, in Lab.FlowLogs' order.
func (l *Lab) FlowLogInfos() []FlowLogInfo { return append([]FlowLogInfo(nil), l.flowLogInfos...) }

// addFlowLogInfo records a flow log the lab started on resources (AWS
// ids).
func (l *Lab) addFlowLogInfo(log *flowlog.Log, resources []string, dest string) {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s/%s", len(l.flowLogInfos), strings.Join(resources, ","), dest)
	format := make([]string, 0, len(log.Fields()))
	for _, f := range log.Fields() {
		format = append(format, "${"+f+"}")
	}
	l.flowLogInfos = append(l.flowLogInfos, FlowLogInfo{
		ID: fmt.Sprintf("fl-%017x", h.Sum64()), ResourceIDs: resources, LogFormat: strings.Join(format, " "),
		Destination: dest, MaxAggregationInterval: int(log.Interval().Seconds()), Created: l.Net.Clock().Now(), Log: log,
	})
}

// resourceIDs returns the AWS ids of the topology resources named names.
func (b *builder) resourceIDs(names []string) []string {
	var out []string
	for _, n := range names {
		switch {
		case b.vpcs[n] != nil:
			out = append(out, b.vpcs[n].ID())
		case b.subnets[n] != nil:
			out = append(out, b.subnets[n].ID())
		case b.l.instanceNames[n] != nil:
			out = append(out, b.l.instanceNames[n].ID())
		case b.lbs[n] != nil:
			for _, nd := range b.lbs[n].Nodes() {
				out = append(out, nd.ENI().ID())
			}
		}
	}
	return out
}
