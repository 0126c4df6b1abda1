package lab

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/client"
	"github.com/vlab-sim/vlab/lab/topology"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/target"
	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/flowlog"
)

// Lab is a running lab.
//
// The fields below name the parts commands and tests use most: those of
// the reference scenario, or in a topology of one's own, the selected load
// balancer (Config.LoadBalancer, or the first), its first listener's
// target group, the selected target (Config.Target, or the first
// registered), the first client. The slices hold every part.
type Lab struct {
	Config Config
	// Topology is what the lab was built from.
	Topology *topology.Topology

	Net *vnet.Network
	// VPC is the selected load balancer's VPC (the first VPC without one).
	VPC *vnet.VPC
	// PublicRouteTable and PrivateRouteTable are the reference scenario's
	// tables (vlab-public sends 0.0.0.0/0 to the internet gateway;
	// vlab-private holds only the local route), nil when the topology has
	// no tables of those names.
	PublicRouteTable  *vnet.RouteTable
	PrivateRouteTable *vnet.RouteTable
	// InternetGateway is VPC's internet gateway, if any.
	InternetGateway *vnet.InternetGateway
	// TargetSecurityGroup is the reference scenario's instances' group
	// (ssh-target): TCP 22 from each NLB node's private address and from
	// the client; nil when the topology has no group of that name.
	TargetSecurityGroup *vnet.SecurityGroup

	Client      *client.PC
	NLB         *nlb.LoadBalancer
	TargetGroup *nlb.TargetGroup
	// Targets are the instances registered in TargetGroup; Target is the
	// selected one.
	Targets []*target.Instance
	Target  *target.Instance
	// Mirror is the internet server named mirror (192.0.2.80, HTTP on 80),
	// or the first server.
	Mirror *vnet.Host
	// NATGateway is the first NAT gateway, if any.
	NATGateway *vnet.NATGateway
	// FlowLog is the flow log of Config.FlowLogs, or the topology's first.
	FlowLog *flowlog.Log

	VPCs          []*vnet.VPC
	LoadBalancers []*nlb.LoadBalancer
	TargetGroups  []*nlb.TargetGroup
	Instances     []*target.Instance
	Clients       []*client.PC
	Servers       []*vnet.Host
	NATGateways   []*vnet.NATGateway
	FlowLogs      []*flowlog.Log

	instanceNames map[string]*target.Instance
	closeOnce     sync.Once
	closers       []func()
}

// New builds the lab c describes and returns it ready: every target
// registered, every server listening, the first health checks run.
func New(c Config) (l *Lab, err error) {
	t, err := c.Spec()
	if err != nil {
		return nil, err
	}
	if c.Topology != nil {
		if err := topology.Validate(t); err != nil {
			return nil, fmt.Errorf("topology:\n%w", err)
		}
		if c.Seed == 0 {
			c.Seed = max(t.Seed, 1)
		}
	}
	if c.HostKey == nil {
		if c.HostKey, err = NewKey(); err != nil {
			return nil, err
		}
	}
	if c.ClientKey == nil {
		if c.ClientKey, err = NewKey(); err != nil {
			return nil, err
		}
	}
	built := &Lab{Config: c, Topology: t, instanceNames: map[string]*target.Instance{},
		Net: vnet.New(vnet.Options{Seed: c.Seed, AccountID: AccountID, Region: Region})}
	built.closers = append(built.closers, func() { built.Net.Close() })
	defer func() {
		// The returns below leave l nil: close what was built so far.
		if err != nil {
			built.Close()
		}
	}()
	l = built
	l.progress("building %d VPCs, %d load balancers, %d instances", len(t.Vpcs), len(t.LoadBalancers), instanceCount(t))
	b, err := l.build(t)
	if err != nil {
		return nil, err
	}
	if err := l.selectParts(); err != nil {
		return nil, err
	}
	if c.PcapDir != "" {
		if err := l.writePcaps(c.PcapDir); err != nil {
			return nil, err
		}
	}
	if c.FlowLogs != nil {
		log, err := l.Net.EnableFlowLogs(*c.FlowLogs, nil)
		if err != nil {
			return nil, err
		}
		l.FlowLogs = append(l.FlowLogs, log)
	}
	if err := b.flowLogs(); err != nil {
		return nil, err
	}
	if len(l.FlowLogs) > 0 {
		l.FlowLog = l.FlowLogs[0]
	}
	l.settle()
	if !c.ManualClock {
		l.Net.Clock().Run(c.TimeScale)
	}
	return l, nil
}

