package vnet

import (
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vlab-sim/vlab/vnet/limits"
	"github.com/vlab-sim/vlab/vnet/packet"
)

// Options configure a Network.
type Options struct {
	// Seed makes resource ids deterministic; the same seed gives the same ids.
	Seed uint64
	// AccountID is the AWS account that owns the resources (123456789012 by
	// default).
	AccountID string
	// Region is the AWS region (ap-northeast-1 by default).
	Region string
	// Clock is the lab clock; nil gives a frozen clock at LabEpoch.
	Clock *Clock
}

// LabEpoch is where a new lab clock starts: a fixed instant, so that a
// lab's output is the same on every run.
var LabEpoch = time.Date(2026, 11, 24, 3, 20, 0, 0, time.UTC)

// Network is the whole fabric: the internet segment and every VPC, with the
// hosts attached to them. It is safe for concurrent use.
type Network struct {
	ids     *IDs
	clock   *Clock
	account string
	region  string
	drops   dropTable
	// ctEpoch counts lab seconds while some interface tracks a flow;
	// ctArmed says the sweeper that counts them is scheduled.
	ctEpoch atomic.Int64
	ctArmed atomic.Bool
	// tracing counts the traces (TraceConnection); traces is read on the
	// packet path only when it is not zero.
	tracing atomic.Int32
	traceMu sync.Mutex
	traces  []*Trace

	mu       sync.RWMutex
	vpcs     []*VPC
	hosts    []*Host
	internet map[netip.Addr]*ENI // internet hosts' addresses
	public   map[netip.Addr]*ENI // public IPv4 addresses mapped 1:1 by internet gateways
	hooks    []ReturnPathHook
	origins  []FlowOrigin // rewriters that are not hooks (NAT gateways)
	// originSnap is hooks' FlowOrigins and origins, replaced under mu and
	// read without it: traces and drop watchers ask it on the packet path,
	// where mu may already be read-locked (a second RLock can deadlock
	// behind a waiting writer).
	originSnap atomic.Pointer[[]FlowOrigin]
	closed     bool
	flowLogs   flowLogs
	names      map[string]func() []netip.Addr
}

// New returns an empty network.
func New(o Options) *Network {
	if o.AccountID == "" {
		o.AccountID = "123456789012"
	}
	if o.Region == "" {
		o.Region = "ap-northeast-1"
	}
	if o.Clock == nil {
		o.Clock = NewClock(LabEpoch)
	}
	return &Network{
		ids:      NewIDs(o.Seed),
		clock:    o.Clock,
		account:  o.AccountID,
		region:   o.Region,
		internet: map[netip.Addr]*ENI{},
		public:   map[netip.Addr]*ENI{},
	}
}

// IDs returns the network's id generator, for resources built on top of it
// (load balancers, target groups, instances).
func (n *Network) IDs() *IDs { return n.ids }

// Clock returns the lab clock.
func (n *Network) Clock() *Clock { return n.clock }

// AccountID returns the account that owns the network's resources.
func (n *Network) AccountID() string { return n.account }

// Region returns the network's AWS region.
func (n *Network) Region() string { return n.region }

// VPCs returns the network's VPCs in creation order.
func (n *Network) VPCs() []*VPC {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return append([]*VPC(nil), n.vpcs...)
}

// Hosts returns the network's hosts in creation order.
func (n *Network) Hosts() []*Host {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return append([]*Host(nil), n.hosts...)
}

// Host returns the host named name, or nil.
func (n *Network) Host(name string) *Host {
	n.mu.RLock()
	defer n.mu.RUnlock()
	for _, h := range n.hosts {
		if h.name == name {
			return h
		}
	}
	return nil
}

// ENI returns the interface with the given id, or nil.
func (n *Network) ENI(id string) *ENI {
	for _, h := range n.Hosts() {
		for _, e := range h.ENIs() {
			if e.id == id {
				return e
			}
		}
	}
	return nil
}

// AddVPC creates a VPC with the given IPv4 CIDR and a main route table that
// holds its local route.
func (n *Network) AddVPC(name string, cidr netip.Prefix) (*VPC, error) {
	if !cidr.IsValid() || !cidr.Addr().Is4() {
		return nil, fmt.Errorf("vpc %s: CidrBlock %s is not an IPv4 CIDR", name, cidr)
	}
	if cidr.Masked() != cidr {
		return nil, fmt.Errorf("vpc %s: CidrBlock %s has host bits set (did you mean %s?)", name, cidr, cidr.Masked())
	}
	if err := limits.CheckBlock(cidr); err != nil {
		return nil, fmt.Errorf("vpc %s: CidrBlock %w", name, err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, ErrClosed
	}
	v := &VPC{net: n, id: n.ids.Next("vpc"), name: name, cidr: cidr, byAddr: map[netip.Addr]*ENI{}}
	v.main = v.newRouteTableLocked(name + "-main")
	v.newACLLocked(name+"-default", true)
	n.vpcs = append(n.vpcs, v)
	n.mu.Unlock()
	def, err := v.AddSecurityGroup("default", "default VPC security group")
	n.mu.Lock()
	if err != nil {
		return nil, err
	}
	def.inbound = []SGRule{{Protocol: "all", Group: def, proto: ProtoAll}}
	return v, nil
}

// AddReturnPathHook registers h; it is consulted, in registration order, for
// every packet that leaves an interface in a VPC, before route lookup.
func (n *Network) AddReturnPathHook(h ReturnPathHook) {
	n.mu.Lock()
	n.hooks = append(append([]ReturnPathHook(nil), n.hooks...), h)
	n.snapOriginsLocked()
	n.mu.Unlock()
}

// snapOriginsLocked publishes the rewriters that can name a rewritten
// packet's connection; n.mu is held.
func (n *Network) snapOriginsLocked() {
	out := append([]FlowOrigin(nil), n.origins...)
	for _, h := range n.hooks {
		if o, ok := h.(FlowOrigin); ok {
			out = append(out, o)
		}
	}
	n.originSnap.Store(&out)
}

// ReturnPathHooks lists the registered hooks, in order.
func (n *Network) ReturnPathHooks() []ReturnPathHook {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return append([]ReturnPathHook(nil), n.hooks...)
}

// RemoveReturnPathHook unregisters h: packets it would have carried take
// their route tables' way (what a load balancer without AWS's flow
// tracking would see).
func (n *Network) RemoveReturnPathHook(h ReturnPathHook) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var keep []ReturnPathHook
	for _, o := range n.hooks {
		if o != h {
			keep = append(keep, o)
		}
	}
	n.hooks = keep
	n.snapOriginsLocked()
}

// Close stops every host of the network and waits for their goroutines.
func (n *Network) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	hosts := n.hosts
	n.mu.Unlock()
	n.closeFlowLogs()
	n.clock.Close()
	for _, h := range hosts {
		h.close()
	}
	return nil
}

// ReturnPathHook sees packets leaving VPC interfaces before route lookup.
// When p belongs to a flow the hook tracks, ReturnPath returns the ENI that
// owns the flow: the fabric carries p there, across the network ACLs, and
// delivers it as any packet (its security groups, then its interceptor).
type ReturnPathHook interface {
	ReturnPath(from *ENI, p *packet.Packet) (to *ENI)
}

// Interceptor sees packets that arrive at an ENI before the ENI's stack
// does. It reports whether it took p (and with it, ownership of p).
type Interceptor func(p *packet.Packet) bool
