package topology_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	assert.ErrorContains(t, err, "laughs.yaml:7:8: Vpcs[0]: ", "placed at the alias that expands too far")
}

// The bound counts only what aliases expand to: a large file without any
// is read, however many values it holds (here 10,000 instances, each
// with an address and a service: more than 100,000 values).
func TestParseLargeFileWithoutAliases(t *testing.T) {
	var b strings.Builder
	b.WriteString("Vpcs:\n  - Name: big\n    CidrBlock: 10.0.0.0/16\n" +
		"    Subnets:\n      - Name: wide\n        CidrBlock: 10.0.0.0/17\n        AvailabilityZone: ap-northeast-1a\n" +
		"    Instances:\n")
	const n = 10_000
	for i := range n {
		fmt.Fprintf(&b, "      - Name: i%d\n        Subnet: wide\n        PrivateIpAddress: 10.0.%d.%d\n        SecurityGroups: [default]\n        Services:\n          - Type: tcp-echo\n            Port: 7\n",
			i, 1+i/200, 10+i%200)
	}
	require.NotContains(t, b.String(), "&", "no anchors")
	require.NotContains(t, b.String(), "*", "no aliases")
	top, err := topology.Parse("big.yaml", []byte(b.String()))
	require.NoError(t, err)
	require.Len(t, top.Vpcs, 1)
	assert.Len(t, top.Vpcs[0].Instances, n)
	assert.Equal(t, "i9999", top.Vpcs[0].Instances[n-1].Name)
}
