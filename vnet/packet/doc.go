// Package packet holds one IPv4 packet as it crosses the vnet fabric: its
// parsed addresses and ports (the flow tuple) and in-place rewrites of those
// fields with incremental checksum updates, as an NLB node or an internet
// gateway performs them.
//
// It is one of the two packages of vlab that import gVisor (the other is
// vnet/netstack); everything above it speaks netip.
package packet
