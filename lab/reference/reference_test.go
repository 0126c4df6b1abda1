package reference

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab/topology"
)

func TestTheScenarioIsAValidTopology(t *testing.T) {
	for _, c := range []Config{
		Default(),
		{Zones: []string{"1a", "1c"}, Targets: 4, NATGateway: true},
		{TargetType: "ip", ProxyProtocol: true, NLBSecurityGroup: true},
	} {
		top, err := c.Topology()
		require.NoError(t, err)
		assert.NoError(t, topology.Validate(top))
	}
	_, err := Config{Zones: []string{"1b"}}.Topology()
	assert.ErrorContains(t, err, `zones: "1b" is not a zone of the lab`)
	top, err := Config{}.Topology()
	require.NoError(t, err)
	assert.Len(t, top.Vpcs[0].Instances, 1, "zero fields keep the experiment's defaults")
	assert.Equal(t, FirstInstance, top.Vpcs[0].Instances[0].Name)
}
