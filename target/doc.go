// Package target is an EC2-like instance on the vnet fabric: a host in a
// private subnet running a real golang.org/x/crypto/ssh server that serves
// the built-in shell of package target/shell (the simulated host, never the
// real machine), plus any net.Listener server other code runs on it.
package target
