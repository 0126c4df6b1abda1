package awsapi

import (
	"bytes"
	"encoding/xml"
)

// elbVersion and elbNS are Elastic Load Balancing v2's API version and
// XML namespace (ELB API Reference, "Welcome").
const (
	elbVersion = "2015-12-01"
	elbNS      = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
)

// elbResponse writes an AWS Query response:
// <XResponse><XResult>v</XResult><ResponseMetadata>…</ResponseMetadata></XResponse>.
func elbResponse(action, id string, v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	buf.WriteString("<" + action + `Response xmlns="` + elbNS + `">`)
	if v == nil {
		v = struct{}{}
	}
	enc := xml.NewEncoder(&buf)
	if err := enc.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
		return nil, err
	}
	enc.Flush()
	buf.WriteString("<ResponseMetadata><RequestId>" + id + "</RequestId></ResponseMetadata>")
	buf.WriteString("</" + action + "Response>")
	return buf.Bytes(), nil
}

// elbError writes an AWS Query error response.
func elbError(id string, e *apiError) []byte {
	type errorBody struct {
		Type    string
		Code    string
		Message string
	}
	type errorResponse struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Error     errorBody
		RequestID string `xml:"RequestId"`
	}
	typ := "Sender"
	if e.status >= 500 {
		typ = "Receiver"
	}
	b, _ := xml.Marshal(errorResponse{Xmlns: elbNS, Error: errorBody{typ, e.code, e.message}, RequestID: id})
	return append([]byte(xml.Header), b...)
}

// The ELBv2 shapes the operations answer (ELB API Reference, "Data
// Types"); lists are <member> items.

type elbLoadBalancer struct {
	LoadBalancerArn       string
	DNSName               string
	CanonicalHostedZoneId string
	CreatedTime           string `xml:",omitempty"`
	LoadBalancerName      string
	Scheme                string
	VpcId                 string
	State                 struct{ Code string }
	Type                  string
	AvailabilityZones     []elbAvailabilityZone `xml:"AvailabilityZones>member"`
	SecurityGroups        []string              `xml:"SecurityGroups>member,omitempty"`
	IpAddressType         string
}

type elbAvailabilityZone struct {
	ZoneName              string
	SubnetId              string
	LoadBalancerAddresses []elbAddress `xml:"LoadBalancerAddresses>member"`
}

type elbAddress struct {
	IpAddress          string `xml:",omitempty"`
	PrivateIPv4Address string `xml:",omitempty"`
}

type elbTargetGroup struct {
	TargetGroupArn             string
	TargetGroupName            string
	Protocol                   string
	Port                       int
	VpcId                      string
	HealthCheckProtocol        string
	HealthCheckPort            string
	HealthCheckEnabled         bool
	HealthCheckIntervalSeconds int
	HealthCheckTimeoutSeconds  int
	HealthyThresholdCount      int
	UnhealthyThresholdCount    int
	HealthCheckPath            string      `xml:",omitempty"`
	Matcher                    *elbMatcher `xml:",omitempty"`
	LoadBalancerArns           []string    `xml:"LoadBalancerArns>member"`
	TargetType                 string
	IpAddressType              string
}

type elbMatcher struct{ HttpCode string }

type elbTargetHealthDescription struct {
	Target          elbTarget
	HealthCheckPort string
	TargetHealth    elbTargetHealth
}

type elbTarget struct {
	Id               string
	Port             int
	AvailabilityZone string `xml:",omitempty"`
}

type elbTargetHealth struct {
	State       string
	Reason      string `xml:",omitempty"`
	Description string `xml:",omitempty"`
}

type elbListener struct {
	ListenerArn     string
	LoadBalancerArn string
	Port            int
	Protocol        string
	DefaultActions  []elbAction `xml:"DefaultActions>member"`
}

type elbAction struct {
	Type           string
	TargetGroupArn string
	ForwardConfig  struct {
		TargetGroups []elbTargetGroupTuple `xml:"TargetGroups>member"`
	}
}

type elbTargetGroupTuple struct {
	TargetGroupArn string
	Weight         int
}

type elbAttribute struct{ Key, Value string }

type elbTagDescription struct {
	ResourceArn string
	Tags        []elbAttribute `xml:"Tags>member"`
}
