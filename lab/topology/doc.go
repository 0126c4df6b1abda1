// Package topology is a lab described as data: VPCs and their subnets,
// route tables, gateways, security groups and network ACLs, instances and
// what they serve, load balancers with their listeners and target groups,
// client PCs and servers on the internet, flow logs.
//
// A Topology is read from YAML with Parse, which reports every problem at
// once as FILE:LINE:COL: field.path: message, or written as Go. Field names
// follow AWS's API and CloudFormation (CidrBlock, HealthCheckIntervalSeconds,
// TargetType, attributes by their AWS keys) so a real setup can be
// transcribed; the tree is vlab's own. Resources refer to each other by
// name where AWS would use an id. Schema returns the JSON Schema of the
// file format.
//
// The package only describes and checks; package lab builds a running lab
// from a Topology.
package topology
