package awsapi

import (
	"bytes"
	"encoding/xml"
)

// ec2Version and ec2NS are the EC2 API's version and XML namespace (EC2
// API Reference, "Query requests").
const (
	ec2Version = "2016-11-15"
	ec2NS      = "http://ec2.amazonaws.com/doc/2016-11-15/"
)

// ec2Response writes an EC2 query response: <XResponse><requestId/>v's
// fields</XResponse>, lowerCamel names, lists of <item>.
func ec2Response(action, id string, v any) ([]byte, error) {
	var inner bytes.Buffer
	if v != nil {
		enc := xml.NewEncoder(&inner)
		if err := enc.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: "x"}}); err != nil {
			return nil, err
		}
		enc.Flush()
	}
	body := bytes.TrimSuffix(bytes.TrimPrefix(inner.Bytes(), []byte("<x>")), []byte("</x>"))
	if bytes.Equal(body, []byte("<x/>")) {
		body = nil
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	buf.WriteString("<" + action + `Response xmlns="` + ec2NS + `"><requestId>` + id + "</requestId>")
	buf.Write(body)
	buf.WriteString("</" + action + "Response>")
	return buf.Bytes(), nil
}

// ec2Error writes an EC2 error response (EC2 API Reference, "Error codes":
// Response, Errors, Error, RequestID).
func ec2Error(id string, e *apiError) []byte {
	type errorBody struct {
		Code    string
		Message string
	}
	type response struct {
		XMLName   xml.Name    `xml:"Response"`
		Errors    []errorBody `xml:"Errors>Error"`
		RequestID string
	}
	b, _ := xml.Marshal(response{Errors: []errorBody{{e.code, e.message}}, RequestID: id})
	return append([]byte(xml.Header), b...)
}

// The EC2 shapes the operations answer (EC2 API Reference, "Data types").

type ec2Tag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// nameTags is the tagSet of a resource named name (none without a name).
func nameTags(name string) []ec2Tag {
	if name == "" {
		return nil
	}
	return []ec2Tag{{"Name", name}}
}

type ec2SecurityGroup struct {
	OwnerID             string            `xml:"ownerId"`
	GroupName           string            `xml:"groupName"`
	GroupDescription    string            `xml:"groupDescription"`
	GroupID             string            `xml:"groupId"`
	IPPermissions       []ec2IPPermission `xml:"ipPermissions>item"`
	IPPermissionsEgress []ec2IPPermission `xml:"ipPermissionsEgress>item"`
	VpcID               string            `xml:"vpcId"`
	SecurityGroupArn    string            `xml:"securityGroupArn"`
	TagSet              []ec2Tag          `xml:"tagSet>item,omitempty"`
}

type ec2IPPermission struct {
	IPProtocol string         `xml:"ipProtocol"`
	FromPort   *int           `xml:"fromPort,omitempty"`
	ToPort     *int           `xml:"toPort,omitempty"`
	Groups     []ec2GroupPair `xml:"groups>item"`
	IPRanges   []ec2IPRange   `xml:"ipRanges>item"`
}

type ec2GroupPair struct {
	UserID      string `xml:"userId"`
	GroupID     string `xml:"groupId"`
	Description string `xml:"description,omitempty"`
}

type ec2IPRange struct {
	CidrIP      string `xml:"cidrIp"`
	Description string `xml:"description,omitempty"`
}

type ec2SecurityGroupRule struct {
	SecurityGroupRuleID  string        `xml:"securityGroupRuleId"`
	GroupID              string        `xml:"groupId"`
	GroupOwnerID         string        `xml:"groupOwnerId"`
	IsEgress             bool          `xml:"isEgress"`
	IPProtocol           string        `xml:"ipProtocol"`
	FromPort             int           `xml:"fromPort"`
	ToPort               int           `xml:"toPort"`
	CidrIpv4             string        `xml:"cidrIpv4,omitempty"`
	ReferencedGroupInfo  *ec2GroupPair `xml:"referencedGroupInfo,omitempty"`
	Description          string        `xml:"description,omitempty"`
	SecurityGroupRuleArn string        `xml:"securityGroupRuleArn"`
}

type ec2Vpc struct {
	VpcID           string   `xml:"vpcId"`
	OwnerID         string   `xml:"ownerId"`
	State           string   `xml:"state"`
	CidrBlock       string   `xml:"cidrBlock"`
	InstanceTenancy string   `xml:"instanceTenancy"`
	IsDefault       bool     `xml:"isDefault"`
	TagSet          []ec2Tag `xml:"tagSet>item,omitempty"`
}

type ec2Subnet struct {
	SubnetID            string   `xml:"subnetId"`
	SubnetArn           string   `xml:"subnetArn"`
	OwnerID             string   `xml:"ownerId"`
	State               string   `xml:"state"`
	VpcID               string   `xml:"vpcId"`
	CidrBlock           string   `xml:"cidrBlock"`
	AvailableIPCount    int      `xml:"availableIpAddressCount"`
	AvailabilityZone    string   `xml:"availabilityZone"`
	DefaultForAz        bool     `xml:"defaultForAz"`
	MapPublicIPOnLaunch bool     `xml:"mapPublicIpOnLaunch"`
	TagSet              []ec2Tag `xml:"tagSet>item,omitempty"`
}

