package lab

import (
	"github.com/vlab-sim/vlab/lab/reference"
	"github.com/vlab-sim/vlab/lab/topology"
)

// firstTargetAlias names the selected target in host lookups (ec2).
const firstTargetAlias = reference.FirstInstance

// Spec returns the topology the lab of c is: c.Topology when set,
// otherwise the reference scenario (package reference) with c's switches
// applied.
func (c Config) Spec() (*topology.Topology, error) {
	if c.Topology != nil {
		return c.Topology, nil
	}
	if err := c.checkTimeScale(); err != nil {
		return nil, err
	}
	return c.Reference().Topology()
}

// Reference returns c's switches of the reference scenario.
func (c Config) Reference() reference.Config {
	return reference.Config{
		Seed: c.Seed, Zones: c.Zones, Targets: c.Targets, ListenerPort: c.ListenerPort, TargetPort: c.TargetPort,
		NoSGNLBRule: c.NoSGNLBRule, NoSGClientRule: c.NoSGClientRule, NLBSecurityGroup: c.NLBSecurityGroup,
		HealthCheck: c.HealthCheck, TargetGroupAttributes: c.TargetGroupAttributes,
		LoadBalancerAttributes: c.LoadBalancerAttributes, ListenerAttributes: c.ListenerAttributes,
		TargetType: c.TargetType, PreserveClientIP: c.PreserveClientIP, ProxyProtocol: c.ProxyProtocol,
		NATGateway: c.NATGateway,
	}
}
