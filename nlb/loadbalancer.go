package nlb

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/limits"
)

// SubnetMapping enables a subnet for a load balancer: one node is placed
// there, with the given private address and (internet-facing) public IPv4
// address.
type SubnetMapping struct {
	Subnet      *vnet.Subnet
	PrivateAddr netip.Addr
	PublicAddr  netip.Addr
}

// Config describes a load balancer.
type Config struct {
	Name string
	// Scheme is internet-facing (the default) or internal.
	Scheme  string
	Subnets []SubnetMapping
	// SecurityGroups filter clients at the nodes and let targets' rules
	// reference the load balancer; they can only be given at creation, as
	// in AWS. None: the nodes filter nothing.
	SecurityGroups []*vnet.SecurityGroup
	// Attributes by AWS key (load_balancing.cross_zone.enabled, false by
	// default for an NLB).
	Attributes map[string]string
}

// LoadBalancer is a Network Load Balancer.
type LoadBalancer struct {
	net        *vnet.Network
	name       string
	id         string
	cfg        Config
	nodes      []*Node
	flows      *flowTable
	resets     atomic.Uint64
	portErrors atomic.Uint64

	closed  bool                       // guarded by mu
	epoch   atomic.Int64               // idle sweeps so far
	sweeper atomic.Pointer[vnet.Timer] // the next idle sweep

	crossZone atomic.Bool   // load_balancing.cross_zone.enabled
	dnsTurn   atomic.Uint64 // DNS answers' rotation

	mu        sync.RWMutex
	listeners map[uint16]*Listener
}

// New creates a load balancer with one node per subnet mapping and
// registers its return path with the fabric.
func New(n *vnet.Network, c Config) (*LoadBalancer, error) {
	if c.Name == "" {
		return nil, fmt.Errorf("load balancer: Name is required")
	}
	if c.Scheme == "" {
		c.Scheme = "internet-facing"
	}
	if c.Scheme != "internet-facing" && c.Scheme != "internal" {
		return nil, fmt.Errorf("load balancer %s: Scheme %q must be internet-facing or internal", c.Name, c.Scheme)
	}
	if len(c.Subnets) == 0 {
		return nil, fmt.Errorf("load balancer %s: at least one subnet is required", c.Name)
	}
	zones := map[string]bool{}
	for _, m := range c.Subnets {
		if m.Subnet == nil {
			return nil, fmt.Errorf("load balancer %s: a subnet mapping has no subnet", c.Name)
		}
		// ELB User Guide: one subnet per Availability Zone.
		if zones[m.Subnet.Zone()] {
			return nil, fmt.Errorf("load balancer %s: subnet %s: only one subnet per Availability Zone (%s) may be enabled", c.Name, m.Subnet.Name(), m.Subnet.Zone())
		}
		zones[m.Subnet.Zone()] = true
		if m.Subnet.VPC() != c.Subnets[0].Subnet.VPC() {
			return nil, fmt.Errorf("load balancer %s: subnet %s is in another VPC", c.Name, m.Subnet.Name())
		}
		if c.Scheme == "internet-facing" && !m.PublicAddr.IsValid() {
			return nil, fmt.Errorf("load balancer %s: subnet %s: an internet-facing load balancer needs a public IPv4 address per node", c.Name, m.Subnet.Name())
		}
	}
	lb := &LoadBalancer{net: n, name: c.Name, id: n.IDs().Hex("loadbalancer", 16), cfg: c, flows: newFlowTable(n.Clock()), listeners: map[uint16]*Listener{}}
	for k, v := range c.Attributes {
		if err := lb.SetAttribute(k, v); err != nil {
			return nil, err
		}
	}
	lb.sweeper.Store(n.Clock().AfterFunc(idleTick, lb.sweep))
	for _, m := range c.Subnets {
		nd, err := newNode(lb, m)
		if err != nil {
			return nil, err
		}
		lb.nodes = append(lb.nodes, nd)
	}
	n.AddReturnPathHook(returnPath{lb})
	n.RegisterName(lb.DNSName(), lb.Resolve)
	return lb, nil
}

