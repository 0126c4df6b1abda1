package nlb

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"strings"

	"github.com/vlab-sim/vlab/vnet"
)

// A node stack's own ephemeral ports (health checks): all those above the SNAT pool, so the two never collide and
// TIME-WAIT leaves the node room.
const nodePortsLo, nodePortsHi = snatLo + snatSize, 65535

// Node is one load balancer node: a host in one enabled subnet whose ENI
// carries the load balancer's address in that zone.
type Node struct {
	lb     *LoadBalancer
	host   *vnet.Host
	eni    *vnet.ENI
	zone   string
	public netip.Addr
	snat   snatPorts
}

// nodeName is the node's host name: nlb-1a for ap-northeast-1a.
func nodeName(zone string) string {
	if i := strings.LastIndexByte(zone, '-'); i >= 0 && i+1 < len(zone) {
		zone = zone[i+1:]
	}
	return "nlb-" + zone
}

func newNode(lb *LoadBalancer, m SubnetMapping) (*Node, error) {
	name := nodeName(m.Subnet.Zone())
	if lb.net.Host(name) != nil {
		// A second load balancer in the zone: its node's name says whose.
		name = lb.name + "-" + name
	}
	h, err := lb.net.NewHost(name)
	if err != nil {
		return nil, fmt.Errorf("load balancer %s: %w", lb.name, err)
	}
	eni, err := h.AttachSubnet(m.Subnet, m.PrivateAddr, vnet.ENIOptions{
		PublicIP: m.PublicAddr,
		// The description AWS gives an NLB's network interfaces.
		Description:    fmt.Sprintf("ELB net/%s/%s", lb.name, lb.id),
		SecurityGroups: lb.cfg.SecurityGroups,
		Unfiltered:     len(lb.cfg.SecurityGroups) == 0,
	})
	if err != nil {
		return nil, fmt.Errorf("load balancer %s: subnet %s: %w", lb.name, m.Subnet.Name(), err)
	}
	// The node's own connections (health checks) take ports above the
	// SNAT pool, and late packets to them go to the node's stack, which
	// answers them as a host would.
	if err := h.SetEphemeralPorts(nodePortsLo, nodePortsHi); err != nil {
		return nil, fmt.Errorf("load balancer %s: %w", lb.name, err)
	}
	nd := &Node{lb: lb, host: h, eni: eni, zone: m.Subnet.Zone(), public: m.PublicAddr}
	seed := fnv.New32a()
	seed.Write([]byte(eni.ID()))
	nd.snat.start = seed.Sum32() % snatSize
	eni.SetInterceptor(nd.intercept)
	return nd, nil
}

// Host returns the node's host (its own stack originates health checks).
func (nd *Node) Host() *vnet.Host { return nd.host }

// ENI returns the node's network interface.
func (nd *Node) ENI() *vnet.ENI { return nd.eni }

// Zone returns the node's availability zone.
func (nd *Node) Zone() string { return nd.zone }

// PrivateAddr returns the node's private address in its subnet.
func (nd *Node) PrivateAddr() netip.Addr { return nd.eni.PrivateAddr() }

// PublicAddr returns the node's public IPv4 address (internet-facing only).
func (nd *Node) PublicAddr() netip.Addr { return nd.public }
