package vnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/vlab-sim/vlab/vnet/netstack"
	"github.com/vlab-sim/vlab/vnet/packet"
)

// Socket is one TCP socket of a host, as `ss` lists it.
type Socket = netstack.Socket

// OSRoute is one entry of a host's own routing table, as `ip route` prints
// it (not a VPC route table).
type OSRoute = netstack.Route

// StackStats are a host stack's TCP counters.
type StackStats = netstack.Stats

// Host is a machine with its own TCP/IP stack and one or more interfaces.
type Host struct {
	net  *Network
	name string
	st   *netstack.Stack

	mu     sync.Mutex
	enis   []*ENI
	closed bool

	down   atomic.Bool   // powered off: see SetDown
	cycles atomic.Uint64 // times powered off

	terminated atomic.Bool // see SetTerminated
}

// NewHost creates a host named name with no interface yet.
func (n *Network) NewHost(name string) (*Host, error) {
	if name == "" {
		return nil, fmt.Errorf("host: a name is required")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, ErrClosed
	}
	for _, h := range n.hosts {
		if h.name == name {
			return nil, fmt.Errorf("host %s: a host with that name already exists", name)
		}
	}
	h := &Host{net: n, name: name, st: netstack.New()}
	n.hosts = append(n.hosts, h)
	return h, nil
}

// Name returns the host's name.
func (h *Host) Name() string { return h.name }

// Network returns the network the host is part of.
func (h *Host) Network() *Network { return h.net }

// ENIs returns the host's interfaces, eth0 first.
func (h *Host) ENIs() []*ENI {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*ENI(nil), h.enis...)
}

// PrimaryENI returns eth0, or nil for a host without interfaces.
func (h *Host) PrimaryENI() *ENI {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.enis) == 0 {
		return nil
	}
	return h.enis[0]
}

// Addr returns the primary private address of the host.
func (h *Host) Addr() netip.Addr {
	if e := h.PrimaryENI(); e != nil {
		return e.PrivateAddr()
	}
	return netip.Addr{}
}

// ENIOptions are the optional settings of an interface in a subnet.
type ENIOptions struct {
	// PublicIP is a public IPv4 address the VPC's internet gateway maps to
	// the interface.
	PublicIP netip.Addr
	// Description is shown by describe commands.
	Description string
	// SecurityGroups are the interface's groups; none means the VPC's
	// default group, as in AWS.
	SecurityGroups []*SecurityGroup
	// InstanceID is the instance the interface belongs to (flow logs'
	// instance-id).
	InstanceID string
	// Unfiltered interfaces meet no security group at all: AWS's
	// requester-managed interfaces of a load balancer created without
	// security groups.
	Unfiltered bool
	// ConnectionTracking sets the interface's idle connection-tracking
	// timeouts (AWS's ConnectionTrackingSpecification); zero fields take
	// AWS's defaults.
	ConnectionTracking ConnectionTracking
}

// AttachSubnet gives the host a new interface in subnet s with private
// address addr. The host's OS gets the subnet route and, for its first
// interface, a default route via the subnet's router.
func (h *Host) AttachSubnet(s *Subnet, addr netip.Addr, o ENIOptions) (*ENI, error) {
	if !s.cidr.Contains(addr) {
		return nil, fmt.Errorf("host %s: address %s is not in subnet %s (%s)", h.name, addr, s.name, s.cidr)
	}
	if s.reserved(addr) {
		return nil, fmt.Errorf("host %s: address %s is reserved by AWS in subnet %s (%s): the first four and the last address of a subnet cannot be assigned", h.name, addr, s.name, s.cidr)
	}
	if o.PublicIP.IsValid() && !o.PublicIP.Is4() {
		return nil, fmt.Errorf("host %s: public address %s is not IPv4", h.name, o.PublicIP)
	}
	if err := o.ConnectionTracking.Check(); err != nil {
		return nil, fmt.Errorf("host %s: %w", h.name, err)
	}
	n := h.net
	n.mu.Lock()
	if other := s.vpc.byAddr[addr]; other != nil {
		n.mu.Unlock()
		return nil, fmt.Errorf("host %s: address %s is already used by %s (%s)", h.name, addr, other.id, other.host.name)
	}
	if o.PublicIP.IsValid() {
		if err := n.checkPublicFreeLocked(o.PublicIP); err != nil {
			n.mu.Unlock()
			return nil, fmt.Errorf("host %s: public address %w", h.name, err)
		}
	}
	e := h.newENILocked(s, netip.PrefixFrom(addr, s.cidr.Bits()), o)
	s.vpc.byAddr[addr] = e
	if o.PublicIP.IsValid() {
		n.public[o.PublicIP] = e
	}
	n.mu.Unlock()
	if !o.Unfiltered {
		gs := o.SecurityGroups
		if len(gs) == 0 {
			gs = []*SecurityGroup{s.vpc.DefaultSecurityGroup()}
		}
		if err := e.SetSecurityGroups(gs); err != nil {
			return nil, fmt.Errorf("host %s: %w", h.name, err)
		}
	}
	return e, h.plug(e, s.Router())
}

// AttachInternet gives the host an interface on the internet segment with
// address addr (its prefix is the host's own view of its link); the host's
// default route points at the link's first address.
func (h *Host) AttachInternet(addr netip.Prefix) (*ENI, error) {
	if !addr.IsValid() || !addr.Addr().Is4() {
		return nil, fmt.Errorf("host %s: address %s is not an IPv4 prefix", h.name, addr)
	}
	n := h.net
	n.mu.Lock()
	if err := n.checkPublicFreeLocked(addr.Addr()); err != nil {
		n.mu.Unlock()
		return nil, fmt.Errorf("host %s: address %w", h.name, err)
	}
	e := h.newENILocked(nil, addr, ENIOptions{})
	n.internet[addr.Addr()] = e
	n.mu.Unlock()
	return e, h.plug(e, addr.Masked().Addr().Next())
}

