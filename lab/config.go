package lab

import (
	"fmt"
	"github.com/vlab-sim/vlab/lab/reference"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/lab/topology"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/vnet/flowlog"
)

// Config describes a lab. Default returns the reference scenario; a zero
// field keeps its default. The fields up to NATGateway vary the reference
// scenario; Topology replaces it. The rest (keys, clock, captures,
// selection) apply to any lab.
type Config struct {
	// Seed makes every resource id reproducible.
	Seed uint64
	// Zones are the zone suffixes the NLB is enabled in ("1a", "1c").
	Zones []string
	// Targets is the number of instances registered behind the NLB,
	// spread over the enabled zones in turn.
	Targets int
	// ListenerPort is the NLB's TCP listener (51512).
	ListenerPort uint16
	// TargetPort is the target group's port, where the instances' SSH
	// servers listen (22).
	TargetPort uint16

	// HostKey is the instances' SSH host key; ClientKey the client's
	// identity. Nil keys are generated for this lab only.
	HostKey   ssh.Signer
	ClientKey ssh.Signer
	// AuthorizedKeys may also log in to the instances (a user's own key).
	AuthorizedKeys []ssh.PublicKey

	// NoSGNLBRule leaves out the target security group's rule for the NLB
	// nodes' private addresses (health checks then fail); NoSGClientRule
	// the rule for the client's address (sessions then cannot open).
	NoSGNLBRule    bool
	NoSGClientRule bool
	// NLBSecurityGroup creates the NLB with a security group (vlab-nlb:
	// TCP on the listener port from anywhere) and replaces the instances'
	// two address rules with one that references it, as AWS allows since
	// 2023.
	NLBSecurityGroup bool

	// HealthCheck overrides the target group's health-check settings
	// (zero fields keep AWS's defaults).
	HealthCheck nlb.HealthCheck
	// TargetGroupAttributes, LoadBalancerAttributes and ListenerAttributes
	// set attributes by AWS key (deregistration_delay.timeout_seconds,
	// load_balancing.cross_zone.enabled, tcp.idle_timeout.seconds…).
	TargetGroupAttributes  map[string]string
	LoadBalancerAttributes map[string]string
	ListenerAttributes     map[string]string

	// ManualClock keeps the lab clock frozen once the lab is built: it
	// moves only with Clock().Advance. Otherwise lab time follows the wall
	// clock, times TimeScale (1 when zero; at most MaxTimeScale).
	ManualClock bool
	TimeScale   float64

	// PcapDir, when set, receives one pcap file per ENI,
	// <host>-<eni-id>.pcap, written as packets cross it and closed with the
	// lab.
	PcapDir string

	// ReadOnly builds the lab without writing any file on the host: a
	// topology's flow-log LogDestination is not opened (its records stay in
	// the lab, Lab.FlowLogs). Validation and the commands that only read a
	// lab (vlab validate, describe, explain, health) set it.
	ReadOnly bool

	// TargetType is instance (the default) or ip: ip targets are
	// registered by address and, with TCP, do not preserve the client's
	// address unless PreserveClientIP says so.
	TargetType string
	// PreserveClientIP overrides the target group's
	// preserve_client_ip.enabled (AWS's default: on for instance, off for
	// ip targets).
	PreserveClientIP *bool
	// ProxyProtocol turns on proxy_protocol_v2.enabled, and the instances'
	// SSH servers unwrap the header.
	ProxyProtocol bool

	// NATGateway adds the reference scenario's NAT gateway (natgw: 10.0.0.50 in
	// the 1a public subnet, public 198.51.100.30) and the private route
	// table's 0.0.0.0/0 route to it, so instances can reach the internet.
	NATGateway bool

	// Topology, when set, is the lab to build, in place of the reference
	// scenario: the scenario's switches above are then ignored.
	Topology *topology.Topology
	// LoadBalancer and Target select, by name, the load balancer and the
	// instance the lab's shortcuts use (Lab.NLB, Lab.Target, Lab.SSH):
	// the first of each when empty.
	LoadBalancer string
	Target       string

	// Progress, when set, is told what New is doing: building, then the
	// targets' states as the first health checks run.
	Progress func(msg string)

	// FlowLogs, when set, starts a flow log on every VPC interface as the
	// lab is built (before the first health checks), read with
	// Lab.FlowLog.
	FlowLogs *flowlog.Config
}

// MaxTimeScale is the fastest lab time may run against the wall clock:
// at 1000, a 30-second health-check interval passes every 30 ms.
const MaxTimeScale = 1000

// Region and addresses of the reference scenario (ARCHITECTURE.md).
const (
	Region    = topology.Region
	AccountID = "123456789012"
)

// Default returns the reference scenario: NLB in 1a, one target, listener
// 51512 to port 22 (reference.Default's switches).
func Default() Config {
	r := reference.Default()
	return Config{Seed: r.Seed, Zones: r.Zones, Targets: r.Targets, ListenerPort: r.ListenerPort, TargetPort: r.TargetPort}
}

// checkTimeScale refuses a TimeScale lab time cannot run at.
func (c *Config) checkTimeScale() error {
	// Zero is the default (1); NaN fails every comparison, so it is
	// refused by the negated test.
	if !(c.TimeScale >= 0 && c.TimeScale <= MaxTimeScale) {
		return fmt.Errorf("TimeScale: %v is out of range: want more than 0 and at most %d (or 0 for the wall clock's pace, 1)", c.TimeScale, MaxTimeScale)
	}
	return nil
}