// SetAttribute sets a load-balancer attribute by its AWS key, validated
// against limits.Attributes.
func (lb *LoadBalancer) SetAttribute(key, value string) error {
	value, err := limits.Check(limits.LoadBalancer, lb.name, key, value)
	if err != nil {
		return err
	}
	if key == AttrCrossZone {
		lb.crossZone.Store(value == "true")
	}
	return nil
}

// Attributes returns the load balancer's attributes by AWS key.
func (lb *LoadBalancer) Attributes() map[string]string {
	return map[string]string{AttrCrossZone: strconv.FormatBool(lb.crossZone.Load())}
}

// Resolve answers the load balancer's DNS name as AWS's DNS does: the
// addresses Addresses returns, in an order that rotates from one answer to
// the next.
func (lb *LoadBalancer) Resolve() []netip.Addr {
	out := lb.Addresses()
	// Answers rotate, so that successive clients spread across zones. An
	// assumption (AWS documents no order): a rotation that starts with the
	// first node, so a run repeats.
	if n := len(out); n > 1 {
		turn := int((lb.dnsTurn.Add(1) - 1) % uint64(n))
		out = append(out[turn:len(out):len(out)], out[:turn]...)
	}
	return out
}

// Addresses returns the addresses the load balancer's DNS name answers, in
// node order: the public addresses of the nodes whose zone has a healthy
// target (any zone's, with cross-zone load balancing on), or of every node
// when none has (fail open) (ELB User Guide, "Health checks", DNS
// failover). Unlike Resolve, it does not rotate.
func (lb *LoadBalancer) Addresses() []netip.Addr {
	var all, healthy []netip.Addr
	lb.mu.RLock()
	ls := make([]*Listener, 0, len(lb.listeners))
	for _, l := range lb.listeners {
		ls = append(ls, l)
	}
	lb.mu.RUnlock()
	for _, nd := range lb.nodes {
		addr := nd.public
		if !addr.IsValid() {
			addr = nd.PrivateAddr()
		}
		all = append(all, addr)
		// A zone's address stays while every target group behind the
		// load balancer has a healthy target it may use from that zone.
		every := len(ls) > 0
		for _, l := range ls {
			zone := nd.zone
			if l.TargetGroup.CrossZone(lb) {
				zone = ""
			}
			every = every && l.TargetGroup.healthyIn(zone)
		}
		if every {
			healthy = append(healthy, addr)
		}
	}
	if len(healthy) == 0 {
		return all
	}
	return healthy
}

// Name returns the load balancer's name.
func (lb *LoadBalancer) Name() string { return lb.name }

// ID returns the 16-hex-digit id AWS appends to the name.
func (lb *LoadBalancer) ID() string { return lb.id }

// Scheme returns internet-facing or internal.
func (lb *LoadBalancer) Scheme() string { return lb.cfg.Scheme }

// ARN returns the load balancer's ARN.
func (lb *LoadBalancer) ARN() string {
	return fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/net/%s/%s", lb.net.Region(), lb.net.AccountID(), lb.name, lb.id)
}

// DNSName returns the load balancer's DNS name as AWS forms it.
func (lb *LoadBalancer) DNSName() string {
	return fmt.Sprintf("%s-%s.elb.%s.amazonaws.com", lb.name, lb.id, lb.net.Region())
}

// Nodes returns the load balancer's nodes, one per enabled subnet.
func (lb *LoadBalancer) Nodes() []*Node { return append([]*Node(nil), lb.nodes...) }

// PublicAddr returns the first node's public address with port: the address
// a client reaches the listener on.
func (lb *LoadBalancer) PublicAddr(port uint16) netip.AddrPort {
	return netip.AddrPortFrom(lb.nodes[0].public, port)
}

// ListenerConfig describes a listener.
type ListenerConfig struct {
	Protocol    string // TCP
	Port        uint16
	TargetGroup *TargetGroup
	// Attributes by AWS key (tcp.idle_timeout.seconds).
	Attributes map[string]string
}

