package topology_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab/topology"
)

// base is a small valid topology the broken files below change one line
// of.
const base = `Vpcs:
  - Name: v
    CidrBlock: 10.0.0.0/16
    InternetGateway: igw
    RouteTables:
      - Name: pub
        Routes:
          - DestinationCidrBlock: 0.0.0.0/0
            GatewayId: igw
    Subnets:
      - Name: pub-a
        CidrBlock: 10.0.0.0/24
        AvailabilityZone: ap-northeast-1a
        RouteTable: pub
      - Name: priv-a
        CidrBlock: 10.0.1.0/24
        AvailabilityZone: ap-northeast-1a
    SecurityGroups:
      - GroupName: web
        SecurityGroupIngress:
          - IpProtocol: tcp
            FromPort: 80
            ToPort: 80
            CidrIp: 0.0.0.0/0
    Instances:
      - Name: web-1
        Subnet: priv-a
        PrivateIpAddress: 10.0.1.10
        SecurityGroups: [web]
        Services:
          - Type: http-echo
            Port: 80
Internet:
  Clients:
    - Name: pc
      IpAddress: 203.0.113.10/24
LoadBalancers:
  - Name: lb
    SubnetMappings:
      - SubnetId: pub-a
        PrivateIPv4Address: 10.0.0.10
        PublicIPv4Address: 198.51.100.10
    Listeners:
      - Port: 80
        TargetGroupName: tg
TargetGroups:
  - Name: tg
    Port: 80
    VpcId: v
    Targets:
      - Id: web-1
`

func TestParseBase(t *testing.T) {
	top, err := topology.Parse("base.yaml", []byte(base))
	require.NoError(t, err)
	require.Len(t, top.Vpcs, 1)
	assert.Equal(t, netip.MustParsePrefix("10.0.1.0/24"), top.Vpcs[0].Subnets[1].CidrBlock)
	assert.Equal(t, "web-1", top.TargetGroups[0].Targets[0].Id)
	assert.Equal(t, 80, top.LoadBalancers[0].Listeners[0].Port)
}

