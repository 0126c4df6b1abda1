package awsapi

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/vnet/limits"
)

// elbActions are the Elastic Load Balancing v2 operations, by Action.
var elbActions = map[string]func(*call) (any, *apiError){
	"DescribeLoadBalancers":          describeLoadBalancers,
	"DescribeLoadBalancerAttributes": describeLoadBalancerAttributes,
	"ModifyLoadBalancerAttributes":   modifyLoadBalancerAttributes,
	"DescribeListeners":              describeListeners,
	"DescribeListenerAttributes":     describeListenerAttributes,
	"ModifyListenerAttributes":       modifyListenerAttributes,
	"DescribeTags":                   describeTags,
	"DescribeTargetGroups":           describeTargetGroups,
	"DescribeTargetGroupAttributes":  describeTargetGroupAttributes,
	"ModifyTargetGroupAttributes":    modifyTargetGroupAttributes,
	"DescribeTargetHealth":           describeTargetHealth,
	"RegisterTargets":                registerTargets,
	"DeregisterTargets":              deregisterTargets,
	"ModifyTargetGroup":              modifyTargetGroup,
	"CreateTargetGroup":              createTargetGroup,
	"DeleteTargetGroup":              deleteTargetGroup,
	"CreateListener":                 createListener,
	"DeleteListener":                 deleteListener,
	"ModifyListener":                 modifyListener,
	"SetSecurityGroups":              setSecurityGroups,
}

// loadBalancer finds a load balancer by ARN (ELB API Reference:
// LoadBalancerNotFound).
func (c *call) loadBalancer(arn string) (*nlb.LoadBalancer, *apiError) {
	for _, lb := range c.s.l.LoadBalancers {
		if lb.ARN() == arn {
			return lb, nil
		}
	}
	return nil, badRequest("LoadBalancerNotFound", "Load balancer '%s' not found", arn)
}

// listenerARN is a listener's ARN: its load balancer's, with the
// listener's 16-hex-digit id (derived from its first port, so it stays the
// same across runs of a seed and when ModifyListener moves it).
func listenerARN(lb *nlb.LoadBalancer, li *nlb.Listener) string {
	return strings.Replace(lb.ARN(), ":loadbalancer/", ":listener/", 1) + "/" + li.ID()
}

func describeLoadBalancers(c *call) (any, *apiError) {
	arns, names := c.list("LoadBalancerArns.member"), c.list("Names.member")
	if len(arns) > 0 && len(names) > 0 {
		return nil, badRequest("ValidationError", "Load balancer names and load balancer ARNs cannot be specified at the same time")
	}
	var lbs []*nlb.LoadBalancer
	switch {
	case len(arns) > 0:
		for _, a := range arns {
			lb, err := c.loadBalancer(a)
			if err != nil {
				return nil, err
			}
			lbs = append(lbs, lb)
		}
	case len(names) > 0:
		for _, n := range names {
			var found *nlb.LoadBalancer
			for _, lb := range c.s.l.LoadBalancers {
				if lb.Name() == n {
					found = lb
				}
			}
			if found == nil {
				return nil, badRequest("LoadBalancerNotFound", "Load balancers '[%s]' not found", n)
			}
			lbs = append(lbs, found)
		}
	default:
		lbs = c.s.l.LoadBalancers
	}
	start, end, next, aerr := c.elbPage(len(lbs))
	if aerr != nil {
		return nil, aerr
	}
	var out struct {
		LoadBalancers []elbLoadBalancer `xml:"LoadBalancers>member"`
		NextMarker    string            `xml:",omitempty"`
	}
	out.LoadBalancers = []elbLoadBalancer{}
	for _, lb := range lbs[start:end] {
		d := elbLoadBalancer{LoadBalancerArn: lb.ARN(), DNSName: lb.DNSName(), LoadBalancerName: lb.Name(), Scheme: lb.Scheme(), Type: "network", IpAddressType: "ipv4"}
		d.State.Code = "active"
		for _, nd := range lb.Nodes() {
			s := nd.ENI().Subnet()
			d.VpcId = s.VPC().ID()
			addr := elbAddress{}
			if a := nd.PublicAddr(); a.IsValid() {
				addr.IpAddress = a.String()
			} else {
				addr.PrivateIPv4Address = nd.PrivateAddr().String()
			}
			d.AvailabilityZones = append(d.AvailabilityZones, elbAvailabilityZone{ZoneName: nd.Zone(), SubnetId: s.ID(), LoadBalancerAddresses: []elbAddress{addr}})
		}
		for _, g := range lb.SecurityGroups() {
			d.SecurityGroups = append(d.SecurityGroups, g.ID())
		}
		out.LoadBalancers = append(out.LoadBalancers, d)
	}
	out.NextMarker = next
	return out, nil
}

type elbAttributes struct {
	Attributes []elbAttribute `xml:"Attributes>member"`
}

func attributesOf(m map[string]string) elbAttributes {
	out := elbAttributes{Attributes: []elbAttribute{}}
	for _, k := range sortedStrings(m) {
		out.Attributes = append(out.Attributes, elbAttribute{k, m[k]})
	}
	return out
}

// attributeParams reads Attributes.member.N.Key/Value.
func (c *call) attributeParams() ([]elbAttribute, *apiError) {
	var out []elbAttribute
	for _, s := range c.structs("Attributes.member") {
		if s.Get("Key") == "" {
			return nil, badRequest("ValidationError", "An attribute key is required")
		}
		out = append(out, elbAttribute{s.Get("Key"), s.Get("Value")})
	}
	if len(out) == 0 {
		return nil, badRequest("ValidationError", "1 validation error detected: Value null at 'attributes' failed to satisfy constraint: Member must not be null")
	}
	return out, nil
}

