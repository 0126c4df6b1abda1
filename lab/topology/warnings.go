package topology

import (
	"fmt"
	"net/netip"
	"slices"
)

// Warnings lists what a valid topology builds but a user probably did not
// mean: a target (an instance, or an ip target inside a subnet) in an
// Availability Zone none of its load balancers has a subnet in is unused
// (Target.NotInUse) and gets no traffic, cross-zone load balancing or not
// (ELB API Reference, "TargetHealth"). An ip target outside every subnet is
// in zone "all" and served from every zone. Paths are set, positions are
// not (Locate finds them).
func Warnings(t *Topology) []Problem {
	zoneOf := map[string]string{} // subnet -> zone
	instanceZone := map[string]string{}
	var subnets []Subnet
	for _, v := range t.Vpcs {
		for _, s := range v.Subnets {
			zoneOf[s.Name] = s.AvailabilityZone
			subnets = append(subnets, s)
		}
		for _, in := range v.Instances {
			instanceZone[in.Name] = zoneOf[in.Subnet]
		}
	}
	enabled := map[string][]string{} // target group -> zones of its load balancers
	for _, lb := range t.LoadBalancers {
		for _, ls := range lb.Listeners {
			for _, m := range lb.SubnetMappings {
				if z := zoneOf[m.SubnetId]; z != "" && !slices.Contains(enabled[ls.TargetGroupName], z) {
					enabled[ls.TargetGroupName] = append(enabled[ls.TargetGroupName], z)
				}
			}
		}
	}
	var out []Problem
	for i, tg := range t.TargetGroups {
		zones, used := enabled[tg.Name]
		if !used {
			continue
		}
		for j, tr := range tg.Targets {
			what, z, ok := "instance", instanceZone[tr.Id], false
			if tg.TargetType == "ip" {
				what = "ip target"
				if a, err := netip.ParseAddr(tr.Id); err == nil {
					for _, s := range subnets {
						if s.CidrBlock.Contains(a) {
							z, ok = s.AvailabilityZone, true
						}
					}
				}
			} else {
				_, ok = instanceZone[tr.Id]
			}
			if !ok || slices.Contains(zones, z) {
				continue
			}
			out = append(out, Problem{
				Path:    fmt.Sprintf("TargetGroups[%d].Targets[%d].Id", i, j),
				Message: fmt.Sprintf("%s %s is in %s, where no load balancer of target group %s has a subnet: it will be unused (Target.NotInUse) and get no traffic, cross-zone load balancing or not", what, tr.Id, z, tg.Name),
			})
		}
	}
	return out
}
