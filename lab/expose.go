package lab

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/vnet"
)

// Expose puts port of the instance named instance behind the selected load
// balancer, as one would in AWS, and returns the address to dial (the
// client's way in; for an internal load balancer, a node's private address,
// which only the VPC's hosts reach): a target group for the port with the instance registered, a
// listener on the same port, and a security group on the instance that
// admits the load balancer's nodes (health checks) and the client (client
// IP preservation). It returns once the target's health checks have passed
// on the lab clock (moving it as far as they need), so start the service
// first: a server that listens after Expose has no healthy target until
// the next checks; calling Expose again then waits for them. Like the
// lab's other methods that change it, Expose must not run concurrently
// with them or with Close.
//
//	ln, _ := l.Instance("ec2").Host().Listen("tcp", ":8080")
//	go http.Serve(ln, handler)
//	addr, _ := l.Expose(ctx, "ec2", 8080) // 198.51.100.10:8080
//	conn, _ := l.Client.Dial(ctx, "tcp", addr.String())
func (l *Lab) Expose(ctx context.Context, instance string, port uint16) (netip.AddrPort, error) {
	in := l.Instance(instance)
	if in == nil && instance == firstTargetAlias {
		in = l.Target
	}
	if in == nil {
		return netip.AddrPort{}, fmt.Errorf("expose: no instance named %q", instance)
	}
	if l.NLB == nil {
		return netip.AddrPort{}, fmt.Errorf("expose: the lab has no load balancer")
	}
	name := fmt.Sprintf("%s-%d", instance, port)
	for _, ls := range l.NLB.Listeners() {
		if ls.Port != port {
			continue
		}
		// Exposed before, while nothing listened: wait for the checks
		// again rather than refuse.
		if ls.TargetGroup != nil && ls.TargetGroup.Name() == name {
			if err := l.awaitHealthy(ctx, ls.TargetGroup); err != nil {
				return netip.AddrPort{}, fmt.Errorf("expose: %s port %d: %w", instance, port, err)
			}
			return l.exposedAddr(port), nil
		}
		return netip.AddrPort{}, fmt.Errorf("expose: load balancer %s already has a listener on %d", l.NLB.Name(), port)
	}
	vpc := in.ENI().Subnet().VPC()
	tg, err := nlb.NewTargetGroup(l.Net, nlb.TargetGroupConfig{Name: name, Port: port, VPC: vpc})
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("expose: %w", err)
	}
	l.closers = append(l.closers, tg.Close)
	if err := tg.Register(nlb.Target{ID: in.ID(), ENI: in.ENI()}); err != nil {
		return netip.AddrPort{}, fmt.Errorf("expose: %w", err)
	}
	sg, err := vpc.AddSecurityGroup(name, fmt.Sprintf("%s %d from load balancer %s and the client", instance, port, l.NLB.Name()))
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("expose: %w", err)
	}
	allow := func(from netip.Addr, why string) error {
		return sg.AuthorizeIngress(vnet.SGRule{Protocol: "tcp", Ports: vnet.PortRange{From: port, To: port},
			CIDR: netip.PrefixFrom(from, 32), Description: why})
	}
	for _, nd := range l.NLB.Nodes() {
		if err := allow(nd.PrivateAddr(), "health checks from "+nd.Host().Name()); err != nil {
			return netip.AddrPort{}, fmt.Errorf("expose: %w", err)
		}
	}
	if l.Client != nil {
		if err := allow(l.Client.Addr(), "the client"); err != nil {
			return netip.AddrPort{}, fmt.Errorf("expose: %w", err)
		}
	}
	if err := in.ENI().SetSecurityGroups(append(in.ENI().SecurityGroups(), sg)); err != nil {
		return netip.AddrPort{}, fmt.Errorf("expose: %w", err)
	}
	if _, err := l.NLB.AddListener(nlb.ListenerConfig{Port: port, TargetGroup: tg}); err != nil {
		return netip.AddrPort{}, fmt.Errorf("expose: %w", err)
	}
	l.TargetGroups = append(l.TargetGroups, tg)
	if err := l.awaitHealthy(ctx, tg); err != nil {
		return netip.AddrPort{}, fmt.Errorf("expose: %s port %d: %w", instance, port, err)
	}
	return l.exposedAddr(port), nil
}

// exposedAddr is where port of the selected load balancer is reached: its
// public address, or for an internal one its first node's private address
// (which only the VPC's hosts reach).
func (l *Lab) exposedAddr(port uint16) netip.AddrPort {
	if l.NLB.Scheme() == "internal" && len(l.NLB.Nodes()) > 0 {
		return netip.AddrPortFrom(l.NLB.Nodes()[0].PrivateAddr(), port)
	}
	return l.NLB.PublicAddr(port)
}

// awaitHealthy moves the lab clock, one health-check interval at a time,
// until tg's targets are healthy, or says why not.
func (l *Lab) awaitHealthy(ctx context.Context, tg *nlb.TargetGroup) error {
	hc := tg.HealthCheck()
	step := time.Duration(hc.IntervalSeconds) * time.Second
	var last []nlb.TargetHealth
	// The healthy threshold's checks, and the first one's registration.
	for range hc.HealthyThresholdCount + 2 {
		last = tg.Health()
		healthy := len(last) > 0
		for _, h := range last {
			healthy = healthy && h.State == nlb.StateHealthy
		}
		if healthy {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		l.Clock().Advance(step)
	}
	for _, h := range tg.Health() {
		if h.State != nlb.StateHealthy {
			return fmt.Errorf("target %s is %s (%s: %s): is something listening on the port?", h.Target.ID, h.State, h.Reason, h.Description)
		}
	}
	return nil
}
