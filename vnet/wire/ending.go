package wire

import "time"

// ClosedLinger is how long a tracker remembers a connection after it
// closed, so that its last packets (a FIN after an RST, a retransmitted
// ACK) still find it. AWS documents no figure; the lab takes Linux
// conntrack's for a closed connection (nf_conntrack_tcp_timeout_close).
const ClosedLinger = 10 * time.Second

// Ending is where a TCP connection is in its end, as the fabric's
// trackers (a security group's connection tracking, the load balancer's
// flow table) follow it: each end's FIN, then closed after an RST or the
// ACK that follows both FINs. The zero Ending is a live connection. It is
// a small value, to be kept in an atomic where packets of both directions
// update it at once.
type Ending uint32

// Bits of an Ending.
const (
	FinFromA Ending = 1 << iota // the end that opened the connection sent FIN
	FinFromB                    // the other end sent FIN
	Closed                      // ended: the trackers keep it a linger more
)

// Note returns e after a segment with flags from the opener's end
// (fromA) or the other: closed after an RST, or after an ACK once both
// ends have sent FIN. A closed Ending stays closed.
func (e Ending) Note(flags TCPFlags, fromA bool) Ending {
	switch {
	case e&Closed != 0:
		return e
	case flags&RST != 0:
		return e | Closed
	case flags&FIN != 0:
		if fromA {
			return e | FinFromA
		}
		return e | FinFromB
	case flags&ACK != 0 && e&(FinFromA|FinFromB) == FinFromA|FinFromB:
		return e | Closed
	}
	return e
}

// Closing reports that either end has sent FIN (or it is closed).
func (e Ending) Closing() bool { return e != 0 }

// IsClosed reports that the connection has ended.
func (e Ending) IsClosed() bool { return e&Closed != 0 }
