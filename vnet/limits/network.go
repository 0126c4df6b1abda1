package limits

import (
	"fmt"
	"net/netip"
)

// A VPC's and a subnet's IPv4 block is /16 to /28 (VPC User Guide, "VPC
// CIDR blocks").
const (
	MinBlockBits = 16
	MaxBlockBits = 28
)

// CheckBlock reports a VPC or subnet block outside AWS's netmasks.
func CheckBlock(p netip.Prefix) error {
	if p.Bits() < MinBlockBits || p.Bits() > MaxBlockBits {
		return fmt.Errorf("%s: the netmask must be between /%d and /%d", p, MinBlockBits, MaxBlockBits)
	}
	return nil
}

// PrivateRanges are the ranges an ip target's address must be in: RFC
// 1918's and RFC 6598's shared space (ELB User Guide, "Target type").
var PrivateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
}

// IsPrivate reports whether a is in one of PrivateRanges.
func IsPrivate(a netip.Addr) bool {
	for _, p := range PrivateRanges {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
