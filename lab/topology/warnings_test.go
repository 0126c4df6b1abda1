package topology

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An ip target in a subnet of a zone no load balancer of its group has
// enabled is unused (Target.NotInUse), as an instance there is; one outside
// every subnet is in zone "all" and served from every zone (ELB API
// Reference, "TargetHealth").
func TestWarningsNameIPTargetsInAZoneNotEnabled(t *testing.T) {
	ref, err := os.ReadFile("../../examples/reference.yaml")
	require.NoError(t, err)
	src := strings.Replace(string(ref), "    TargetType: instance\n", "    TargetType: ip\n", 1)
	src = strings.Replace(src, "      - Id: ec2\n", "      - Id: 10.0.128.108\n      - Id: 10.0.144.20\n      - Id: 10.0.250.10\n", 1)
	require.NotEqual(t, string(ref), src)
	top, err := Parse("ip.yaml", []byte(src))
	require.NoError(t, err)
	ws := Warnings(top)
	require.Len(t, ws, 1, "%v", ws)
	assert.Equal(t, "TargetGroups[0].Targets[1].Id", ws[0].Path)
	assert.Contains(t, ws[0].Message, "ip target 10.0.144.20 is in ap-northeast-1c, where no load balancer of target group ssh-targets has a subnet: it will be unused (Target.NotInUse)")
}
