// Package awsapi answers the AWS APIs of a running lab: the EC2 query API
// (Version 2016-11-15) and the Elastic Load Balancing v2 query API (Version
// 2015-12-01) on one HTTP endpoint, so the AWS CLI, the SDKs and scripts
// written against them look into a lab and change it while it runs.
//
//	srv := httptest.NewServer(awsapi.Handler(l))
//	// aws --endpoint-url srv.URL elbv2 describe-target-health ...
//
// Requests are dispatched on their SigV4 credential scope's service (ec2,
// elasticloadbalancing) and their Action parameter. The signature's form
// and scope are checked (algorithm, date, region, service, signed host),
// its value is not: there is no secret to check it against, and any access
// key is accepted.
//
// Every operation is a thin layer over the lab's own parts (vnet's security
// groups and route tables, nlb's target groups and load balancers): it acts
// on the running data plane, on the lab clock, and its ids and ARNs are the
// ones vlab describe prints. Operations that change something are reported
// to Options.Log in one line: action, resource, result. Operations are
// answered one at a time.
//
// Besides the describes, the operations that change the lab: security-group
// rules, routes, network ACL entries (Create, Replace, DeleteNetworkAclEntry:
// a deny entry cuts a path at once, being stateless), target registration,
// attributes, health-check settings (ModifyTargetGroup: thresholds count
// from the next verdict, a new interval reschedules the next check),
// target groups and listeners (a group no listener uses has its targets
// unused, Target.NotInUse; a listener's ARN survives a port change), and an
// NLB's security groups (SetSecurityGroups, refused as AWS refuses it for an
// NLB created without any). DescribeFlowLogs answers the lab's flow logs,
// one per resource: a log written to a file as delivery to S3, one kept in
// the lab as CloudWatch Logs (group vlab-flow-logs).
//
// The instance lifecycle (Stop, Start, Reboot, TerminateInstances) is
// target.Instance's: states with EC2's codes on the lab clock, a graceful
// stop closing the instance's SSH sessions, and the instance's target
// unused (Target.InvalidState) while it is stopped.
package awsapi
