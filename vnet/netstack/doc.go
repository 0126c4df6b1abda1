// Package netstack builds the gVisor TCP/IP stacks that every vlab host runs
// and the link endpoint that joins a stack's interface to the vnet fabric.
//
// It is one of the two packages of vlab that import gVisor (with
// vnet/packet): gVisor's API moves between versions, so everything above this
// package speaks net.Conn, net.Listener and netip.
package netstack