// attributeError turns a refused attribute into the service's error:
// ValidationError for a key or value the API does not take (ELB API
// Reference, "ModifyTargetGroupAttributes"), InvalidConfigurationRequest
// for one that conflicts with the configuration.
func attributeError(err error) *apiError {
	var ae *limits.AttributeError
	if errors.As(err, &ae) {
		return badRequest("ValidationError", "%v", err)
	}
	return badRequest("InvalidConfigurationRequest", "%v", err)
}

func describeLoadBalancerAttributes(c *call) (any, *apiError) {
	lb, aerr := c.loadBalancer(c.params.Get("LoadBalancerArn"))
	if aerr != nil {
		return nil, aerr
	}
	return attributesOf(lb.Attributes()), nil
}

func modifyLoadBalancerAttributes(c *call) (any, *apiError) {
	lb, aerr := c.loadBalancer(c.params.Get("LoadBalancerArn"))
	if aerr != nil {
		return nil, aerr
	}
	return c.modifyAttributes(lb, lb.Name())
}

// listener finds a listener by ARN (ELB API Reference: ListenerNotFound).
func (c *call) listener(arn string) (*nlb.LoadBalancer, *nlb.Listener, *apiError) {
	for _, lb := range c.s.l.LoadBalancers {
		for _, li := range lb.Listeners() {
			if listenerARN(lb, li) == arn {
				return lb, li, nil
			}
		}
	}
	return nil, nil, badRequest("ListenerNotFound", "One or more listeners not found")
}

func describeListeners(c *call) (any, *apiError) {
	type pair struct {
		lb *nlb.LoadBalancer
		li *nlb.Listener
	}
	var ls []pair
	arns := c.list("ListenerArns.member")
	switch lbArn := c.params.Get("LoadBalancerArn"); {
	case lbArn != "" && len(arns) > 0:
		return nil, badRequest("ValidationError", "Listener ARNs and a load balancer ARN cannot be specified at the same time")
	case lbArn != "":
		lb, aerr := c.loadBalancer(lbArn)
		if aerr != nil {
			return nil, aerr
		}
		for _, li := range lb.Listeners() {
			ls = append(ls, pair{lb, li})
		}
	case len(arns) > 0:
		for _, a := range arns {
			lb, li, aerr := c.listener(a)
			if aerr != nil {
				return nil, aerr
			}
			ls = append(ls, pair{lb, li})
		}
	default:
		return nil, badRequest("ValidationError", "You must specify either listener ARNs or a load balancer ARN")
	}
	start, end, next, aerr := c.elbPage(len(ls))
	if aerr != nil {
		return nil, aerr
	}
	var out struct {
		Listeners  []elbListener `xml:"Listeners>member"`
		NextMarker string        `xml:",omitempty"`
	}
	out.Listeners = []elbListener{}
	for _, p := range ls[start:end] {
		out.Listeners = append(out.Listeners, listenerOf(p.lb, p.li))
	}
	out.NextMarker = next
	return out, nil
}

func describeListenerAttributes(c *call) (any, *apiError) {
	_, li, aerr := c.listener(c.params.Get("ListenerArn"))
	if aerr != nil {
		return nil, aerr
	}
	return attributesOf(li.Attributes()), nil
}

func modifyListenerAttributes(c *call) (any, *apiError) {
	lb, li, aerr := c.listener(c.params.Get("ListenerArn"))
	if aerr != nil {
		return nil, aerr
	}
	return c.modifyAttributes(li, fmt.Sprintf("%s listener %d", lb.Name(), li.Port))
}

// attributed is what has ELB attributes: a load balancer, a listener, a
// target group.
type attributed interface {
	Attributes() map[string]string
	SetAttribute(key, value string) error
}

// modifyAttributes sets the call's attributes on x, named name in the log,
// in order, stopping at the first refused, and answers with them all.
func (c *call) modifyAttributes(x attributed, name string) (any, *apiError) {
	attrs, aerr := c.attributeParams()
	if aerr != nil {
		return nil, aerr
	}
	for _, a := range attrs {
		err := x.SetAttribute(a.Key, a.Value)
		c.logChange(fmt.Sprintf("%s %s=%s", name, a.Key, a.Value), err)
		if err != nil {
			return nil, attributeError(err)
		}
	}
	return attributesOf(x.Attributes()), nil
}

// describeTags answers every load balancer, target group and listener of
// the lab with no tags (the lab keeps none); an unknown ARN is its
// service's not-found error.
func describeTags(c *call) (any, *apiError) {
	arns := c.list("ResourceArns.member")
	if len(arns) == 0 {
		return nil, badRequest("ValidationError", "1 validation error detected: Value null at 'resourceArns' failed to satisfy constraint: Member must not be null")
	}
	var out struct {
		TagDescriptions []elbTagDescription `xml:"TagDescriptions>member"`
	}
	for _, a := range arns {
		var aerr *apiError
		switch {
		case strings.Contains(a, ":targetgroup/"):
			_, aerr = c.targetGroup(a)
		case strings.Contains(a, ":listener/"):
			_, _, aerr = c.listener(a)
		default:
			_, aerr = c.loadBalancer(a)
		}
		if aerr != nil {
			return nil, aerr
		}
		out.TagDescriptions = append(out.TagDescriptions, elbTagDescription{ResourceArn: a, Tags: []elbAttribute{}})
	}
	return out, nil
}