func (n *Network) checkPublicFreeLocked(a netip.Addr) error {
	if e := n.public[a]; e != nil {
		return fmt.Errorf("%s is already mapped to %s (%s)", a, e.id, e.host.name)
	}
	if e := n.internet[a]; e != nil {
		return fmt.Errorf("%s is already used on the internet by %s", a, e.host.name)
	}
	return nil
}

func (h *Host) newENILocked(s *Subnet, addr netip.Prefix, o ENIOptions) *ENI {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := &ENI{
		net:         h.net,
		host:        h,
		id:          h.net.ids.Next("eni"),
		name:        "eth" + strconv.Itoa(len(h.enis)),
		description: o.Description,
		instanceID:  o.InstanceID,
		subnet:      s,
		addr:        addr,
		public:      o.PublicIP,
		unfiltered:  s == nil || o.Unfiltered,
	}
	e.ct.net = h.net
	if o.ConnectionTracking != (ConnectionTracking{}) {
		t := o.ConnectionTracking.withDefaults()
		e.ct.spec.Store(&t)
	}
	h.enis = append(h.enis, e)
	return e
}

func (h *Host) plug(e *ENI, gateway netip.Addr) error {
	ifc, err := h.st.AddInterface(e.name, e.addr, gateway, eniSink{e})
	if err != nil {
		return fmt.Errorf("host %s: %w", h.name, err)
	}
	e.iface = ifc
	return nil
}

func parseAddrPort(network, address string) (netip.AddrPort, error) {
	switch network {
	case "tcp", "tcp4", "udp", "udp4":
	default:
		return netip.AddrPort{}, fmt.Errorf("network %q: vlab hosts speak tcp and udp over IPv4", network)
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("address %q: %w", address, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("address %q: port %q is not a number from 0 to 65535", address, port)
	}
	if host == "" {
		return netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(p)), nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Is4() {
		return netip.AddrPort{}, fmt.Errorf("address %q: %q is not an IPv4 address (vlab hosts do not resolve names)", address, host)
	}
	return netip.AddrPortFrom(a, uint16(p)), nil
}

// DialContext connects to address ("198.51.100.10:51512") from this host's
// stack; network is "tcp" or "udp".
func (h *Host) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	ap, err := parseAddrPort(network, address)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	if network[0] == 'u' {
		return h.st.DialUDP(ap)
	}
	return h.st.DialTCP(ctx, ap)
}

// Dial connects to a TCP address from this host's stack.
func (h *Host) Dial(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
	return h.st.DialTCP(ctx, addr)
}

// Listen listens for TCP connections on address (":22" for every address of
// the host).
func (h *Host) Listen(network, address string) (net.Listener, error) {
	ap, err := parseAddrPort(network, address)
	if err != nil || network[0] != 't' {
		if err == nil {
			err = fmt.Errorf("network %q: Listen is for tcp; use ListenPacket for udp", network)
		}
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	return h.st.ListenTCP(ap)
}

// ListenPacket binds a UDP socket on address.
func (h *Host) ListenPacket(network, address string) (net.PacketConn, error) {
	ap, err := parseAddrPort(network, address)
	if err != nil || network[0] != 'u' {
		if err == nil {
			err = fmt.Errorf("network %q: ListenPacket is for udp", network)
		}
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	return h.st.ListenUDP(ap)
}

// Sockets lists the host's TCP sockets, as `ss -tan` would.
func (h *Host) Sockets() []Socket { return h.st.TCPSockets() }

// Routes returns the host's own routing table.
func (h *Host) Routes() []OSRoute { return h.st.Routes() }

// Stats returns the host stack's TCP counters.
func (h *Host) Stats() StackStats { return h.st.Stats() }

// SetEphemeralPorts sets the range of local ports the host's connections
// use.
func (h *Host) SetEphemeralPorts(lo, hi uint16) error { return h.st.SetEphemeralPorts(lo, hi) }

// Owns reports whether an arriving packet of flow f belongs to one of the
// host's connected sockets.
func (h *Host) Owns(f packet.Flow) bool { return h.st.Owns(f) }

func (h *Host) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	h.mu.Unlock()
	h.st.Close()
}

// DialBound connects to a TCP address as Dial does, telling bound the
// connection's own address and port before its first SYN leaves: a caller
// that watches the fabric (a health checker) can then tell its packets
// from an earlier connection's.
func (h *Host) DialBound(ctx context.Context, addr netip.AddrPort, bound func(local netip.AddrPort)) (net.Conn, error) {
	return h.st.DialTCPFrom(ctx, h.Addr(), addr, bound)
}

// DialOrDrop connects to a TCP address as Dial does, but gives up as soon as
// the fabric drops a packet of the connection (a security group, an ACL, a
// missing route or listener, past any load balancer that rewrote it), with
// a *DropError that names the drop, instead of letting TCP retry until ctx
// ends. It is for test code and tools that want to know why at once; the
// programs of the lab's own hosts use Dial, whose connections time out as
// they would in AWS.
func (h *Host) DialOrDrop(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := func() {}
	conn, err := h.st.DialTCPFrom(ctx, h.Addr(), addr, func(local netip.AddrPort) {
		stop = h.net.WatchConnection(local, func(e DropEvent) { cancel(&DropError{Event: e}) })
	})
	stop()
	if err != nil {
		var de *DropError
		if errors.As(context.Cause(ctx), &de) {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(addr), Err: de}
		}
		return nil, err
	}
	return conn, nil
}
