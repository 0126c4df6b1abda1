package wire

// TCPFlags are the flag bits of a TCP header's 14th byte (RFC 9293, RFC
// 3168 for ECE and CWR).
type TCPFlags uint8

// The flags.
const (
	FIN TCPFlags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

// Has reports whether every flag of g is set.
func (f TCPFlags) Has(g TCPFlags) bool { return f&g == g }

// IsSYN reports a connection's first segment: SYN without ACK.
func (f TCPFlags) IsSYN() bool { return f&(SYN|ACK) == SYN }
