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
// to Options.Log in one line: action, resource, result.
package awsapi
