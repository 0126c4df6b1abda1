package vnet

import (
	"fmt"
	"net/netip"
)

// RouteTarget is where a route sends packets: Local, an internet gateway or
// (later) a NAT gateway.
type RouteTarget interface {
	// TargetID is the id AWS shows for the target ("local", "igw-…").
	TargetID() string
}

type localTarget struct{}

func (localTarget) TargetID() string { return "local" }

// Local is the target of a VPC's local route.
var Local RouteTarget = localTarget{}

// Route is one entry of a route table.
type Route struct {
	Destination netip.Prefix
	Target      RouteTarget
}

// RouteTable is a VPC route table; a subnet's packets leave by its longest
// matching route.
type RouteTable struct {
	vpc    *VPC
	id     string
	name   string
	routes []Route // guarded by vpc.net.mu; copied on write
}

// ID returns the route table id (rtb-…).
func (t *RouteTable) ID() string { return t.id }

// Name returns the route table's Name tag.
func (t *RouteTable) Name() string { return t.name }

// Routes returns the table's routes in the order they were added.
func (t *RouteTable) Routes() []Route {
	t.vpc.net.mu.RLock()
	defer t.vpc.net.mu.RUnlock()
	return append([]Route(nil), t.routes...)
}

// AddRoute adds a route to dst via target.
func (t *RouteTable) AddRoute(dst netip.Prefix, target RouteTarget) error {
	if !dst.IsValid() || !dst.Addr().Is4() {
		return fmt.Errorf("route table %s: DestinationCidrBlock %s is not an IPv4 CIDR", t.name, dst)
	}
	if dst.Masked() != dst {
		return fmt.Errorf("route table %s: DestinationCidrBlock %s has host bits set (did you mean %s?)", t.name, dst, dst.Masked())
	}
	if target == nil || target == Local {
		return fmt.Errorf("route table %s: route %s needs a gateway target (the local route is implicit)", t.name, dst)
	}
	if g, ok := target.(*InternetGateway); ok && g.vpc != t.vpc {
		return fmt.Errorf("route table %s: route %s: internet gateway %s is attached to another VPC", t.name, dst, g.id)
	}
	if g, ok := target.(*NATGateway); ok && g.vpc != t.vpc {
		return fmt.Errorf("route table %s: route %s: NAT gateway %s is in another VPC", t.name, dst, g.id)
	}
	t.vpc.net.mu.Lock()
	defer t.vpc.net.mu.Unlock()
	for _, r := range t.routes {
		if r.Destination == dst {
			return fmt.Errorf("route table %s: a route to %s already exists (via %s)", t.name, dst, r.Target.TargetID())
		}
	}
	t.routes = append(append([]Route(nil), t.routes...), Route{Destination: dst, Target: target})
	return nil
}

// RemoveRoute removes the route to dst.
func (t *RouteTable) RemoveRoute(dst netip.Prefix) error {
	t.vpc.net.mu.Lock()
	defer t.vpc.net.mu.Unlock()
	for i, r := range t.routes {
		if r.Destination == dst {
			if r.Target == Local {
				return fmt.Errorf("route table %s: the local route %s cannot be removed", t.name, dst)
			}
			t.routes = append(append([]Route(nil), t.routes[:i]...), t.routes[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("route table %s: no route to %s", t.name, dst)
}

// Lookup returns the longest-prefix route that matches dst.
func (t *RouteTable) Lookup(dst netip.Addr) (Route, bool) {
	t.vpc.net.mu.RLock()
	defer t.vpc.net.mu.RUnlock()
	return t.lookupLocked(dst)
}

func (t *RouteTable) lookupLocked(dst netip.Addr) (Route, bool) {
	best, found := Route{}, false
	for _, r := range t.routes {
		if r.Destination.Contains(dst) && (!found || r.Destination.Bits() > best.Destination.Bits()) {
			best, found = r, true
		}
	}
	return best, found
}
