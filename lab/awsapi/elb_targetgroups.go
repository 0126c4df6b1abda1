package awsapi

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/target"
)

// targetGroup finds a target group by ARN (ELB API Reference:
// TargetGroupNotFound).
func (c *call) targetGroup(arn string) (*nlb.TargetGroup, *apiError) {
	if arn == "" {
		return nil, badRequest("ValidationError", "A target group ARN must be specified")
	}
	for _, tg := range c.s.l.TargetGroups {
		if tg.ARN() == arn {
			return tg, nil
		}
	}
	return nil, badRequest("TargetGroupNotFound", "Target groups '%s' not found", arn)
}

func describeTargetGroups(c *call) (any, *apiError) {
	arns, names, lbArn := c.list("TargetGroupArns.member"), c.list("Names.member"), c.params.Get("LoadBalancerArn")
	var tgs []*nlb.TargetGroup
	switch {
	case len(arns) > 0:
		for _, a := range arns {
			tg, aerr := c.targetGroup(a)
			if aerr != nil {
				return nil, aerr
			}
			tgs = append(tgs, tg)
		}
	case len(names) > 0:
		for _, n := range names {
			var found *nlb.TargetGroup
			for _, tg := range c.s.l.TargetGroups {
				if tg.Name() == n {
					found = tg
				}
			}
			if found == nil {
				return nil, badRequest("TargetGroupNotFound", "One or more target groups not found")
			}
			tgs = append(tgs, found)
		}
	case lbArn != "":
		lb, aerr := c.loadBalancer(lbArn)
		if aerr != nil {
			return nil, aerr
		}
		seen := map[*nlb.TargetGroup]bool{}
		for _, li := range lb.Listeners() {
			// Each group once, however many listeners forward to it.
			if !seen[li.TargetGroup] {
				seen[li.TargetGroup] = true
				tgs = append(tgs, li.TargetGroup)
			}
		}
	default:
		tgs = c.s.l.TargetGroups
	}
	start, end, next, aerr := c.elbPage(len(tgs))
	if aerr != nil {
		return nil, aerr
	}
	var out struct {
		TargetGroups []elbTargetGroup `xml:"TargetGroups>member"`
		NextMarker   string           `xml:",omitempty"`
	}
	out.TargetGroups = []elbTargetGroup{}
	for _, tg := range tgs[start:end] {
		out.TargetGroups = append(out.TargetGroups, c.describeTargetGroup(tg))
	}
	out.NextMarker = next
	return out, nil
}

func (c *call) describeTargetGroup(tg *nlb.TargetGroup) elbTargetGroup {
	hc := tg.HealthCheck()
	d := elbTargetGroup{
		TargetGroupArn: tg.ARN(), TargetGroupName: tg.Name(), Protocol: tg.Protocol(), Port: int(tg.Port()), VpcId: tg.VPC().ID(),
		HealthCheckProtocol: hc.Protocol, HealthCheckPort: hc.Port, HealthCheckEnabled: true,
		HealthCheckIntervalSeconds: hc.IntervalSeconds, HealthCheckTimeoutSeconds: hc.TimeoutSeconds,
		HealthyThresholdCount: hc.HealthyThresholdCount, UnhealthyThresholdCount: hc.UnhealthyThresholdCount,
		TargetType: tg.TargetType(), IpAddressType: "ipv4", LoadBalancerArns: []string{},
	}
	if hc.Protocol == "HTTP" {
		d.HealthCheckPath, d.Matcher = hc.Path, &elbMatcher{hc.Matcher}
	}
	for _, lb := range c.s.l.LoadBalancers {
		for _, li := range lb.Listeners() {
			if li.TargetGroup == tg {
				d.LoadBalancerArns = append(d.LoadBalancerArns, lb.ARN())
				break
			}
		}
	}
	return d
}

func describeTargetGroupAttributes(c *call) (any, *apiError) {
	tg, aerr := c.targetGroup(c.params.Get("TargetGroupArn"))
	if aerr != nil {
		return nil, aerr
	}
	return attributesOf(tg.Attributes()), nil
}

func modifyTargetGroupAttributes(c *call) (any, *apiError) {
	tg, aerr := c.targetGroup(c.params.Get("TargetGroupArn"))
	if aerr != nil {
		return nil, aerr
	}
	return c.modifyAttributes(tg, tg.Name())
}

