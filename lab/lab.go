package lab

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/client"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/target"
	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/flowlog"
)

// Lab is a running lab.
type Lab struct {
	Config Config

	Net *vnet.Network
	VPC *vnet.VPC
	// PublicRouteTable sends 0.0.0.0/0 to the internet gateway;
	// PrivateRouteTable holds only the local route.
	PublicRouteTable  *vnet.RouteTable
	PrivateRouteTable *vnet.RouteTable
	InternetGateway   *vnet.InternetGateway
	// TargetSecurityGroup is the instances' group (ssh-target): TCP 22 from
	// each NLB node's private address and from the client.
	TargetSecurityGroup *vnet.SecurityGroup

	Client      *client.PC
	NLB         *nlb.LoadBalancer
	TargetGroup *nlb.TargetGroup
	// Targets are the registered instances; Target is the first.
	Targets []*target.Instance
	Target  *target.Instance
	// Mirror is the internet server (192.0.2.80, HTTP on 80).
	Mirror *vnet.Host
	// NATGateway is the NAT gateway of Config.NATGateway, if any.
	NATGateway *vnet.NATGateway
	// FlowLog is the flow log of Config.FlowLogs, if any.
	FlowLog *flowlog.Log

	closeOnce sync.Once
	closers   []func()
}

// New builds the lab c describes and returns it ready: every target
// registered, every server listening.
func New(c Config) (l *Lab, err error) {
	if err := c.fill(); err != nil {
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
	built := &Lab{Config: c, Net: vnet.New(vnet.Options{Seed: c.Seed, AccountID: AccountID, Region: Region})}
	built.closers = append(built.closers, func() { built.Net.Close() })
	defer func() {
		// The returns below leave l nil: close what was built so far.
		if err != nil {
			built.Close()
		}
	}()
	l = built
	if err := l.buildVPC(); err != nil {
		return nil, err
	}
	if err := l.buildInternet(); err != nil {
		return nil, err
	}
	if err := l.buildNLB(); err != nil {
		return nil, err
	}
	if c.PcapDir != "" {
		if err := l.writePcaps(c.PcapDir); err != nil {
			return nil, err
		}
	}
	if c.FlowLogs != nil {
		if l.FlowLog, err = l.Net.EnableFlowLogs(*c.FlowLogs, nil); err != nil {
			return nil, err
		}
	}
	l.settle()
	if !c.ManualClock {
		l.Net.Clock().Run(c.TimeScale)
	}
	return l, nil
}

// settle jumps lab time through registration and the first health checks
// until no target is left in initial, so a new lab's target states come
// from checks that really ran (SCENARIO.md, "How the CLI runs the lab").
func (l *Lab) settle() {
	clock := l.Net.Clock()
	step := time.Duration(l.TargetGroup.HealthCheck().IntervalSeconds) * time.Second
	clock.Advance(0)
	for i := 0; i < 32 && l.anyInitial(); i++ {
		clock.Advance(step)
	}
}

func (l *Lab) anyInitial() bool {
	for _, h := range l.TargetGroup.Health() {
		if h.State == nlb.StateInitial {
			return true
		}
	}
	return false
}

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

func (l *Lab) buildVPC() error {
	var err error
	if l.VPC, err = l.Net.AddVPC("vlab-vpc", vpcCIDR); err != nil {
		return err
	}
	if l.InternetGateway, err = l.VPC.AttachInternetGateway("vlab-igw"); err != nil {
		return err
	}
	l.PublicRouteTable = l.VPC.AddRouteTable("vlab-public")
	if err := l.PublicRouteTable.AddRoute(netip.MustParsePrefix("0.0.0.0/0"), l.InternetGateway); err != nil {
		return err
	}
	l.PrivateRouteTable = l.VPC.AddRouteTable("vlab-private")
	// Both zones' subnets exist, as in the experiment's VPC, whichever the
	// NLB is enabled in.
	for _, z := range []string{"1a", "1c"} {
		zl := zones[z]
		az := Region + z[1:] // "1a" -> ap-northeast-1a
		pub, err := l.VPC.AddSubnet(vnet.SubnetConfig{Name: "vlab-public-" + z, CIDR: zl.public, Zone: az})
		if err != nil {
			return err
		}
		if err := pub.Associate(l.PublicRouteTable); err != nil {
			return err
		}
		priv, err := l.VPC.AddSubnet(vnet.SubnetConfig{Name: "vlab-private-" + z, CIDR: zl.private, Zone: az})
		if err != nil {
			return err
		}
		if err := priv.Associate(l.PrivateRouteTable); err != nil {
			return err
		}
	}
	if l.Config.NATGateway {
		var err error
		if l.NATGateway, err = l.VPC.AddNATGateway("natgw", l.VPC.Subnet("vlab-public-1a"), natPrivate, natPublic); err != nil {
			return err
		}
		if err := l.PrivateRouteTable.AddRoute(netip.MustParsePrefix("0.0.0.0/0"), l.NATGateway); err != nil {
			return err
		}
	}
	return nil
}

func (l *Lab) buildInternet() error {
	var err error
	if l.Client, err = client.New(l.Net, client.Config{Name: "client", Addr: clientAddr, Key: l.Config.ClientKey}); err != nil {
		return err
	}
	if l.Mirror, err = l.Net.NewHost("mirror"); err != nil {
		return err
	}
	if _, err := l.Mirror.AttachInternet(mirrorAddr); err != nil {
		return err
	}
	ln, err := l.Mirror.Listen("tcp", ":80")
	if err != nil {
		return fmt.Errorf("mirror: %w", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A package mirror that tells who asked: the source address it saw.
		fmt.Fprintf(w, "mirror: hello %s\n", r.RemoteAddr)
	})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	l.closers = append(l.closers, func() { srv.Close(); <-done })
	return nil
}

func (l *Lab) buildNLB() error {
	c := l.Config
	var maps []nlb.SubnetMapping
	for _, z := range c.Zones {
		zl := zones[z]
		maps = append(maps, nlb.SubnetMapping{Subnet: l.VPC.Subnet("vlab-public-" + z), PrivateAddr: zl.nodePrivate, PublicAddr: zl.nodePublic})
	}
	var err error
	var nlbGroups []*vnet.SecurityGroup
	if c.NLBSecurityGroup {
		g, err := l.VPC.AddSecurityGroup("vlab-nlb", "clients to the NLB listener")
		if err != nil {
			return err
		}
		if err := g.AuthorizeIngress(vnet.SGRule{Protocol: "tcp", Ports: vnet.PortRange{From: c.ListenerPort, To: c.ListenerPort}, CIDR: netip.MustParsePrefix("0.0.0.0/0"), Description: "clients"}); err != nil {
			return err
		}
		nlbGroups = []*vnet.SecurityGroup{g}
	}
	if l.NLB, err = nlb.New(l.Net, nlb.Config{Name: "vlab-nlb", Subnets: maps, SecurityGroups: nlbGroups, Attributes: c.LoadBalancerAttributes}); err != nil {
		return err
	}
	attrs := map[string]string{}
	if c.PreserveClientIP != nil {
		attrs[nlb.AttrPreserveClientIP] = strconv.FormatBool(*c.PreserveClientIP)
	}
	if c.ProxyProtocol {
		attrs[nlb.AttrProxyProtocolV2] = "true"
	}
	for k, v := range c.TargetGroupAttributes {
		attrs[k] = v
	}
	if l.TargetGroup, err = nlb.NewTargetGroup(l.Net, nlb.TargetGroupConfig{
		Name: "ssh-targets", Port: c.TargetPort, VPC: l.VPC, TargetType: c.TargetType,
		HealthCheck: c.HealthCheck, Attributes: attrs,
	}); err != nil {
		return err
	}
	l.closers = append(l.closers, l.TargetGroup.Close, func() { l.NLB.Close() })
	if err := l.buildTargetGroup(); err != nil {
		return err
	}
	if _, err := l.NLB.AddListener(nlb.ListenerConfig{Port: c.ListenerPort, TargetGroup: l.TargetGroup, Attributes: c.ListenerAttributes}); err != nil {
		return err
	}
	keys := append([]ssh.PublicKey{c.ClientKey.PublicKey()}, c.AuthorizedKeys...)
	next := map[string]netip.Addr{}
	for i := 0; i < c.Targets; i++ {
		z := c.Zones[i%len(c.Zones)]
		addr, ok := next[z]
		if !ok {
			addr = zones[z].firstTarget
		}
		next[z] = addr.Next()
		in, err := target.New(l.Net, target.Config{
			Subnet:         l.VPC.Subnet("vlab-private-" + z),
			Addr:           addr,
			HostKey:        c.HostKey,
			AuthorizedKeys: keys,
			SSHPort:        int(c.TargetPort),
			SecurityGroups: []*vnet.SecurityGroup{l.TargetSecurityGroup},
			ProxyProtocol:  c.ProxyProtocol,
		})
		if err != nil {
			return err
		}
		l.closers = append(l.closers, func() { in.Close() })
		l.Targets = append(l.Targets, in)
		if err := l.TargetGroup.Register(nlb.Target{ID: in.ID(), ENI: in.ENI(), IP: in.Addr()}); err != nil {
			return err
		}
	}
	l.Target = l.Targets[0]
	return nil
}

// buildTargetGroup makes the instances' security group: the experiment's
// two rules, TCP 22 from every NLB node (health checks come from the
// nodes' private addresses) and from the client (client IP preservation
// keeps its address).
func (l *Lab) buildTargetGroup() error {
	sg, err := l.VPC.AddSecurityGroup("ssh-target", "SSH from the NLB nodes and the client")
	if err != nil {
		return err
	}
	l.TargetSecurityGroup = sg
	port := vnet.PortRange{From: l.Config.TargetPort, To: l.Config.TargetPort}
	if gs := l.NLB.SecurityGroups(); len(gs) > 0 {
		// One rule admits both the health checks (from the nodes, members
		// of the group) and the clients' traffic the nodes forward.
		return sg.AuthorizeIngress(vnet.SGRule{Protocol: "tcp", Ports: port, Group: gs[0], Description: "the NLB"})
	}
	if !l.Config.NoSGNLBRule {
		for _, nd := range l.NLB.Nodes() {
			if err := sg.AuthorizeIngress(vnet.SGRule{Protocol: "tcp", Ports: port, CIDR: netip.PrefixFrom(nd.PrivateAddr(), 32), Description: "health checks from " + nd.Host().Name()}); err != nil {
				return err
			}
		}
	}
	if !l.Config.NoSGClientRule {
		if err := sg.AuthorizeIngress(vnet.SGRule{Protocol: "tcp", Ports: port, CIDR: netip.PrefixFrom(clientAddr.Addr(), 32), Description: "the client PC"}); err != nil {
			return err
		}
	}
	return nil
}

// Endpoint is the NLB listener's address as the client finds it: the first
// answer of the lab's DNS for the NLB's name (198.51.100.10:51512 in the
// reference scenario; another zone's node when 1a has no healthy target).
func (l *Lab) Endpoint() netip.AddrPort {
	if as := l.Net.Resolve(l.NLB.DNSName()); len(as) > 0 {
		return netip.AddrPortFrom(as[0], l.Config.ListenerPort)
	}
	return l.NLB.PublicAddr(l.Config.ListenerPort)
}

// SSHConfig is how the lab's client logs in to its instances.
func (l *Lab) SSHConfig() client.SSHConfig {
	return client.SSHConfig{User: target.DefaultUser, HostKey: l.Config.HostKey.PublicKey()}
}

// SSH opens an SSH connection from the client through the NLB.
func (l *Lab) SSH(ctx context.Context) (*ssh.Client, error) {
	return l.Client.SSH(ctx, l.Endpoint(), l.SSHConfig())
}

// Run runs command on an instance over SSH from the client through the NLB.
func (l *Lab) Run(ctx context.Context, command string) (client.Result, error) {
	return l.Client.Run(ctx, l.Endpoint(), l.SSHConfig(), command)
}

// Dial connects from the client to the NLB listener.
func (l *Lab) Dial(ctx context.Context) (net.Conn, error) {
	return l.Client.Host().Dial(ctx, l.Endpoint())
}

// WaitClosed waits, up to d of real time, until the client's connections
// have finished closing (none left but in TIME-WAIT), so that their last
// packets are counted before a test or command moves lab time on.
func (l *Lab) WaitClosed(d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		busy := false
		for _, s := range l.Client.Host().Sockets() {
			if s.State != "TIME-WAIT" && s.State != "LISTEN" {
				busy = true
			}
		}
		if !busy {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// Host returns the host named name: client, nlb-1a, mirror, an instance's
// hostname, or ec2 for the first instance.
func (l *Lab) Host(name string) (*vnet.Host, error) {
	if name == "ec2" {
		return l.Target.Host(), nil
	}
	if h := l.Net.Host(name); h != nil {
		return h, nil
	}
	var names []string
	for _, h := range l.Net.Hosts() {
		names = append(names, h.Name())
	}
	return nil, fmt.Errorf("host %q: no such host (the lab has %v and ec2)", name, names)
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