// Listener forwards connections on one port to a target group.
type Listener struct {
	Protocol    string
	Port        uint16
	TargetGroup *TargetGroup
	idle        atomic.Int64 // tcp.idle_timeout.seconds
	id          string       // kept when ModifyListener changes the port
}

// AddListener adds a TCP listener that forwards to a target group.
func (lb *LoadBalancer) AddListener(c ListenerConfig) (*Listener, error) {
	if c.Protocol == "" {
		c.Protocol = "TCP"
	}
	if c.Protocol != "TCP" {
		return nil, fmt.Errorf("load balancer %s: listener %d: Protocol %q: only TCP listeners are in scope", lb.name, c.Port, c.Protocol)
	}
	if c.Port == 0 {
		return nil, fmt.Errorf("load balancer %s: listener Port must be 1-65535", lb.name)
	}
	if c.TargetGroup == nil {
		return nil, fmt.Errorf("load balancer %s: listener %d: DefaultActions needs a target group", lb.name, c.Port)
	}
	if c.TargetGroup.cfg.VPC != lb.cfg.Subnets[0].Subnet.VPC() {
		return nil, fmt.Errorf("load balancer %s: listener %d: target group %s is in another VPC", lb.name, c.Port, c.TargetGroup.Name())
	}
	if other := c.TargetGroup.otherLoadBalancer(lb); other != nil {
		// A topology file refuses the same (a target group serves one
		// load balancer), and so does the Go API.
		return nil, fmt.Errorf("load balancer %s: listener %d: target group %s is already used by load balancer %s (a target group serves one load balancer)", lb.name, c.Port, c.TargetGroup.Name(), other.name)
	}
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if _, ok := lb.listeners[c.Port]; ok {
		return nil, fmt.Errorf("load balancer %s: a listener on port %d already exists", lb.name, c.Port)
	}
	l := &Listener{Protocol: c.Protocol, Port: c.Port, TargetGroup: c.TargetGroup, id: listenerID(lb)}
	l.idle.Store(defaultIdleTimeout())
	for k, v := range c.Attributes {
		if err := l.SetAttribute(k, v); err != nil {
			return nil, fmt.Errorf("load balancer %s: %w", lb.name, err)
		}
	}
	lb.listeners[c.Port] = l
	c.TargetGroup.attach(lb, c.Port)
	return l, nil
}

// Listeners returns the listeners by port.
func (lb *LoadBalancer) Listeners() []*Listener {
	lb.mu.RLock()
	defer lb.mu.RUnlock()
	out := make([]*Listener, 0, len(lb.listeners))
	for _, l := range lb.listeners {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Port < out[j].Port })
	return out
}

func (lb *LoadBalancer) listener(port uint16) *Listener {
	lb.mu.RLock()
	l := lb.listeners[port]
	lb.mu.RUnlock()
	return l
}

// Flows returns a snapshot of the flow table.
func (lb *LoadBalancer) Flows() []Flow { return lb.flows.list() }

// Resets returns how many TCP resets the load balancer sent (AWS's
// TCP_ELB_Reset_Count).
func (lb *LoadBalancer) Resets() uint64 { return lb.resets.Load() }

// PortAllocationErrors returns how many new flows found no source port
// (AWS's PortAllocationErrorCount): without client IP preservation a node
// has about 64,000 ports per target address and port.
func (lb *LoadBalancer) PortAllocationErrors() uint64 { return lb.portErrors.Load() }

// SecurityGroups returns the load balancer's groups (SetSecurityGroups
// may have replaced those it was created with).
func (lb *LoadBalancer) SecurityGroups() []*vnet.SecurityGroup {
	lb.mu.RLock()
	defer lb.mu.RUnlock()
	return append([]*vnet.SecurityGroup(nil), lb.cfg.SecurityGroups...)
}

// Close stops the load balancer's health checks and idle sweeps.
func (lb *LoadBalancer) Close() error {
	lb.mu.Lock()
	lb.closed = true
	lb.mu.Unlock()
	if t := lb.sweeper.Load(); t != nil {
		t.Stop()
	}
	return nil
}

// FlowCount returns the number of live flows.
func (lb *LoadBalancer) FlowCount() int { return lb.flows.len() }