func instanceCount(t *topology.Topology) int {
	n := 0
	for _, v := range t.Vpcs {
		n += len(v.Instances)
	}
	return n
}

// settle jumps lab time through registration and the first health checks
// until no target is left in initial, so a new lab's target states come
// from checks that really ran (SCENARIO.md, "How the CLI runs the lab").
func (l *Lab) settle() {
	clock := l.Net.Clock()
	step := 300 * time.Second
	for _, tg := range l.TargetGroups {
		step = min(step, time.Duration(tg.HealthCheck().IntervalSeconds)*time.Second)
	}
	clock.Advance(0)
	for i := 0; i < 32 && l.anyInitial(); i++ {
		l.progress("health checks: %s", l.healthCounts())
		clock.Advance(step)
	}
	l.progress("ready: %s", l.healthCounts())
}

func (l *Lab) progress(format string, args ...any) {
	if l.Config.Progress != nil {
		l.Config.Progress(fmt.Sprintf(format, args...))
	}
}

// healthCounts says how many targets are in each state: "2 healthy, 1
// initial".
func (l *Lab) healthCounts() string {
	n := map[string]int{}
	var order []string
	for _, tg := range l.TargetGroups {
		for _, h := range tg.Health() {
			if n[h.State] == 0 {
				order = append(order, h.State)
			}
			n[h.State]++
		}
	}
	if len(order) == 0 {
		return "no targets"
	}
	var parts []string
	for _, st := range order {
		parts = append(parts, fmt.Sprintf("%d %s", n[st], st))
	}
	return strings.Join(parts, ", ")
}

