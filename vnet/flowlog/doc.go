// Package flowlog is the lab's VPC Flow Logs: it aggregates the fabric's
// per-interface verdicts (ACCEPT, REJECT) into flow-log records per
// aggregation window on the lab clock, prints them in AWS's default or a
// custom format, delivers them to memory or a file, and queries them with
// CloudWatch Logs filter patterns. It works on raw IPv4 bytes and knows
// nothing of the fabric.
package flowlog
