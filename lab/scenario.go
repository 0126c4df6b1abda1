package lab

import (
	"github.com/vlab-sim/vlab/lab/reference"
	"github.com/vlab-sim/vlab/lab/topology"
)

// firstTargetAlias names the selected target in host lookups (ec2).
const firstTargetAlias = reference.FirstInstance

// Spec returns the topology the lab of c is: its Topology's, or the
// reference scenario's when it has none.
func (c Config) Spec() (*topology.Topology, error) {
	if err := c.checkTimeScale(); err != nil {
		return nil, err
	}
	if c.Topology == nil {
		return reference.Default().Topology()
	}
	return c.Topology.Topology()
}
