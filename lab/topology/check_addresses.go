package topology

import "net/netip"

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

// public checks an address meant for the internet segment lies outside
// every VPC.
func (c *checker) public(path string, a netip.Addr) {
	if !a.IsValid() {
		return
	}
	for _, v := range c.t.Vpcs {
		if v.CidrBlock.IsValid() && v.CidrBlock.Contains(a) {
			c.add(path, "%s is inside VPC %s (%s): want an address on the internet", a, v.Name, v.CidrBlock)
		}
	}
}
