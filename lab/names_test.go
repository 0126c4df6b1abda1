package lab_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
)

// Every part of a lab is found by its topology name.
func TestPartsByName(t *testing.T) {
	c := lab.Default()
	c.ManualClock = true
	l := labtest.New(t, c)
	assert.Equal(t, l.TargetSecurityGroup, l.SecurityGroup("ssh-target"))
	assert.Equal(t, l.PrivateRouteTable, l.RouteTable("vlab-private"))
	assert.Equal(t, "10.0.128.0/20", l.Subnet("vlab-private-1a").CIDR().String())
	assert.Equal(t, l.TargetGroup, l.TargetGroupNamed("ssh-targets"))
	assert.Equal(t, l.NLB, l.LoadBalancer("vlab-nlb"))
	assert.Equal(t, l.Target, l.Instance("ec2"))
	assert.Nil(t, l.SecurityGroup("nope"))
	assert.Nil(t, l.RouteTable("nope"))
	assert.Nil(t, l.Subnet("nope"))
	assert.Nil(t, l.TargetGroupNamed("nope"))
}
