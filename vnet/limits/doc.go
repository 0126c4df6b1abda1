// Package limits is AWS's documented numbers the lab enforces, in one
// table each: the attributes of load balancers, listeners and target
// groups (key, owner, default, the values AWS takes, the document that
// says so), and the network limits (VPC and subnet netmasks, private
// address ranges). The fabric, the load balancer, the topology checks and
// the placement of errors in a topology file all read them here.
package limits
