package topology

import (
	"fmt"
	"slices"
)

// Warnings lists what a valid topology builds but a user probably did not
// mean: an instance target in an Availability Zone none of its load
// balancers has a subnet in is unused (Target.NotInUse) and gets no
// traffic, cross-zone load balancing or not (ELB API Reference,
// "TargetHealth"). Paths are set, positions are not (Locate finds them).
func Warnings(t *Topology) []Problem {
	zoneOf := map[string]string{} // subnet -> zone
	instanceZone := map[string]string{}
	for _, v := range t.Vpcs {
		for _, s := range v.Subnets {
			zoneOf[s.Name] = s.AvailabilityZone
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
		if !used || tg.TargetType == "ip" {
			continue
		}
		for j, tr := range tg.Targets {
			z, ok := instanceZone[tr.Id]
			if !ok || slices.Contains(zones, z) {
				continue
			}
			out = append(out, Problem{
				Path:    fmt.Sprintf("TargetGroups[%d].Targets[%d].Id", i, j),
				Message: fmt.Sprintf("instance %s is in %s, where no load balancer of target group %s has a subnet: it will be unused (Target.NotInUse) and get no traffic, cross-zone load balancing or not", tr.Id, z, tg.Name),
			})
		}
	}
	return out
}
