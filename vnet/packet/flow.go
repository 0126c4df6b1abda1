package packet

import "github.com/vlab-sim/vlab/vnet/wire"

// Flow is a 5-tuple: wire's, the one the whole fabric uses.
type Flow = wire.Flow

// ProtoName names an IP protocol the way ss and tcpdump do.
func ProtoName(p uint8) string { return wire.ProtoName(p) }
