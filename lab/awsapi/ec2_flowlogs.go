package awsapi

import (
	"time"
)

// flowLogGroup is the log group the lab names for a flow log whose records
// stay in the lab (an assumption: the lab has no CloudWatch Logs; it
// answers as if the records went there).
const flowLogGroup = "vlab-flow-logs"

type ec2FlowLog struct {
	CreationTime           string   `xml:"creationTime"`
	DeliverLogsStatus      string   `xml:"deliverLogsStatus"`
	FlowLogID              string   `xml:"flowLogId"`
	FlowLogStatus          string   `xml:"flowLogStatus"`
	LogGroupName           string   `xml:"logGroupName,omitempty"`
	ResourceID             string   `xml:"resourceId"`
	TrafficType            string   `xml:"trafficType"`
	LogDestinationType     string   `xml:"logDestinationType"`
	LogDestination         string   `xml:"logDestination,omitempty"`
	LogFormat              string   `xml:"logFormat"`
	MaxAggregationInterval int      `xml:"maxAggregationInterval"`
	TagSet                 []ec2Tag `xml:"tagSet>item,omitempty"`
}

// describeFlowLogs answers the lab's flow logs, one per resource as AWS
// creates them (EC2 API Reference, "DescribeFlowLogs"): every one logs
// ALL traffic. A log written to a file answers as delivery to S3 (the file
// is written as S3 delivery writes it) with the file as its destination;
// one kept in the lab as CloudWatch Logs, group vlab-flow-logs.
func describeFlowLogs(c *call) (any, *apiError) {
	fs, aerr := c.filters("flow-log-id", "resource-id", "traffic-type", "log-destination-type", "deliver-log-status", "log-group-name")
	if aerr != nil {
		return nil, aerr
	}
	ids := c.list("FlowLogId")
	seen := map[string]bool{}
	var kept []ec2FlowLog
	for _, info := range c.s.l.FlowLogInfos() {
		for _, rid := range info.ResourceIDs {
			id := info.ID
			if len(info.ResourceIDs) > 1 {
				id = derivedID("fl", info.ID, rid)
			}
			seen[id] = true
			d := ec2FlowLog{CreationTime: info.Created.UTC().Format(time.RFC3339), DeliverLogsStatus: "SUCCESS", FlowLogID: id, FlowLogStatus: "ACTIVE",
				ResourceID: rid, TrafficType: "ALL", LogFormat: info.LogFormat, MaxAggregationInterval: info.MaxAggregationInterval}
			if info.Destination != "" {
				d.LogDestinationType, d.LogDestination = "s3", info.Destination
			} else {
				d.LogDestinationType, d.LogGroupName = "cloud-watch-logs", flowLogGroup
			}
			have := map[string][]string{"flow-log-id": {id}, "resource-id": {rid}, "traffic-type": {"ALL"}, "log-destination-type": {d.LogDestinationType},
				"deliver-log-status": {"SUCCESS"}, "log-group-name": {d.LogGroupName}}
			if in(ids, id) && match(fs, have) {
				kept = append(kept, d)
			}
		}
	}
	for _, id := range ids {
		if !seen[id] {
			return nil, badRequest("InvalidFlowLogId.NotFound", "The flow log ID '%s' does not exist", id)
		}
	}
	start, end, next, aerr := c.ec2Page(len(kept), 1, 1000)
	if aerr != nil {
		return nil, aerr
	}
	var out struct {
		FlowLogs  []ec2FlowLog `xml:"flowLogSet>item"`
		NextToken string       `xml:"nextToken,omitempty"`
	}
	out.FlowLogs, out.NextToken = kept[start:end], next
	return out, nil
}
