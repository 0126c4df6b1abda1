package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/client"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/target"
)

// Endpoint is the NLB listener's address as the client finds it: the first
// address the NLB's name answers, before rotation (198.51.100.10:51512 in
// the reference scenario; another zone's node when 1a has no healthy
// target). It is the zero AddrPort in a lab without a load balancer; it
// does not change from call to call while target health stays the same.
func (l *Lab) Endpoint() netip.AddrPort {
	if l.NLB == nil {
		return netip.AddrPort{}
	}
	if as := l.NLB.Addresses(); len(as) > 0 {
		return netip.AddrPortFrom(as[0], l.ListenerPort())
	}
	return l.NLB.PublicAddr(l.ListenerPort())
}

// resolveEndpoint is the listener address a new connection uses: the first
// answer of the lab's DNS, which rotates across the NLB's nodes as AWS's
// does.
func (l *Lab) resolveEndpoint() netip.AddrPort {
	if l.NLB == nil {
		return netip.AddrPort{}
	}
	if as := l.Net.Resolve(l.NLB.DNSName()); len(as) > 0 {
		return netip.AddrPortFrom(as[0], l.ListenerPort())
	}
	return l.Endpoint()
}

// isEndpoint reports whether dst is the listener on one of the NLB's nodes.
func (l *Lab) isEndpoint(dst netip.AddrPort) bool {
	if l.NLB == nil || dst.Port() != l.ListenerPort() {
		return false
	}
	for _, nd := range l.NLB.Nodes() {
		if dst.Addr() == nd.PublicAddr() || dst.Addr() == nd.PrivateAddr() {
			return true
		}
	}
	return false
}

// SSHConfig is how the lab's client logs in to its instances; with
// Config.Target set, its connections land on that target.
func (l *Lab) SSHConfig() client.SSHConfig {
	c := client.SSHConfig{User: target.DefaultUser, HostKey: l.Config.HostKey.PublicKey()}
	if l.Config.Target != "" {
		c.Dial = l.Dial
	}
	return c
}

// SSH opens an SSH connection from the client through the NLB.
func (l *Lab) SSH(ctx context.Context) (*ssh.Client, error) {
	if err := l.CanConnect(); err != nil {
		return nil, err
	}
	return l.Client.SSH(ctx, l.resolveEndpoint(), l.SSHConfig())
}

// Run runs command on an instance over SSH from the client through the NLB.
// A non-zero exit is an error wrapping *ssh.ExitError, as Session.Run's; a
// connection the fabric refuses is a *vnet.DropError.
func (l *Lab) Run(ctx context.Context, command string) (client.Result, error) {
	if err := l.CanConnect(); err != nil {
		return client.Result{}, err
	}
	return l.Client.Run(ctx, l.resolveEndpoint(), l.SSHConfig(), command)
}

// maxLandingTries bounds the connections Dial opens to land on the
// selected target.
const maxLandingTries = 64

// Dial connects from the client to the NLB listener. With Config.Target
// set, it reconnects (from a new source port, so a new flow hash) until
// the NLB sends the connection to that target, as one would in AWS; the
// connections it gives up on are closed and show in captures.
func (l *Lab) Dial(ctx context.Context) (net.Conn, error) {
	if err := l.CanConnect(); err != nil {
		return nil, err
	}
	if l.Config.Target == "" || len(l.Targets) == 1 && l.Targets[0] == l.Target {
		return l.Client.Host().DialOrDrop(ctx, l.resolveEndpoint())
	}
	if err := l.reachable(l.Target); err != nil {
		return nil, err
	}
	if !slices.Contains(l.Targets, l.Target) {
		return nil, fmt.Errorf("target %s is not registered in target group %s, which load balancer %s's listener on %d forwards to", l.Config.Target, l.TargetGroup.Name(), l.NLB.Name(), l.ListenerPort())
	}
	for range maxLandingTries {
		c, err := l.Client.Host().DialOrDrop(ctx, l.resolveEndpoint())
		if err != nil {
			return nil, err
		}
		local, _ := netip.ParseAddrPort(c.LocalAddr().String())
		for _, f := range l.NLB.Flows() {
			if f.Client == local && f.Backend.Addr() == l.Target.Addr() {
				return c, nil
			}
		}
		c.Close()
	}
	why := "cross-zone load balancing is on"
	if !l.TargetGroup.CrossZone(l.NLB) {
		why = fmt.Sprintf("cross-zone load balancing is off, so only the node of %s sends to it, and DNS answers %v", l.Target.ENI().Subnet().Zone(), l.Net.Resolve(l.NLB.DNSName()))
	}
	if l.TargetGroup.Attributes()[nlb.AttrStickiness] == "true" {
		why += "; stickiness sends the client's every connection to one target"
	}
	return nil, fmt.Errorf("target %s: the NLB sent %d connections in a row to other targets (%s)", l.Config.Target, maxLandingTries, why)
}

