package wire

import "fmt"

// IP protocol numbers (IANA).
const (
	ICMP uint8 = 1
	TCP  uint8 = 6
	UDP  uint8 = 17
)

// ProtoName names an IP protocol the way ss and tcpdump do.
func ProtoName(p uint8) string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	case ICMP:
		return "icmp"
	}
	return fmt.Sprintf("proto-%d", p)
}
