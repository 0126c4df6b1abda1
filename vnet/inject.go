package vnet

import "github.com/vlab-sim/vlab/vnet/packet"

// Inject sends frame out of this interface as if its host's stack had
// written it: for fuzzing and tests. The frame is parsed exactly as the
// frames a stack writes are (see netstack.Link.WritePackets): one that is
// not a whole IPv4 packet is counted as a DropMalformed drop at the
// interface; any other takes the path a stack's packet takes, with the
// interface's outbound rules, the return-path hooks and route lookup. The
// frame is copied; the caller keeps it. Inject returns when the fabric is
// done with the packet's first hop (delivered to an interface's queue or
// stack, or dropped and counted).
func (e *ENI) Inject(frame []byte) {
	p, err := packet.FromBytes(frame)
	if err != nil {
		eniSink{e}.Malformed()
		return
	}
	// Not written from inside a delivery to this host's stack: it may wait
	// for room in the receiver's queue, as a stack's own packet may.
	p.SetMayWait(true)
	eniSink{e}.Send(p)
}
