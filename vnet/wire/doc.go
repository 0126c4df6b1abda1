// Package wire is vlab's one vocabulary for packets: IP protocol numbers,
// TCP flags, read-only views of IPv4, TCP and UDP headers, the 5-tuple,
// and how a TCP connection ends. It uses the standard library only, so
// that every floor of the fabric (captures, flow logs, connection
// tracking, the load balancer) reads packets the same way.
package wire