// Forward forwards connections accepted on ln (a host socket on loopback)
// to the NLB listener from the client, landing on the selected target as
// Dial does.
func (l *Lab) Forward(ln net.Listener, onErr func(error)) (*client.Forwarder, error) {
	if err := l.CanConnect(); err != nil {
		return nil, err
	}
	return l.Client.ForwardWith(ln, l.Endpoint(), l.Dial, onErr), nil
}

// reachable says why the NLB would never send a connection to in: no node
// in its zone and cross-zone load balancing off (ELB User Guide,
// "Cross-zone load balancing").
func (l *Lab) reachable(in *target.Instance) error {
	// AWS sends nothing to a target in a zone the load balancer has not
	// enabled, cross-zone or not (Target.NotInUse).
	zone := in.ENI().Subnet().Zone()
	enabled := false
	for _, nd := range l.NLB.Nodes() {
		enabled = enabled || nd.Zone() == zone
	}
	if !enabled {
		return fmt.Errorf("target %s is in %s, an Availability Zone load balancer %s has not enabled: it is unused (Target.NotInUse) and the NLB never sends it a connection, cross-zone load balancing or not (add a subnet mapping for %s)", l.Config.Target, zone, l.NLB.Name(), zone)
	}
	// A target that is not healthy gets no new flow while another is
	// (with none healthy, the NLB fails open to all).
	var mine *nlb.TargetHealth
	others := false
	for _, h := range l.TargetGroup.Health() {
		if h.Target.IP == in.Addr() {
			h := h
			mine = &h
		} else if h.State == nlb.StateHealthy {
			others = true
		}
	}
	if mine != nil && mine.State != nlb.StateHealthy && others {
		return fmt.Errorf("target %s is %s (%s): the NLB sends it no new connection while another target is healthy (vlab health says why)", l.Config.Target, mine.State, mine.Reason)
	}
	return nil
}

// CanConnect says why the lab's client cannot open connections through the
// selected load balancer (none, no listener, no client, an internal one),
// or nil.
func (l *Lab) CanConnect() error {
	switch {
	case l.NLB == nil:
		return errors.New("the lab has no load balancer to connect through")
	case len(l.NLB.Listeners()) == 0:
		return fmt.Errorf("load balancer %s has no listener", l.NLB.Name())
	case l.Client == nil:
		return errors.New("the lab has no client PC (Internet.Clients)")
	case l.NLB.Scheme() == "internal":
		return fmt.Errorf("load balancer %s is internal: it has no public address, so the client on the internet cannot reach it (an instance of its VPC can)", l.NLB.Name())
	}
	return nil
}

// WaitClosed waits until the client's connections have finished closing
// (none left but in TIME-WAIT), so that their last packets are counted
// before a test or command moves lab time on; it returns ctx's error if
// ctx ends first.
func (l *Lab) WaitClosed(ctx context.Context) error {
	if l.Client == nil {
		return nil
	}
	for {
		busy := false
		for _, s := range l.Client.Host().Sockets() {
			if s.State != "TIME-WAIT" && s.State != "LISTEN" {
				busy = true
			}
		}
		if !busy {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("client %s: connections still closing: %w", l.Client.Host().Name(), ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}
