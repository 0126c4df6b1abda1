package lab

import (
	"fmt"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/lab/reference"
	"github.com/vlab-sim/vlab/lab/topology"
	"github.com/vlab-sim/vlab/vnet/flowlog"
)

// Source is what a lab is built from: a *topology.Topology (a file's, or
// one built in Go), or a reference.Config (the reference scenario's
// switches).
type Source interface {
	Topology() (*topology.Topology, error)
}

// Config describes a lab: what to build (Topology) and how to run it. Every
// field applies to every lab; a zero field keeps its default.
type Config struct {
	// Topology is the lab to build; nil is the reference scenario
	// (reference.Default()).
	Topology Source
	// Seed makes every resource id reproducible; 0 keeps the topology's
	// (its Seed, or 1).
	Seed uint64

	// HostKey is the instances' SSH host key; ClientKey the client's
	// identity. Nil keys are generated for this lab only.
	HostKey   ssh.Signer
	ClientKey ssh.Signer
	// AuthorizedKeys may also log in to the instances (a user's own key).
	AuthorizedKeys []ssh.PublicKey

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
// 51512 to port 22. Its Topology is a *reference.Config, whose switches a
// caller may change: lab.Default().Topology.(*reference.Config).NATGateway
// = true, or build Config{Topology: reference.Config{NATGateway: true}}.
func Default() Config {
	r := reference.Default()
	return Config{Topology: &r}
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
