package topology

import (
	"fmt"
	"net/netip"
	"reflect"
)

// PublicPool is where omitted public addresses come from (TEST-NET-2, RFC
// 5737, as the reference scenario's public addresses).
var PublicPool = netip.MustParsePrefix("198.51.100.0/24")

// WithAddresses returns a copy of t with every address left out filled in,
// as AWS assigns them: an instance's, a NAT gateway's or a load balancer
// node's private address is the first free one of its subnet (past the
// four AWS reserves), a public address the first free one of PublicPool.
// Addresses given are kept and never handed out again. The same topology
// always gets the same addresses. t should have passed Validate.
func WithAddresses(t *Topology) (*Topology, error) {
	out := clone(t)
	used := map[netip.Addr]bool{}
	for _, a := range explicit(out) {
		used[a] = true
	}
	subnets := map[string]netip.Prefix{}
	for _, v := range out.Vpcs {
		for _, s := range v.Subnets {
			subnets[s.Name] = s.CidrBlock
		}
	}
	private := func(a *netip.Addr, subnet, path string) error {
		if a.IsValid() {
			return nil
		}
		p, ok := subnets[subnet]
		if !ok || !p.IsValid() {
			return &PathError{Path: path, Err: fmt.Errorf("no subnet %q to take an address from", subnet)}
		}
		last := lastAddr(p)
		for c := p.Masked().Addr().Next().Next().Next().Next(); c.Less(last); c = c.Next() {
			if !used[c] {
				used[c], *a = true, c
				return nil
			}
		}
		return &PathError{Path: path, Err: fmt.Errorf("subnet %s (%s) has no free address left", subnet, p)}
	}
	public := func(a *netip.Addr, path string) error {
		if a.IsValid() {
			return nil
		}
		for c := PublicPool.Addr().Next(); PublicPool.Contains(c); c = c.Next() {
			if !used[c] {
				used[c], *a = true, c
				return nil
			}
		}
		return &PathError{Path: path, Err: fmt.Errorf("no free public address left in %s", PublicPool)}
	}
	for i := range out.Vpcs {
		v := &out.Vpcs[i]
		for j := range v.NatGateways {
			n := &v.NatGateways[j]
			p := fmt.Sprintf("Vpcs[%d].NatGateways[%d]", i, j)
			if err := private(&n.PrivateIpAddress, n.Subnet, p+".PrivateIpAddress"); err != nil {
				return nil, err
			}
			if err := public(&n.PublicIp, p+".PublicIp"); err != nil {
				return nil, err
			}
		}
		for j := range v.Instances {
			in := &v.Instances[j]
			if err := private(&in.PrivateIpAddress, in.Subnet, fmt.Sprintf("Vpcs[%d].Instances[%d].PrivateIpAddress", i, j)); err != nil {
				return nil, err
			}
		}
	}
	for i := range out.LoadBalancers {
		lb := &out.LoadBalancers[i]
		for j := range lb.SubnetMappings {
			m := &lb.SubnetMappings[j]
			p := fmt.Sprintf("LoadBalancers[%d].SubnetMappings[%d]", i, j)
			if err := private(&m.PrivateIPv4Address, m.SubnetId, p+".PrivateIPv4Address"); err != nil {
				return nil, err
			}
			if lb.Scheme != "internal" {
				if err := public(&m.PublicIPv4Address, p+".PublicIPv4Address"); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// explicit lists every address the topology gives, internet ones included.
func explicit(t *Topology) []netip.Addr {
	var out []netip.Addr
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch {
		case v.Type() == addrType:
			if a := v.Interface().(netip.Addr); a.IsValid() {
				out = append(out, a)
			}
		case v.Type() == prefixType:
			// A machine's address with its link's prefix (203.0.113.10/24);
			// a network block's base address is never handed out anyway.
			if p := v.Interface().(netip.Prefix); p.IsValid() {
				out = append(out, p.Addr())
			}
		case v.Kind() == reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				walk(v.Field(i))
			}
		case v.Kind() == reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		case v.Kind() == reflect.String && v.String() != "":
			// ip targets are registered by address.
			if a, err := netip.ParseAddr(v.String()); err == nil {
				out = append(out, a)
			}
		}
	}
	walk(reflect.ValueOf(t).Elem())
	return out
}

// clone copies t deeply enough that filling addresses leaves t as it was.
func clone(t *Topology) *Topology {
	out := *t
	out.Vpcs = append([]VPC(nil), t.Vpcs...)
	for i := range out.Vpcs {
		out.Vpcs[i].NatGateways = append([]NatGateway(nil), t.Vpcs[i].NatGateways...)
		out.Vpcs[i].Instances = append([]Instance(nil), t.Vpcs[i].Instances...)
	}
	out.LoadBalancers = append([]LoadBalancer(nil), t.LoadBalancers...)
	for i := range out.LoadBalancers {
		out.LoadBalancers[i].SubnetMappings = append([]SubnetMapping(nil), t.LoadBalancers[i].SubnetMappings...)
	}
	return &out
}