// TestParseBroken changes one thing in base and expects the problem at
// the line and column of the change, naming the field.
func TestParseBroken(t *testing.T) {
	for _, tc := range []struct {
		name, old, new string
		want           string
	}{
		{"unknown key", "    InternetGateway: igw", "    InternetGateway: igw\n    Colour: blue", `lab.yaml:5:5: Vpcs[0].Colour: unknown key "Colour"`},
		{"misspelt key", "        AvailabilityZone: ap-northeast-1a\n        RouteTable", "        AvailabilityZon: ap-northeast-1a\n        RouteTable", `lab.yaml:13:9: Vpcs[0].Subnets[0].AvailabilityZon: unknown key "AvailabilityZon" (did you mean AvailabilityZone?)`},
		{"bad CIDR", "CidrBlock: 10.0.1.0/24", "CidrBlock: 10.0.1.0/33", `lab.yaml:16:20: Vpcs[0].Subnets[1].CidrBlock: "10.0.1.0/33" is not an IPv4 CIDR block`},
		{"host bits", "CidrBlock: 10.0.1.0/24", "CidrBlock: 10.0.1.5/24", `lab.yaml:16:20: Vpcs[0].Subnets[1].CidrBlock: 10.0.1.5/24 has host bits set: the block is 10.0.1.0/24`},
		{"overlapping subnets", "CidrBlock: 10.0.1.0/24", "CidrBlock: 10.0.0.128/25", `lab.yaml:16:20: Vpcs[0].Subnets[1].CidrBlock: 10.0.0.128/25 overlaps subnet pub-a (10.0.0.0/24)`},
		{"subnet outside the VPC", "CidrBlock: 10.0.1.0/24", "CidrBlock: 10.1.1.0/24", `lab.yaml:16:20: Vpcs[0].Subnets[1].CidrBlock: 10.1.1.0/24 is outside the VPC's block 10.0.0.0/16`},
		{"route to a missing gateway", "            GatewayId: igw", "            GatewayId: igw-2", `lab.yaml:9:24: Vpcs[0].RouteTables[0].Routes[0].GatewayId: no internet gateway named "igw-2" is attached to VPC v (its gateway is igw)`},
		{"route to a missing NAT gateway", "            GatewayId: igw", "            NatGatewayId: nat", `lab.yaml:9:27: Vpcs[0].RouteTables[0].Routes[0].NatGatewayId: no NAT gateway named "nat" in VPC v (none is defined)`},
		{"missing route table", "        RouteTable: pub", "        RouteTable: public", `lab.yaml:14:21: Vpcs[0].Subnets[0].RouteTable: no route table named "public" in VPC v`},
		{"bad zone", "AvailabilityZone: ap-northeast-1a\n        RouteTable", "AvailabilityZone: us-east-1a\n        RouteTable", `lab.yaml:13:27: Vpcs[0].Subnets[0].AvailabilityZone: "us-east-1a" is not a zone of ap-northeast-1`},
		{"address outside its subnet", "PrivateIpAddress: 10.0.1.10", "PrivateIpAddress: 10.0.2.10", `lab.yaml:28:27: Vpcs[0].Instances[0].PrivateIpAddress: 10.0.2.10 is outside subnet priv-a (10.0.1.0/24)`},
		{"reserved address", "PrivateIpAddress: 10.0.1.10", "PrivateIpAddress: 10.0.1.2", `lab.yaml:28:27: Vpcs[0].Instances[0].PrivateIpAddress: 10.0.1.2 is reserved by AWS in subnet priv-a`},
		{"missing group", "SecurityGroups: [web]", "SecurityGroups: [webs]", `lab.yaml:29:26: Vpcs[0].Instances[0].SecurityGroups[0]: no security group named "webs" in VPC v (defined: default, web)`},
		{"port range", "            ToPort: 80", "            ToPort: 70", `lab.yaml:21:13: Vpcs[0].SecurityGroups[0].SecurityGroupIngress[0]: the range 80-70 is empty`},
		{"port out of range", "      - Port: 80\n        TargetGroupName", "      - Port: 70000\n        TargetGroupName", `lab.yaml:44:15: LoadBalancers[0].Listeners[0].Port: 70000 is out of range (1-65535)`},
		{"not a number", "      - Port: 80\n        TargetGroupName", "      - Port: eighty\n        TargetGroupName", `lab.yaml:44:15: LoadBalancers[0].Listeners[0].Port: "eighty" is not a whole number`},
		{"missing target group", "TargetGroupName: tg", "TargetGroupName: tg2", `lab.yaml:45:26: LoadBalancers[0].Listeners[0].TargetGroupName: no target group named "tg2" (defined: tg)`},
		{"target outside the VPC", "    VpcId: v\n    Targets:\n      - Id: web-1", "    VpcId: v\n    TargetType: ip\n    Targets:\n      - Id: 10.9.0.1", `lab.yaml:52:13: TargetGroups[0].Targets[0].Id: 10.9.0.1 is outside the target group's VPC v (10.0.0.0/16): AWS takes it for a peered VPC`},
		{"public ip target", "    VpcId: v\n    Targets:\n      - Id: web-1", "    VpcId: v\n    TargetType: ip\n    Targets:\n      - Id: 203.0.113.9", `lab.yaml:52:13: TargetGroups[0].Targets[0].Id: 203.0.113.9 is a public address: ip targets are private`},
		{"unknown instance target", "      - Id: web-1", "      - Id: web-9", `lab.yaml:51:13: TargetGroups[0].Targets[0].Id: no instance named "web-9"`},
		{"missing required field", "    Port: 80\n    VpcId: v", "    Port: 80", `lab.yaml:47:5: TargetGroups[0].VpcId: required, and missing`},
		{"bad enum", "  - Name: lb\n", "  - Name: lb\n    Scheme: public\n", `lab.yaml:39:13: LoadBalancers[0].Scheme: "public" is not one of internet-facing, internal`},
		{"key given twice", "PrivateIPv4Address: 10.0.0.10", "PrivateIPv4Address: 10.0.0.10\n        PublicIPv4Address: 198.51.100.11", `lab.yaml:43:9: LoadBalancers[0].SubnetMappings[0].PublicIPv4Address: given twice`},
		{"address used twice", "PublicIPv4Address: 198.51.100.10", "PublicIPv4Address: 203.0.113.10", `lab.yaml:42:28: LoadBalancers[0].SubnetMappings[0].PublicIPv4Address: 203.0.113.10 is already used by Internet.Clients[0].IpAddress`},
		{"a list where a value goes", "    CidrBlock: 10.0.0.0/16", "    CidrBlock: [10.0.0.0/16]", `lab.yaml:3:16: Vpcs[0].CidrBlock: want a single value, not a list`},
		{"target group of two load balancers", "TargetGroups:\n", "  - Name: lb2\n    SubnetMappings: [{SubnetId: pub-a}]\n    Listeners: [{Port: 81, TargetGroupName: tg}]\nTargetGroups:\n", `lab.yaml:48:45: LoadBalancers[1].Listeners[0].TargetGroupName: target group tg is already used by load balancer lb (a target group serves one load balancer)`},
		{"not YAML", "Vpcs:\n", "Vpcs: [\n", `lab.yaml:`},
		{"negative seed", "Vpcs:\n", "Seed: -1\nVpcs:\n", `lab.yaml:1:7: Seed: "-1" is not a non-negative whole number (want 0 to 18446744073709551615)`},
		{"fractional seed", "Vpcs:\n", "Seed: 1.5\nVpcs:\n", `lab.yaml:1:7: Seed: "1.5" is not a non-negative whole number (want 0 to 18446744073709551615)`},
		{"seed past uint64", "Vpcs:\n", "Seed: 18446744073709551616\nVpcs:\n", `lab.yaml:1:7: Seed: "18446744073709551616" is not a non-negative whole number`},
		{"client on /0", "203.0.113.10/24", "203.0.113.10/0", `lab.yaml:36:18: Internet.Clients[0].IpAddress: 203.0.113.10/0: a /0 prefix makes the whole internet one link: want the address with its link's prefix, such as 203.0.113.10/24`},
		{"unspecified client", "203.0.113.10/24", "0.0.0.0/0", `lab.yaml:36:18: Internet.Clients[0].IpAddress: 0.0.0.0 is the unspecified address, not an address a host on the internet can have: want a public unicast address, such as 203.0.113.10`},
		{"this-network client", "203.0.113.10/24", "0.1.2.3/8", `lab.yaml:36:18: Internet.Clients[0].IpAddress: 0.1.2.3 is in 0.0.0.0/8, "this network" (RFC 1122), not an address a host`},
		{"loopback client", "203.0.113.10/24", "127.0.0.1/8", `lab.yaml:36:18: Internet.Clients[0].IpAddress: 127.0.0.1 is a loopback address (127.0.0.0/8), not an address a host on the internet can have`},
		{"multicast client", "203.0.113.10/24", "224.0.0.5/24", `lab.yaml:36:18: Internet.Clients[0].IpAddress: 224.0.0.5 is a multicast address (224.0.0.0/4)`},
		{"link-local client", "203.0.113.10/24", "169.254.169.254/16", `lab.yaml:36:18: Internet.Clients[0].IpAddress: 169.254.169.254 is a link-local address (169.254.0.0/16)`},
		{"limited broadcast client", "203.0.113.10/24", "255.255.255.255/32", `lab.yaml:36:18: Internet.Clients[0].IpAddress: 255.255.255.255 is the limited broadcast address`},
		{"network address client", "203.0.113.10/24", "203.0.113.0/24", `lab.yaml:36:18: Internet.Clients[0].IpAddress: 203.0.113.0/24: 203.0.113.0 is the network address of 203.0.113.0/24, not a host's: want an address inside it, such as 203.0.113.1/24`},
		{"broadcast address client", "203.0.113.10/24", "203.0.113.255/24", `lab.yaml:36:18: Internet.Clients[0].IpAddress: 203.0.113.255/24: 203.0.113.255 is the broadcast address of 203.0.113.0/24, not a host's: want an address inside it, such as 203.0.113.254/24`},
		{"loopback server", "      IpAddress: 203.0.113.10/24\n", "      IpAddress: 203.0.113.10/24\n  Servers:\n    - Name: s\n      IpAddress: 127.0.0.1/8\n", `lab.yaml:39:18: Internet.Servers[0].IpAddress: 127.0.0.1 is a loopback address`},
		{"loopback NLB address", "PublicIPv4Address: 198.51.100.10", "PublicIPv4Address: 127.0.0.1", `lab.yaml:42:28: LoadBalancers[0].SubnetMappings[0].PublicIPv4Address: 127.0.0.1 is a loopback address (127.0.0.0/8)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(base, tc.old, tc.new, 1)
			require.NotEqual(t, base, src, "the change applies")
			_, err := topology.Parse("lab.yaml", []byte(src))
			require.Error(t, err)
			var ps topology.Problems
			require.ErrorAs(t, err, &ps)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestParseReportsEveryProblem: one run lists them all, in file order.
func TestParseReportsEveryProblem(t *testing.T) {
	src := strings.NewReplacer(
		"CidrBlock: 10.0.1.0/24", "CidrBlock: 10.0.0.0/25",
		"GatewayId: igw", "GatewayId: nope",
		"      - Port: 80\n", "      - Port: 0\n",
	).Replace(base)
	_, err := topology.Parse("lab.yaml", []byte(src))
	var ps topology.Problems
	require.ErrorAs(t, err, &ps)
	// The overlap also leaves the instance outside its shrunk subnet.
	require.Len(t, ps, 4, "%v", err)
	var lines []int
	for _, p := range ps {
		lines = append(lines, p.Line)
	}
	assert.Equal(t, []int{9, 16, 28, 44}, lines)
	assert.Regexp(t, `^lab.yaml:9:24: Vpcs\[0\]\.RouteTables\[0\]\.Routes\[0\]\.GatewayId: `, ps[0].String())
}

func TestParseEmpty(t *testing.T) {
	_, err := topology.Parse("empty.yaml", nil)
	assert.EqualError(t, err, "empty.yaml:1:1: the file is empty: want a topology (Vpcs, Internet, LoadBalancers, TargetGroups)")
}

// examples reads every example file of the repository, by path.
func examples(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("../../examples/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		out[f] = data
	}
	return out
}

// TestExamplesParse: every example in the repository is a valid topology.
func TestExamplesParse(t *testing.T) {
	for f, data := range examples(t) {
		_, err := topology.Parse(f, data)
		assert.NoError(t, err, f)
	}
}

func TestValidateGo(t *testing.T) {
	top := &topology.Topology{Vpcs: []topology.VPC{{Name: "v", CidrBlock: netip.MustParsePrefix("10.0.0.0/8")}}}
	err := topology.Validate(top)
	assert.EqualError(t, err, "Vpcs[0].CidrBlock: 10.0.0.0/8: the netmask must be between /16 and /28")
}

// Marshal writes what Parse reads back the same.
func TestMarshalRoundTrip(t *testing.T) {
	files := examples(t)
	files["base"] = []byte(base)
	for f, data := range files {
		want, err := topology.Parse(f, data)
		require.NoError(t, err)
		out, err := topology.Marshal(want)
		require.NoError(t, err)
		got, err := topology.Parse("marshalled", out)
		require.NoError(t, err, string(out))
		assert.Equal(t, want, got, string(out))
	}
}

// Addresses AWS would assign may be left out: they are filled in, the
// first free ones, deterministically, never one given elsewhere.
func TestWithAddresses(t *testing.T) {
	src := strings.NewReplacer(
		"        PrivateIpAddress: 10.0.1.10\n", "",
		"        PrivateIPv4Address: 10.0.0.10\n        PublicIPv4Address: 198.51.100.10\n", "",
	).Replace(base)
	src = strings.Replace(src, "    Instances:\n", `    Instances:
      - Name: fixed
        Subnet: priv-a
        PrivateIpAddress: 10.0.1.4
`, 1)
	src = strings.Replace(src, "    Subnets:\n", `    NatGateways:
      - {Name: nat, Subnet: pub-a}
    Subnets:
`, 1)
	top, err := topology.Parse("lab.yaml", []byte(src))
	require.NoError(t, err)
	assert.False(t, top.LoadBalancers[0].SubnetMappings[0].PrivateIPv4Address.IsValid())

	full, err := topology.WithAddresses(top)
	require.NoError(t, err)
	assert.False(t, top.Vpcs[0].Instances[1].PrivateIpAddress.IsValid(), "the topology given is left as it was")
	assert.NoError(t, topology.Validate(full))
	v := full.Vpcs[0]
	assert.Equal(t, "10.0.1.5", v.Instances[1].PrivateIpAddress.String(), "past the reserves and the address given")
	assert.Equal(t, "10.0.0.4", v.NatGateways[0].PrivateIpAddress.String())
	assert.Equal(t, "198.51.100.1", v.NatGateways[0].PublicIp.String())
	m := full.LoadBalancers[0].SubnetMappings[0]
	assert.Equal(t, "10.0.0.5", m.PrivateIPv4Address.String())
	assert.Equal(t, "198.51.100.2", m.PublicIPv4Address.String())

	again, err := topology.WithAddresses(top)
	require.NoError(t, err)
	assert.Equal(t, full, again, "the same every time")
}

// Seed takes every uint64 (whole numbers past int64's range were refused
// as "not a whole number"), and an internet host may sit on a /31 or /32.
func TestParseAcceptsEdgeValues(t *testing.T) {
	src := strings.Replace(base, "Vpcs:\n", "Seed: 18446744073709551615\nVpcs:\n", 1)
	src = strings.Replace(src, "203.0.113.10/24", "203.0.113.10/31", 1)
	top, err := topology.Parse("lab.yaml", []byte(src))
	require.NoError(t, err)
	assert.Equal(t, uint64(18446744073709551615), top.Seed)
	for _, a := range []string{"203.0.113.11/31", "203.0.113.10/32", "203.0.113.1/24", "203.0.113.254/24"} {
		top.Internet.Clients[0].IpAddress = netip.MustParsePrefix(a)
		assert.NoError(t, topology.Validate(top), a)
	}
}

// A topology built in Go is held to the same rule as a file.
func TestValidateRefusesALoopbackClient(t *testing.T) {
	top, err := topology.Parse("lab.yaml", []byte(base))
	require.NoError(t, err)
	top.Internet.Clients[0].IpAddress = netip.MustParsePrefix("127.0.0.1/8")
	assert.EqualError(t, topology.Validate(top), "Internet.Clients[0].IpAddress: 127.0.0.1 is a loopback address (127.0.0.0/8), not an address a host on the internet can have: want a public unicast address, such as 203.0.113.10")
}
