package nlb

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"sync"

	"github.com/vlab-sim/vlab/vnet"
)

// Target types (ELB User Guide, "Target groups for your Network Load
// Balancers"). Only instance targets are in scope so far.
const (
	TargetTypeInstance = "instance"
	TargetTypeIP       = "ip"
)

// TargetGroupConfig describes a target group.
type TargetGroupConfig struct {
	Name       string
	Protocol   string // TCP
	Port       uint16 // the port targets receive traffic on
	TargetType string // instance (the default)
	VPC        *vnet.VPC
}

// TargetGroup routes flows to registered targets.
type TargetGroup struct {
	net  *vnet.Network
	id   string
	cfg  TargetGroupConfig
	seed uint64

	mu      sync.RWMutex
	targets []*Target
	ids     []uint64 // rendezvous ids, parallel to targets
}

// Target is a registered target.
type Target struct {
	// ID is the instance id (i-…) of an instance target.
	ID string
	// ENI is the interface traffic goes to: for an instance target, its
	// primary ENI's primary private address (ELB User Guide, "Register
	// targets").
	ENI *vnet.ENI
	// Port overrides the target group's port when not zero.
	Port uint16
}

// Addr returns the address and port the target receives traffic on.
func (t *Target) addr(tgPort uint16) netip.AddrPort {
	p := t.Port
	if p == 0 {
		p = tgPort
	}
	return netip.AddrPortFrom(t.ENI.PrivateAddr(), p)
}

// NewTargetGroup creates an empty target group.
func NewTargetGroup(n *vnet.Network, c TargetGroupConfig) (*TargetGroup, error) {
	if c.Name == "" {
		return nil, fmt.Errorf("target group: Name is required")
	}
	if c.Protocol == "" {
		c.Protocol = "TCP"
	}
	if c.Protocol != "TCP" {
		return nil, fmt.Errorf("target group %s: Protocol %q: only TCP is in scope (UDP, TCP_UDP, TLS and QUIC are not yet)", c.Name, c.Protocol)
	}
	if c.Port == 0 {
		return nil, fmt.Errorf("target group %s: Port must be 1-65535", c.Name)
	}
	if c.TargetType == "" {
		c.TargetType = TargetTypeInstance
	}
	if c.TargetType != TargetTypeInstance {
		return nil, fmt.Errorf("target group %s: TargetType %q: only instance targets are in scope so far", c.Name, c.TargetType)
	}
	if c.VPC == nil {
		return nil, fmt.Errorf("target group %s: VpcId is required", c.Name)
	}
	h := fnv.New64a()
	h.Write([]byte(c.Name))
	return &TargetGroup{net: n, id: n.IDs().Hex("targetgroup", 16), cfg: c, seed: h.Sum64()}, nil
}

// Name returns the target group's name.
func (tg *TargetGroup) Name() string { return tg.cfg.Name }

// Port returns the target group's port.
func (tg *TargetGroup) Port() uint16 { return tg.cfg.Port }

// Protocol returns the target group's protocol.
func (tg *TargetGroup) Protocol() string { return tg.cfg.Protocol }

// TargetType returns instance or ip.
func (tg *TargetGroup) TargetType() string { return tg.cfg.TargetType }

// ARN returns the target group's ARN.
func (tg *TargetGroup) ARN() string {
	return fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s", tg.net.Region(), tg.net.AccountID(), tg.cfg.Name, tg.id)
}

// Register adds a target. The same instance may be registered again on
// another port.
func (tg *TargetGroup) Register(t Target) error {
	if t.ENI == nil {
		return fmt.Errorf("target group %s: target %s has no network interface", tg.cfg.Name, t.ID)
	}
	if s := t.ENI.Subnet(); s == nil || s.VPC() != tg.cfg.VPC {
		return fmt.Errorf("target group %s: target %s (%s) is not in the target group's VPC %s", tg.cfg.Name, t.ID, t.ENI.PrivateAddr(), tg.cfg.VPC.ID())
	}
	tg.mu.Lock()
	defer tg.mu.Unlock()
	addr := t.addr(tg.cfg.Port)
	for _, o := range tg.targets {
		if o.addr(tg.cfg.Port) == addr {
			return fmt.Errorf("target group %s: target %s port %d is already registered", tg.cfg.Name, t.ID, addr.Port())
		}
	}
	c := t
	h := fnv.New64a()
	h.Write([]byte(addr.String()))
	tg.targets = append(append([]*Target(nil), tg.targets...), &c)
	tg.ids = append(append([]uint64(nil), tg.ids...), h.Sum64())
	return nil
}

// Deregister removes the target with id on port (0: the group's port).
// Existing flows to it continue; new flows go elsewhere.
func (tg *TargetGroup) Deregister(id string, port uint16) error {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	for i, t := range tg.targets {
		if t.ID == id && (port == 0 || t.addr(tg.cfg.Port).Port() == port) {
			tg.targets = append(append([]*Target(nil), tg.targets[:i]...), tg.targets[i+1:]...)
			tg.ids = append(append([]uint64(nil), tg.ids[:i]...), tg.ids[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("target group %s: target %s is not registered", tg.cfg.Name, id)
}

// Targets returns the registered targets.
func (tg *TargetGroup) Targets() []Target {
	tg.mu.RLock()
	defer tg.mu.RUnlock()
	out := make([]Target, len(tg.targets))
	for i, t := range tg.targets {
		out[i] = *t
	}
	return out
}

// pick chooses the target of a new flow. Every registered target counts as
// healthy until health checks exist.
func (tg *TargetGroup) pick(k tuple) (*Target, netip.AddrPort, bool) {
	tg.mu.RLock()
	defer tg.mu.RUnlock()
	i := rendezvous(k.hash(tg.seed), tg.ids)
	if i < 0 {
		return nil, netip.AddrPort{}, false
	}
	t := tg.targets[i]
	return t, t.addr(tg.cfg.Port), true
}
