// Package nlb is a layer-4 Network Load Balancer on the vnet fabric: load
// balancers with one node per enabled subnet, TCP listeners, target groups
// and the flow table that keeps every packet of a connection on one target.
//
// A node forwards client packets without terminating them: it rewrites the
// destination to the target's address and port and keeps the client's source
// (client IP preservation, the default for instance targets), in the fabric's
// packet path, so forwarded traffic never crosses the node's own TCP stack.
// The target's replies reach the node through a return-path hook, although the
// target's route table has no route to the client: that is AWS Hyperplane's
// flow tracking (ELB User Guide, "Network Load Balancers"). The node's own
// stack serves only what the node itself originates.
package nlb
