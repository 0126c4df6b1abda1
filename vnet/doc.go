// Package vnet is the fabric of a vlab: the internet segment, VPCs with
// subnets, route tables and internet gateways, the network interfaces (ENIs)
// that join hosts to them, and the hosts themselves, each running its own
// gVisor TCP/IP stack.
//
// Every packet a host writes is carried by the fabric on the writer's
// goroutine up to the destination interface: parsed, filtered, routed by
// longest-prefix match on its subnet's route table, translated by the
// gateways it crosses. The destination's link then delivers it to the
// stack, in batches on its own goroutine (a lone packet on the sender's),
// making the sender wait when its queue is full: nothing is lost for lack
// of room, and a packet is either delivered or dropped with a counted
// reason (see Drops).
//
// Every packet takes one path: leave (the capture, the sender's outbound
// rules, the return-path hooks, the route) and arrive (the network ACLs
// crossed, the receiver's security groups, its interceptor, its stack).
// The fabric records its decisions along it for whoever traces the
// connection (TraceConnection: explain reads that record), and every drop
// is one DropEvent.
//
// Two extension points serve the load balancer without the fabric knowing
// about it: an Interceptor on an ENI sees packets before the ENI's stack does
// (the NLB node's forwarding path), and a ReturnPathHook sees every packet
// leaving a VPC interface before route lookup (AWS Hyperplane's flow
// tracking, which carries a target's replies back to the NLB node even
// though the target's route table has no route for them); the reply then
// arrives at the node's interface like any packet, and its interceptor
// forwards it.
//
// Simplifications: IPv4 only; no link layer (no ARP, no MAC addresses); one
// internet segment on which every internet address is directly reachable.
package vnet
