package lab

import (
	"fmt"
	"slices"

	"github.com/vlab-sim/vlab/lab/reference"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/target"
	"github.com/vlab-sim/vlab/vnet"
)

// selectParts fills the fields that name one part of each kind: the
// selected load balancer and target, and the parts around them.
func (l *Lab) selectParts() error {
	c := &l.Config
	if len(l.VPCs) > 0 {
		l.VPC = l.VPCs[0]
	}
	if c.LoadBalancer != "" {
		if l.NLB = l.LoadBalancer(c.LoadBalancer); l.NLB == nil {
			return fmt.Errorf("load balancer %q: no such load balancer (the lab has %v)", c.LoadBalancer, names(l.LoadBalancers, (*nlb.LoadBalancer).Name))
		}
	} else if len(l.LoadBalancers) > 0 {
		l.NLB = l.LoadBalancers[0]
	}
	if l.NLB != nil {
		if ls := l.NLB.Listeners(); len(ls) > 0 {
			l.TargetGroup = ls[0].TargetGroup
			l.listenerPort = ls[0].Port
		}
		if nd := l.NLB.Nodes(); len(nd) > 0 {
			l.VPC = nd[0].ENI().Subnet().VPC()
		}
	}
	if l.TargetGroup == nil && len(l.TargetGroups) > 0 {
		l.TargetGroup = l.TargetGroups[0]
	}
	if l.TargetGroup != nil {
		for _, t := range l.TargetGroup.Targets() {
			for _, in := range l.Instances {
				if in.Addr() == t.IP && !slices.Contains(l.Targets, in) {
					l.Targets = append(l.Targets, in)
				}
			}
		}
	}
	if c.Target != "" {
		if l.Target = l.instanceNames[c.Target]; l.Target == nil {
			var ns []string
			for n := range l.instanceNames {
				ns = append(ns, n)
			}
			slices.Sort(ns)
			return fmt.Errorf("target %q: no such instance (the lab has %v)", c.Target, ns)
		}
	} else if len(l.Targets) > 0 {
		l.Target = l.Targets[0]
	} else if len(l.Instances) > 0 {
		l.Target = l.Instances[0]
	}
	if l.VPC != nil {
		l.InternetGateway = l.VPC.InternetGateway()
		for _, rt := range l.VPC.RouteTables() {
			switch rt.Name() {
			case reference.PublicRouteTable:
				l.PublicRouteTable = rt
			case reference.PrivateRouteTable:
				l.PrivateRouteTable = rt
			}
		}
		for _, g := range l.VPC.SecurityGroups() {
			if g.Name() == reference.TargetSecurityGroup {
				l.TargetSecurityGroup = g
			}
		}
	}
	if len(l.Clients) > 0 {
		l.Client = l.Clients[0]
	}
	for _, s := range l.Servers {
		if l.Mirror == nil || s.Name() == reference.Mirror {
			l.Mirror = s
		}
	}
	if len(l.NATGateways) > 0 {
		l.NATGateway = l.NATGateways[0]
	}
	return nil
}

func names[T any](xs []T, name func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = name(x)
	}
	return out
}

// LoadBalancer returns the load balancer named name, or nil.
func (l *Lab) LoadBalancer(name string) *nlb.LoadBalancer {
	for _, lb := range l.LoadBalancers {
		if lb.Name() == name {
			return lb
		}
	}
	return nil
}

// Instance returns the instance named name in the topology, or nil.
func (l *Lab) Instance(name string) *target.Instance { return l.instanceNames[name] }

// TargetGroupNamed returns the target group named name, or nil.
func (l *Lab) TargetGroupNamed(name string) *nlb.TargetGroup {
	for _, tg := range l.TargetGroups {
		if tg.Name() == name {
			return tg
		}
	}
	return nil
}

// SecurityGroup returns the security group named name (in the first VPC
// that has one), or nil.
func (l *Lab) SecurityGroup(name string) *vnet.SecurityGroup {
	for _, v := range l.VPCs {
		for _, g := range v.SecurityGroups() {
			if g.Name() == name {
				return g
			}
		}
	}
	return nil
}

// Subnet returns the subnet named name, or nil.
func (l *Lab) Subnet(name string) *vnet.Subnet {
	for _, v := range l.VPCs {
		for _, s := range v.Subnets() {
			if s.Name() == name {
				return s
			}
		}
	}
	return nil
}

// RouteTable returns the route table named name, or nil.
func (l *Lab) RouteTable(name string) *vnet.RouteTable {
	for _, v := range l.VPCs {
		for _, rt := range v.RouteTables() {
			if rt.Name() == name {
				return rt
			}
		}
	}
	return nil
}

// ListenerPort is the port of the selected load balancer's first listener
// (51512 in the reference scenario), 0 without one.
func (l *Lab) ListenerPort() uint16 { return l.listenerPort }
