// Package reference is the reference scenario as a topology: an SSH
// session from a PC on the internet, through an internet-facing Network
// Load Balancer, to an EC2 instance in a private subnet (ARCHITECTURE.md,
// "The reference scenario"). Its Config holds the scenario's switches
// (zones, targets, the security-group rules, target type, Proxy Protocol,
// a NAT gateway…) and its only output is a topology, which package lab
// builds like any other; examples/reference.yaml is Default().Topology()
// written out.
package reference
