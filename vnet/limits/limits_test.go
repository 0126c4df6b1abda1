package limits

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEveryAttributeTakesItsDefault(t *testing.T) {
	for _, a := range Attributes {
		if a.Default == "" {
			continue
		}
		v, err := Check(a.Owner, "x", a.Key, a.Default)
		assert.NoError(t, err, "%s %s", a.Owner, a.Key)
		assert.Equal(t, a.Default, v)
		assert.NotEmpty(t, a.Source)
	}
}

func TestCheckSaysWhatIsRight(t *testing.T) {
	_, err := Check(TargetGroup, "web", "deregistration_delay.timeout_seconds", "3601")
	assert.EqualError(t, err, `target group web: deregistration_delay.timeout_seconds "3601": must be 0-3600`)
	var ae *AttributeError
	require.True(t, errors.As(err, &ae))
	assert.Equal(t, "deregistration_delay.timeout_seconds", ae.Key)

	v, err := Check(LoadBalancer, "nlb", "load_balancing.cross_zone.enabled", "TRUE")
	assert.NoError(t, err)
	assert.Equal(t, "true", v, "booleans in canonical form")
	_, err = Check(TargetGroup, "web", "load_balancing.cross_zone.enabled", "maybe")
	assert.EqualError(t, err, `target group web: load_balancing.cross_zone.enabled "maybe": must be true, false or use_load_balancer_configuration`)
	_, err = Check(Listener, "51512", "tcp.idle_timeout.seconds", "59")
	assert.EqualError(t, err, `listener 51512: tcp.idle_timeout.seconds "59": must be 60-6000`)
	_, err = Check(Listener, "51512", "nope", "1")
	assert.EqualError(t, err, `listener 51512: attribute "nope" is not supported by the lab`)
}

func TestNetworkLimits(t *testing.T) {
	assert.NoError(t, CheckBlock(netip.MustParsePrefix("10.0.0.0/16")))
	assert.EqualError(t, CheckBlock(netip.MustParsePrefix("10.0.0.0/8")), "10.0.0.0/8: the netmask must be between /16 and /28")
	assert.True(t, IsPrivate(netip.MustParseAddr("100.64.0.1")))
	assert.False(t, IsPrivate(netip.MustParseAddr("198.51.100.1")))
}

func TestSettingsDefaultsAreInRange(t *testing.T) {
	for _, s := range Settings {
		if s.Default != 0 {
			assert.NoError(t, s.Check(s.Default), s.Name)
		}
		assert.NotEmpty(t, s.Source, s.Name)
	}
	assert.EqualError(t, Get("HealthCheckIntervalSeconds").Check(301), "HealthCheckIntervalSeconds 301: must be 5-300")
	assert.Panics(t, func() { Get("NoSuchSetting") })
}
