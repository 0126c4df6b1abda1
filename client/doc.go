// Package client is a PC on the internet side of a vlab: a host with its own
// stack, helpers to dial (net.Conn) and to run SSH commands and sessions over
// that stack with golang.org/x/crypto/ssh, and the forwarder that carries
// connections accepted on a host loopback port into the lab.
package client
