package lab_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/lab/topology"
	"github.com/vlab-sim/vlab/vnet"
)

// referenceWith is examples/reference.yaml with lines added to the
// instance.
func referenceWith(t *testing.T, lines string) []byte {
	t.Helper()
	b, err := os.ReadFile("../examples/reference.yaml")
	require.NoError(t, err)
	anchor := "        PrivateIpAddress: 10.0.128.108\n"
	require.Contains(t, string(b), anchor)
	return []byte(strings.Replace(string(b), anchor, anchor+lines, 1))
}

// An instance's ENI takes EC2's ConnectionTrackingSpecification from the
// topology; values outside AWS's ranges are placed in the file.
func TestTopologyConnectionTrackingSpecification(t *testing.T) {
	data := referenceWith(t, "        ConnectionTrackingSpecification:\n          TcpEstablishedTimeout: 350\n          UdpTimeout: 60\n")
	top, err := topology.Parse("ct.yaml", data)
	require.NoError(t, err)
	l := labtest.New(t, lab.Config{Topology: top})
	assert.Equal(t, vnet.ConnectionTracking{TcpEstablishedTimeout: 350, UdpStreamTimeout: 180, UdpTimeout: 60}, l.Target.ENI().ConnectionTracking())

	_, err = topology.Parse("ct.yaml", referenceWith(t, "        ConnectionTrackingSpecification:\n          UdpTimeout: 10\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ct.yaml:64:23: Vpcs[0].Instances[0].ConnectionTrackingSpecification.UdpTimeout: 10 is out of range (30-60)")
	assert.Contains(t, err.Error(), "Vpcs[0].Instances[0].ConnectionTrackingSpecification.UdpTimeout")
}

// An attribute the table refuses is placed at its key in the file, by the
// error's own key, not by searching its words.
func TestAttributeErrorsArePlacedAtTheirKey(t *testing.T) {
	b, err := os.ReadFile("../examples/reference.yaml")
	require.NoError(t, err)
	anchor := "    UnhealthyThresholdCount: 2\n"
	require.Contains(t, string(b), anchor)
	data := strings.Replace(string(b), anchor, anchor+"    TargetGroupAttributes:\n      stickiness.enabled: \"false\"\n      deregistration_delay.timeout_seconds: \"9999\"\n", 1)
	top, err := topology.Parse("attr.yaml", []byte(data))
	require.NoError(t, err)
	_, err = lab.New(lab.Config{Topology: top, ManualClock: true})
	var pe *topology.PathError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "TargetGroups[0].TargetGroupAttributes.deregistration_delay.timeout_seconds", pe.Path)
	assert.Contains(t, err.Error(), "must be 0-3600")
}

// An internet client with a private address could reach nothing (the
// internet gateway drops such sources): the file is refused at the field.
func TestInternetAddressesArePublic(t *testing.T) {
	b, err := os.ReadFile("../examples/reference.yaml")
	require.NoError(t, err)
	require.Contains(t, string(b), "IpAddress: 203.0.113.10/24")
	data := strings.Replace(string(b), "IpAddress: 203.0.113.10/24", "IpAddress: 172.16.5.10/24", 1)
	_, err = topology.Parse("private.yaml", []byte(data))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Internet.Clients[0].IpAddress: 172.16.5.10 is a private or reserved address")
}

// A target in an Availability Zone the load balancer has not enabled is
// unused (Target.NotInUse) and takes no traffic, cross-zone load balancing
// or not (ELB API Reference, "TargetHealth").
func TestTargetInAZoneNotEnabledIsUnused(t *testing.T) {
	b, err := os.ReadFile("../examples/reference.yaml")
	require.NoError(t, err)
	src := strings.Replace(string(b), "\nInternet:", `      - Name: web
        Subnet: vlab-private-1c
        SecurityGroups: [ssh-target]
        Services:
          - Type: ssh
            Port: 22

Internet:`, 1)
	src = strings.Replace(src, "      - Id: ec2\n", "      - Id: ec2\n      - Id: web\n", 1)
	src = strings.Replace(src, "    Type: network\n", "    Type: network\n    LoadBalancerAttributes:\n      load_balancing.cross_zone.enabled: \"true\"\n", 1)
	top, err := topology.Parse("az.yaml", []byte(src))
	require.NoError(t, err)
	l := labtest.New(t, lab.Config{Topology: top, ManualClock: true})
	require.True(t, l.TargetGroup.CrossZone(l.NLB))
	states := map[string]string{}
	for _, h := range l.TargetGroup.Health() {
		states[h.AvailabilityZone] = h.State + " " + h.Reason
	}
	assert.Equal(t, map[string]string{"ap-northeast-1a": "healthy ", "ap-northeast-1c": "unused Target.NotInUse"}, states)
	for range 10 {
		res, err := l.Run(context.Background(), "hostname")
		require.NoError(t, err)
		assert.Equal(t, "ip-10-0-128-108\n", res.Stdout, "every session lands in 1a")
	}
}
