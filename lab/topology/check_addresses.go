package topology

import (
	"net/netip"

	"github.com/vlab-sim/vlab/vnet/limits"
)

// address claims a for path, or reports the address already in use.
func (c *checker) address(path string, a netip.Addr) {
	if !a.IsValid() {
		return
	}
	if prev, ok := c.addrs[a]; ok {
		c.add(path, "%s is already used by %s", a, prev)
		return
	}
	c.addrs[a] = path
}

// inSubnet checks that a is an address an ENI can take in s: inside it and
// not one of the five AWS reserves (VPC User Guide, "Subnet CIDR blocks").
func (c *checker) inSubnet(path string, a netip.Addr, s subnetRef) {
	p := s.s.CidrBlock
	if !a.IsValid() || !p.IsValid() {
		return
	}
	if !p.Contains(a) {
		c.add(path, "%s is outside subnet %s (%s)", a, s.s.Name, p)
		return
	}
	first := p.Masked().Addr()
	last := lastAddr(p)
	if a == last || a.Less(first.Next().Next().Next().Next()) {
		c.add(path, "%s is reserved by AWS in subnet %s (its first four addresses and the last)", a, s.s.Name)
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n |= 1<<(32-p.Bits()) - 1
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

// public checks an address meant for the internet segment is one a host
// can have (not unspecified, loopback, multicast, link-local or the
// broadcast address) and lies outside every VPC. It reports whether the
// address may be used.
func (c *checker) public(path string, a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	if why := notAHost(a); why != "" {
		c.add(path, "%s is %s, not an address a host on the internet can have: want a public unicast address, such as 203.0.113.10", a, why)
		return false
	}
	if limits.IsPrivate(a) || reserved.Contains(a) {
		// The internet gateway drops packets from the internet with such
		// a source (anti-spoofing), so such a host could reach nothing.
		c.add(path, "%s is a private or reserved address: the internet does not carry it (an internet gateway drops what it sends): want a public unicast address, such as 203.0.113.10", a)
		return false
	}
	for _, v := range c.t.Vpcs {
		if v.CidrBlock.IsValid() && v.CidrBlock.Contains(a) {
			c.add(path, "%s is inside VPC %s (%s): want an address on the internet", a, v.Name, v.CidrBlock)
		}
	}
	return true
}

// notAHost says what kind of address a is when no host can have it as its
// own, or "".
func notAHost(a netip.Addr) string {
	switch {
	case a.IsUnspecified():
		return "the unspecified address"
	case thisNetwork.Contains(a):
		return "in 0.0.0.0/8, \"this network\" (RFC 1122)"
	case a.IsLoopback():
		return "a loopback address (127.0.0.0/8)"
	case a.IsMulticast():
		return "a multicast address (224.0.0.0/4)"
	case a.IsLinkLocalUnicast():
		return "a link-local address (169.254.0.0/16)"
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the limited broadcast address"
	}
	return ""
}

var (
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	reserved    = netip.MustParsePrefix("240.0.0.0/4")
)

// hostOnLink checks an internet machine's address with its link's prefix
// (203.0.113.10/24): a host address, not the whole internet, nor the
// network or broadcast address of its prefix.
func (c *checker) hostOnLink(path string, p netip.Prefix) bool {
	if !p.IsValid() {
		return false
	}
	if !c.public(path, p.Addr()) {
		return false
	}
	a := p.Addr()
	switch {
	case p.Bits() == 0:
		c.add(path, "%s: a /0 prefix makes the whole internet one link: want the address with its link's prefix, such as %s/24", p, a)
	case p.Bits() <= 30 && a == p.Masked().Addr():
		c.add(path, "%s: %s is the network address of %s, not a host's: want an address inside it, such as %s/%d", p, a, p.Masked(), a.Next(), p.Bits())
	case p.Bits() <= 30 && a == lastAddr(p):
		c.add(path, "%s: %s is the broadcast address of %s, not a host's: want an address inside it, such as %s/%d", p, a, p.Masked(), a.Prev(), p.Bits())
	default:
		return true
	}
	return false
}