// targetParams reads Targets.member.N.Id/Port as the group's targets: an
// instance target's id must name an instance of the lab, an ip target's an
// IPv4 address (ELB API Reference: InvalidTarget).
func (c *call) targetParams(tg *nlb.TargetGroup) ([]nlb.Target, *apiError) {
	var out []nlb.Target
	for _, s := range c.structs("Targets.member") {
		t := nlb.Target{ID: s.Get("Id"), Port: tg.Port()}
		if p := s.Get("Port"); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				return nil, badRequest("ValidationError", "1 validation error detected: Value '%s' at 'targets.%d.member.port' failed to satisfy constraint: Member must have value between 1 and 65535", p, len(out)+1)
			}
			t.Port = uint16(n)
		}
		if tg.TargetType() == nlb.TargetTypeIP {
			a, err := netip.ParseAddr(t.ID)
			if err != nil || !a.Is4() {
				return nil, badRequest("ValidationError", "The IP address '%s' is not a valid IPv4 address", t.ID)
			}
			t.IP = a
		} else {
			in := c.instance(t.ID)
			if in == nil {
				return nil, badRequest("InvalidTarget", "The following targets are not valid instances: '%s'", t.ID)
			}
			t.ENI = in.ENI()
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, badRequest("ValidationError", "1 validation error detected: Value null at 'targets' failed to satisfy constraint: Member must not be null")
	}
	return out, nil
}

func (c *call) instance(id string) *target.Instance {
	for _, in := range c.s.l.Instances {
		if in.ID() == id {
			return in
		}
	}
	return nil
}

func describeTargetHealth(c *call) (any, *apiError) {
	tg, aerr := c.targetGroup(c.params.Get("TargetGroupArn"))
	if aerr != nil {
		return nil, aerr
	}
	var hs []nlb.TargetHealth
	if len(c.structs("Targets.member")) > 0 {
		ts, aerr := c.targetParams(tg)
		if aerr != nil {
			return nil, aerr
		}
		hs = tg.HealthOf(ts...)
	} else {
		hs = tg.Health()
	}
	var out struct {
		TargetHealthDescriptions []elbTargetHealthDescription `xml:"TargetHealthDescriptions>member"`
	}
	out.TargetHealthDescriptions = []elbTargetHealthDescription{}
	for _, h := range hs {
		d := elbTargetHealthDescription{Target: elbTarget{Id: h.Target.ID, Port: int(h.Target.Port)}, HealthCheckPort: h.HealthCheckPort,
			TargetHealth: elbTargetHealth{State: h.State, Reason: h.Reason, Description: h.Description}}
		if tg.TargetType() == nlb.TargetTypeIP {
			d.Target.AvailabilityZone = h.AvailabilityZone
		}
		if d.HealthCheckPort == "" {
			d.HealthCheckPort = strconv.Itoa(d.Target.Port)
		}
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, d)
	}
	return out, nil
}

func registerTargets(c *call) (any, *apiError) {
	tg, aerr := c.targetGroup(c.params.Get("TargetGroupArn"))
	if aerr != nil {
		return nil, aerr
	}
	ts, aerr := c.targetParams(tg)
	if aerr != nil {
		return nil, aerr
	}
	for _, t := range ts {
		// Registering a registered target again changes nothing (ELB API
		// Reference, "RegisterTargets"); one still draining goes back in
		// service.
		if h := tg.HealthOf(t)[0]; h.Reason != nlb.ReasonNotRegistered && h.State != nlb.StateDraining && h.Reason != nlb.ReasonNotInUse {
			continue
		}
		err := tg.Register(t)
		c.logChange(fmt.Sprintf("%s %s", tg.Name(), t), err)
		if err != nil {
			return nil, badRequest("InvalidTarget", "%s", strings.TrimPrefix(err.Error(), "target group "+tg.Name()+": "))
		}
	}
	return struct{}{}, nil
}

func deregisterTargets(c *call) (any, *apiError) {
	tg, aerr := c.targetGroup(c.params.Get("TargetGroupArn"))
	if aerr != nil {
		return nil, aerr
	}
	ts, aerr := c.targetParams(tg)
	if aerr != nil {
		return nil, aerr
	}
	for _, t := range ts {
		if h := tg.HealthOf(t)[0]; h.Reason == nlb.ReasonNotRegistered || h.State == nlb.StateDraining {
			return nil, badRequest("InvalidTarget", "The following targets are not registered in target group '%s': '%s'", tg.Name(), t.ID)
		}
	}
	for _, t := range ts {
		err := tg.Deregister(t.ID, t.Port)
		c.logChange(fmt.Sprintf("%s %s", tg.Name(), t), err)
		if err != nil {
			return nil, badRequest("InvalidTarget", "%s", strings.TrimPrefix(err.Error(), "target group "+tg.Name()+": "))
		}
	}
	return struct{}{}, nil
}