type ec2RouteTable struct {
	RouteTableID   string           `xml:"routeTableId"`
	VpcID          string           `xml:"vpcId"`
	OwnerID        string           `xml:"ownerId"`
	RouteSet       []ec2Route       `xml:"routeSet>item"`
	AssociationSet []ec2Association `xml:"associationSet>item"`
	TagSet         []ec2Tag         `xml:"tagSet>item,omitempty"`
}

type ec2Route struct {
	DestinationCidrBlock string `xml:"destinationCidrBlock"`
	GatewayID            string `xml:"gatewayId,omitempty"`
	NatGatewayID         string `xml:"natGatewayId,omitempty"`
	State                string `xml:"state"`
	Origin               string `xml:"origin"`
}

type ec2Association struct {
	RouteTableAssociationID string `xml:"routeTableAssociationId"`
	RouteTableID            string `xml:"routeTableId"`
	SubnetID                string `xml:"subnetId,omitempty"`
	Main                    bool   `xml:"main"`
	AssociationState        struct {
		State string `xml:"state"`
	} `xml:"associationState"`
}

type ec2InternetGateway struct {
	InternetGatewayID string `xml:"internetGatewayId"`
	OwnerID           string `xml:"ownerId"`
	AttachmentSet     []struct {
		VpcID string `xml:"vpcId"`
		State string `xml:"state"`
	} `xml:"attachmentSet>item"`
	TagSet []ec2Tag `xml:"tagSet>item,omitempty"`
}

type ec2NatGateway struct {
	NatGatewayID     string              `xml:"natGatewayId"`
	SubnetID         string              `xml:"subnetId"`
	VpcID            string              `xml:"vpcId"`
	State            string              `xml:"state"`
	ConnectivityType string              `xml:"connectivityType"`
	Addresses        []ec2NatGatewayAddr `xml:"natGatewayAddressSet>item"`
	TagSet           []ec2Tag            `xml:"tagSet>item,omitempty"`
}

type ec2NatGatewayAddr struct {
	NetworkInterfaceID string `xml:"networkInterfaceId"`
	PrivateIP          string `xml:"privateIp"`
	PublicIP           string `xml:"publicIp"`
	IsPrimary          bool   `xml:"isPrimary"`
	Status             string `xml:"status"`
}

type ec2NetworkACL struct {
	NetworkACLID   string           `xml:"networkAclId"`
	VpcID          string           `xml:"vpcId"`
	OwnerID        string           `xml:"ownerId"`
	IsDefault      bool             `xml:"default"`
	EntrySet       []ec2ACLEntry    `xml:"entrySet>item"`
	AssociationSet []ec2ACLAssocXML `xml:"associationSet>item"`
	TagSet         []ec2Tag         `xml:"tagSet>item,omitempty"`
}

type ec2ACLEntry struct {
	RuleNumber int          `xml:"ruleNumber"`
	Protocol   string       `xml:"protocol"`
	RuleAction string       `xml:"ruleAction"`
	Egress     bool         `xml:"egress"`
	CidrBlock  string       `xml:"cidrBlock"`
	PortRange  *ec2PortSpan `xml:"portRange,omitempty"`
}

type ec2PortSpan struct {
	From int `xml:"from"`
	To   int `xml:"to"`
}

type ec2ACLAssocXML struct {
	NetworkACLAssociationID string `xml:"networkAclAssociationId"`
	NetworkACLID            string `xml:"networkAclId"`
	SubnetID                string `xml:"subnetId"`
}

type ec2GroupIdentifier struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type ec2Reservation struct {
	ReservationID string        `xml:"reservationId"`
	OwnerID       string        `xml:"ownerId"`
	Instances     []ec2Instance `xml:"instancesSet>item"`
}

type ec2Instance struct {
	InstanceID    string `xml:"instanceId"`
	ImageID       string `xml:"imageId"`
	InstanceType  string `xml:"instanceType"`
	InstanceState struct {
		Code int    `xml:"code"`
		Name string `xml:"name"`
	} `xml:"instanceState"`
	PrivateDNSName string `xml:"privateDnsName"`
	Placement      struct {
		AvailabilityZone string `xml:"availabilityZone"`
	} `xml:"placement"`
	SubnetID          string                `xml:"subnetId"`
	VpcID             string                `xml:"vpcId"`
	PrivateIPAddress  string                `xml:"privateIpAddress"`
	GroupSet          []ec2GroupIdentifier  `xml:"groupSet>item"`
	NetworkInterfaces []ec2NetworkInterface `xml:"networkInterfaceSet>item"`
	TagSet            []ec2Tag              `xml:"tagSet>item,omitempty"`
}

type ec2NetworkInterface struct {
	NetworkInterfaceID string               `xml:"networkInterfaceId"`
	SubnetID           string               `xml:"subnetId,omitempty"`
	VpcID              string               `xml:"vpcId,omitempty"`
	AvailabilityZone   string               `xml:"availabilityZone,omitempty"`
	Description        string               `xml:"description"`
	OwnerID            string               `xml:"ownerId"`
	Status             string               `xml:"status"`
	PrivateIPAddress   string               `xml:"privateIpAddress"`
	SourceDestCheck    bool                 `xml:"sourceDestCheck"`
	GroupSet           []ec2GroupIdentifier `xml:"groupSet>item"`
	Association        *struct {
		PublicIP string `xml:"publicIp"`
	} `xml:"association,omitempty"`
	InterfaceType string `xml:"interfaceType"`
}