func (l *Lab) anyInitial() bool {
	for _, tg := range l.TargetGroups {
		for _, h := range tg.Health() {
			if h.State == nlb.StateInitial {
				return true
			}
		}
	}
	return false
}

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
			c.ListenerPort = ls[0].Port
		}
		if nd := l.NLB.Nodes(); len(nd) > 0 {
			l.VPC = nd[0].ENI().Subnet().VPC()
		}
	}
	if l.TargetGroup == nil && len(l.TargetGroups) > 0 {
		l.TargetGroup = l.TargetGroups[0]
	}
	if l.TargetGroup != nil {
		c.TargetPort = l.TargetGroup.Port()
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
			case publicTable:
				l.PublicRouteTable = rt
			case privateTable:
				l.PrivateRouteTable = rt
			}
		}
		for _, g := range l.VPC.SecurityGroups() {
			if g.Name() == targetGroupSG {
				l.TargetSecurityGroup = g
			}
		}
	}
	if len(l.Clients) > 0 {
		l.Client = l.Clients[0]
	}
	for _, s := range l.Servers {
		if l.Mirror == nil || s.Name() == mirrorName {
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

// Clock returns the lab clock.
func (l *Lab) Clock() *vnet.Clock { return l.Net.Clock() }

// NewT builds a lab for a test and closes it when the test ends, as
// httptest.NewServer does; a lab that cannot be built fails the test.
// Every interface is captured to a pcap file (unless c.PcapDir is set):
// when the test fails the files are kept and their folder logged, so
// tcpdump -r or Wireshark can show what happened; otherwise they are
// removed.
func NewT(tb testing.TB, c Config) *Lab {
	tb.Helper()
	keep := ""
	if c.PcapDir == "" {
		dir, err := os.MkdirTemp("", "vlab-captures-")
		if err != nil {
			tb.Fatalf("lab: %v", err)
		}
		c.PcapDir, keep = dir, dir
	}
	l, err := New(c)
	if err != nil {
		if keep != "" {
			os.RemoveAll(keep)
		}
		tb.Fatalf("lab: %v", err)
	}
	tb.Cleanup(func() {
		l.Close()
		if keep == "" {
			return
		}
		if tb.Failed() {
			tb.Logf("vlab: the captures of every interface are kept in %s", keep)
			return
		}
		os.RemoveAll(keep)
	})
	return l
}

// NewKey generates an ed25519 SSH key.
func NewKey() (ssh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return ssh.NewSignerFromKey(priv)
}

// Endpoint is the NLB listener's address as the client finds it: the first
// answer of the lab's DNS for the NLB's name (198.51.100.10:51512 in the
// reference scenario; another zone's node when 1a has no healthy target).
// It is the zero AddrPort in a lab without a load balancer.
func (l *Lab) Endpoint() netip.AddrPort {
	if l.NLB == nil {
		return netip.AddrPort{}
	}
	if as := l.Net.Resolve(l.NLB.DNSName()); len(as) > 0 {
		return netip.AddrPortFrom(as[0], l.Config.ListenerPort)
	}
	return l.NLB.PublicAddr(l.Config.ListenerPort)
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
	return l.Client.SSH(ctx, l.Endpoint(), l.SSHConfig())
}

// Run runs command on an instance over SSH from the client through the NLB.
func (l *Lab) Run(ctx context.Context, command string) (client.Result, error) {
	if err := l.CanConnect(); err != nil {
		return client.Result{}, err
	}
	return l.Client.Run(ctx, l.Endpoint(), l.SSHConfig(), command)
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
		return l.Client.Host().Dial(ctx, l.Endpoint())
	}
	if !slices.Contains(l.Targets, l.Target) {
		return nil, fmt.Errorf("target %s is not registered in target group %s, which load balancer %s's listener on %d forwards to", l.Config.Target, l.TargetGroup.Name(), l.NLB.Name(), l.Config.ListenerPort)
	}
	if err := l.reachable(l.Target); err != nil {
		return nil, err
	}
	for range maxLandingTries {
		c, err := l.Client.Host().Dial(ctx, l.Endpoint())
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
	return nil, fmt.Errorf("target %s: the NLB sent %d connections in a row to other targets (is stickiness on, or the target unhealthy?)", l.Config.Target, maxLandingTries)
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
	zone := in.ENI().Subnet().Zone()
	for _, nd := range l.NLB.Nodes() {
		if nd.Zone() == zone {
			return nil
		}
	}
	cross := l.TargetGroup.Attributes()[nlb.AttrCrossZone]
	if cross != "true" && cross != "false" {
		cross = l.NLB.Attributes()[nlb.AttrCrossZone]
	}
	if cross == "true" {
		return nil
	}
	return fmt.Errorf("target %s is in %s, where load balancer %s has no node, and cross-zone load balancing is off: the NLB never sends it a connection", l.Config.Target, zone, l.NLB.Name())
}

// CanConnect says why the lab's client cannot open connections through a
// load balancer (no load balancer, no listener, no client), or nil.
func (l *Lab) CanConnect() error {
	switch {
	case l.NLB == nil:
		return errors.New("the lab has no load balancer to connect through")
	case len(l.NLB.Listeners()) == 0:
		return fmt.Errorf("load balancer %s has no listener", l.NLB.Name())
	case l.Client == nil:
		return errors.New("the lab has no client PC (Internet.Clients)")
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

// Host returns the host named name: client, nlb-1a, mirror, an instance's
// hostname or name, or ec2 for the selected target.
func (l *Lab) Host(name string) (*vnet.Host, error) {
	if name == firstTargetAlias && l.Target != nil {
		return l.Target.Host(), nil
	}
	if h := l.Net.Host(name); h != nil {
		return h, nil
	}
	if in := l.instanceNames[name]; in != nil {
		return in.Host(), nil
	}
	var names []string
	for _, h := range l.Net.Hosts() {
		names = append(names, h.Name())
	}
	if l.Target != nil {
		names = append(names, firstTargetAlias)
	}
	return nil, fmt.Errorf("host %q: no such host (the lab has %v)", name, names)
}

// AtClose runs f when the lab closes, after everything else (a file the lab
// writes to, say).
func (l *Lab) AtClose(f func()) { l.closers = append([]func(){f}, l.closers...) }

// Close stops every server, stack and goroutine of the lab.
func (l *Lab) Close() error {
	l.closeOnce.Do(func() {
		for i := len(l.closers) - 1; i >= 0; i-- {
			l.closers[i]()
		}
	})
	return nil
}
