package lab

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
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
	listenerPort  uint16 // the selected load balancer's first listener's
	closeOnce     sync.Once
	closers       []func()

	flowLogInfos []FlowLogInfo // parallel to FlowLogs
}

// New builds the lab c describes and returns it ready: every target
// registered, every server listening, the first health checks run.
func New(c Config) (l *Lab, err error) {
	t, err := c.Spec()
	if err != nil {
		return nil, err
	}
	if err := topology.Validate(t); err != nil {
		return nil, fmt.Errorf("topology:\n%w", err)
	}
	if c.Seed == 0 {
		c.Seed = max(t.Seed, 1)
	}
	// Addresses left out are assigned as AWS would.
	if t, err = topology.WithAddresses(t); err != nil {
		return nil, err
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
	l.progress("building %s, %s, %s", plural(len(t.Vpcs), "VPC"), plural(len(t.LoadBalancers), "load balancer"), plural(instanceCount(t), "instance"))
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
		var vpcs []string
		for _, v := range l.Net.VPCs() {
			vpcs = append(vpcs, v.ID())
		}
		l.addFlowLogInfo(log, vpcs, "")
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

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
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
// from checks that really ran (ARCHITECTURE.md, "The reference scenario").
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

// Clock returns the lab clock.
func (l *Lab) Clock() *vnet.Clock { return l.Net.Clock() }

// NewKey generates an ed25519 SSH key.
func NewKey() (ssh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return ssh.NewSignerFromKey(priv)
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
