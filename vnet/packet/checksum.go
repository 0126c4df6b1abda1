package packet

import "gvisor.dev/gvisor/pkg/tcpip/checksum"

func payloadSum(b []byte) uint16 { return checksum.Checksum(b, 0) }
