package topology_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vlab-sim/vlab/lab/topology"
)

// Aliases of aliases cannot make a small file take forever: here 3 KB
// that would expand to 200 VPCs of 200 instances of 200 services.
func TestParseBillionLaughs(t *testing.T) {
	many := func(alias string) string {
		return "[" + strings.TrimSuffix(strings.Repeat(alias+", ", 200), ", ") + "]"
	}
	src := "Defs:\n" +
		"  - &s {Type: tcp-echo, Port: 7}\n" +
		"  - &ss " + many("*s") + "\n" +
		"  - &i {Name: x, Subnet: a, PrivateIpAddress: 10.0.0.10, Services: *ss}\n" +
		"  - &is " + many("*i") + "\n" +
		"  - &v {Name: v, CidrBlock: 10.0.0.0/16, Instances: *is}\n" +
		"Vpcs: " + many("*v") + "\n"
	_, err := topology.Parse("laughs.yaml", []byte(src))
	assert.ErrorContains(t, err, "the file expands to more than 100000 values")
}
