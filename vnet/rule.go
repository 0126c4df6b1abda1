package vnet

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vlab-sim/vlab/vnet/packet"
)

// ProtoAll matches every IP protocol (AWS writes it -1).
const ProtoAll = 0xff

// ParseProtocol reads a rule's protocol as AWS accepts it: tcp, udp, icmp,
// all (or -1), or a number.
func ParseProtocol(s string) (uint8, error) {
	switch strings.ToLower(s) {
	case "tcp", "6":
		return packet.TCP, nil
	case "udp", "17":
		return packet.UDP, nil
	case "icmp", "1":
		return packet.ICMP, nil
	case "all", "-1", "":
		return ProtoAll, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 254 {
		return 0, fmt.Errorf("protocol %q: want tcp, udp, icmp, all (-1) or a number 0-254", s)
	}
	return uint8(n), nil
}

// protoName names a rule's protocol the way AWS prints it.
func protoName(p uint8) string {
	if p == ProtoAll {
		return "all"
	}
	return packet.ProtoName(p)
}

// PortRange is an inclusive range of destination ports; the zero value, and
// any range on a protocol without ports, means all ports.
type PortRange struct{ From, To uint16 }

// AllPorts is 0-65535.
var AllPorts = PortRange{0, 65535}

func (r PortRange) all() bool { return (r.From == 0 && r.To == 0) || (r.From == 0 && r.To == 65535) }

func (r PortRange) contains(port uint16) bool { return r.all() || (port >= r.From && port <= r.To) }

func (r PortRange) validate() error {
	if !r.all() && r.From > r.To {
		return fmt.Errorf("port range %d-%d: FromPort is above ToPort", r.From, r.To)
	}
	return nil
}

func (r PortRange) String() string {
	switch {
	case r.all():
		return "all ports"
	case r.From == r.To:
		return strconv.Itoa(int(r.From))
	}
	return fmt.Sprintf("%d-%d", r.From, r.To)
}

// matchProtoPort reports whether p is of protocol proto with its destination
// port in ports.
func matchProtoPort(proto uint8, ports PortRange, p *packet.Packet) bool {
	if proto == ProtoAll {
		return true
	}
	if p.Protocol() != proto {
		return false
	}
	if proto != packet.TCP && proto != packet.UDP {
		return true
	}
	return ports.contains(p.DstPort())
}

func describeDst(p *packet.Packet) string {
	switch p.Protocol() {
	case packet.TCP, packet.UDP:
		return fmt.Sprintf("%s %d", strings.ToUpper(packet.ProtoName(p.Protocol())), p.DstPort())
	}
	return strings.ToUpper(packet.ProtoName(p.Protocol()))
}

func mustPrefix(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, a.BitLen()) }
