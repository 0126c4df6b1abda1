package flowlog

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Record is one flow-log record: one flow (5-tuple as seen at the
// interface) and action in one aggregation window, or a NODATA record.
type Record struct {
	Version     int
	AccountID   string
	InterfaceID string
	VPCID       string
	SubnetID    string
	InstanceID  string     // "" for interfaces of no instance
	Src, Dst    netip.Addr // srcaddr, dstaddr: the interface's own on its side
	// PktSrc and PktDst are the packet's own addresses (pkt-srcaddr,
	// pkt-dstaddr).
	PktSrc, PktDst netip.Addr
	SrcPort        uint16
	DstPort        uint16
	Protocol       uint8
	Packets        uint64
	Bytes          uint64
	Start, End     time.Time
	Action         string // ACCEPT, REJECT, or "" for NODATA
	LogStatus      string // OK, NODATA
	TCPFlags       uint8
	Direction      string // ingress, egress
	TrafficPath    int    // egress: 1 same VPC, 2 internet gateway; 0 otherwise
}

// DefaultFields is the default (version 2) format.
var DefaultFields = []string{"version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "action", "log-status"}

// fieldVersion is the flow-log version that introduced each field the lab
// supports (VPC User Guide, "Flow log records").
var fieldVersion = map[string]int{
	"version": 2, "account-id": 2, "interface-id": 2, "srcaddr": 2, "dstaddr": 2, "srcport": 2, "dstport": 2,
	"protocol": 2, "packets": 2, "bytes": 2, "start": 2, "end": 2, "action": 2, "log-status": 2,
	"vpc-id": 3, "subnet-id": 3, "instance-id": 3, "tcp-flags": 3, "type": 3, "pkt-srcaddr": 3, "pkt-dstaddr": 3,
	"flow-direction": 5, "traffic-path": 5,
}

// ParseFields reads a custom format: field names separated by spaces or
// commas, optionally as ${field}, in the order the user gives.
func ParseFields(s string) ([]string, error) {
	s = strings.NewReplacer(",", " ", "${", " ", "}", " ").Replace(s)
	fs := strings.Fields(s)
	if len(fs) == 0 {
		return nil, fmt.Errorf("flow log format: no fields")
	}
	for _, f := range fs {
		if _, ok := fieldVersion[f]; !ok {
			return nil, fmt.Errorf("flow log format: unknown field %q (the lab knows %s)", f, strings.Join(knownFields(), " "))
		}
	}
	return fs, nil
}

func knownFields() []string {
	out := append([]string(nil), DefaultFields...)
	return append(out, "vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr", "flow-direction", "traffic-path")
}

// versionOf is a format's version: the highest among its fields.
func versionOf(fields []string) int {
	v := 2
	for _, f := range fields {
		v = max(v, fieldVersion[f])
	}
	return v
}

// Format prints r with fields, "-" where a field does not apply.
func (r Record) Format(fields []string) string {
	out := make([]string, len(fields))
	nodata := r.LogStatus == "NODATA"
	for i, f := range fields {
		out[i] = r.field(f, nodata)
	}
	return strings.Join(out, " ")
}

func (r Record) field(f string, nodata bool) string {
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	switch f {
	case "version":
		return strconv.Itoa(r.Version)
	case "account-id":
		return r.AccountID
	case "interface-id":
		return r.InterfaceID
	case "vpc-id":
		return dash(r.VPCID)
	case "subnet-id":
		return dash(r.SubnetID)
	case "instance-id":
		return dash(r.InstanceID)
	case "start":
		return strconv.FormatInt(r.Start.Unix(), 10)
	case "end":
		return strconv.FormatInt(r.End.Unix(), 10)
	case "log-status":
		return r.LogStatus
	case "type":
		if nodata {
			return "-"
		}
		return "IPv4"
	}
	if nodata {
		return "-"
	}
	switch f {
	case "srcaddr":
		return r.Src.String()
	case "dstaddr":
		return r.Dst.String()
	case "pkt-srcaddr":
		if r.PktSrc.IsValid() {
			return r.PktSrc.String()
		}
		return r.Src.String()
	case "pkt-dstaddr":
		if r.PktDst.IsValid() {
			return r.PktDst.String()
		}
		return r.Dst.String()
	case "srcport":
		return strconv.Itoa(int(r.SrcPort))
	case "dstport":
		return strconv.Itoa(int(r.DstPort))
	case "protocol":
		return strconv.Itoa(int(r.Protocol))
	case "packets":
		return strconv.FormatUint(r.Packets, 10)
	case "bytes":
		return strconv.FormatUint(r.Bytes, 10)
	case "action":
		return r.Action
	case "tcp-flags":
		return strconv.Itoa(int(r.TCPFlags))
	case "flow-direction":
		return r.Direction
	case "traffic-path":
		if r.TrafficPath == 0 {
			return "-"
		}
		return strconv.Itoa(r.TrafficPath)
	}
	return "-"
}
