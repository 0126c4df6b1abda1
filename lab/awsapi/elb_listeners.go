package awsapi

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vlab-sim/vlab/nlb"
)

// listenerOf is a listener as the API describes it: one forward action to
// its target group.
func listenerOf(lb *nlb.LoadBalancer, li *nlb.Listener) elbListener {
	tg := li.TargetGroup.ARN()
	a := elbAction{Type: "forward", TargetGroupArn: tg}
	a.ForwardConfig.TargetGroups = []elbTargetGroupTuple{{tg, 1}}
	return elbListener{ListenerArn: listenerARN(lb, li), LoadBalancerArn: lb.ARN(), Port: int(li.Port), Protocol: li.Protocol, DefaultActions: []elbAction{a}}
}

func listenersResult(lb *nlb.LoadBalancer, li *nlb.Listener) any {
	var out struct {
		Listeners []elbListener `xml:"Listeners>member"`
	}
	out.Listeners = []elbListener{listenerOf(lb, li)}
	return out
}

// listenerPort reads Port (required: 1-65535).
func (c *call) listenerPort(required bool) (uint16, *apiError) {
	n, ok, aerr := c.intParam("Port")
	if aerr != nil {
		return 0, aerr
	}
	if !ok {
		if required {
			return 0, validationError("Port", "null", "Member must not be null")
		}
		return 0, nil
	}
	if n < 1 || n > 65535 {
		return 0, validationError("Port", strconv.Itoa(n), "Member must have value between 1 and 65535")
	}
	return uint16(n), nil
}

// listenerProtocol checks Protocol: TCP, the one the lab's listeners
// speak (ELB API Reference: UnsupportedProtocol for another NLB protocol).
func (c *call) listenerProtocol(required bool) *apiError {
	switch p := strings.ToUpper(c.params.Get("Protocol")); p {
	case "":
		if required {
			return badRequest("ValidationError", "A listener protocol must be specified")
		}
	case "TCP":
	case "UDP", "TCP_UDP", "TLS", "QUIC", "TCP_QUIC":
		return badRequest("UnsupportedProtocol", "Protocol '%s' is not supported by the lab's listeners (TCP is)", p)
	default:
		return badRequest("UnsupportedProtocol", "Protocol '%s' is not supported for Network Load Balancers", p)
	}
	return nil
}

// defaultActionGroup reads DefaultActions: one forward action to one
// target group, by TargetGroupArn or ForwardConfig (nil when absent and
// not required).
func (c *call) defaultActionGroup(lb *nlb.LoadBalancer, required bool) (*nlb.TargetGroup, *apiError) {
	acts := c.structs("DefaultActions.member")
	if len(acts) == 0 {
		if required {
			return nil, validationError("DefaultActions", "null", "Member must not be null")
		}
		return nil, nil
	}
	if len(acts) > 1 {
		return nil, badRequest("InvalidConfigurationRequest", "A Network Load Balancer listener takes exactly one default action")
	}
	a := acts[0]
	if t := a.Get("Type"); t != "forward" {
		return nil, badRequest("InvalidLoadBalancerAction", "Action type '%s' is not supported for Network Load Balancers (forward is)", t)
	}
	arn := a.Get("TargetGroupArn")
	fwd := structsOf(a, "ForwardConfig.TargetGroups.member")
	if len(fwd) > 1 {
		return nil, badRequest("InvalidConfigurationRequest", "A Network Load Balancer forward action takes one target group")
	}
	if len(fwd) == 1 {
		if arn != "" && arn != fwd[0].Get("TargetGroupArn") {
			return nil, badRequest("ValidationError", "You cannot specify a target group ARN in both the action and the forward config unless they are the same")
		}
		arn = fwd[0].Get("TargetGroupArn")
	}
	tg, aerr := c.targetGroup(arn)
	if aerr != nil {
		return nil, aerr
	}
	if o := c.groupLoadBalancer(tg); o != nil && o != lb {
		// ELB API Reference, "CreateListener": TargetGroupAssociationLimit.
		return nil, badRequest("TargetGroupAssociationLimit", "The following target groups cannot be associated with more than one load balancer: '%s'", tg.ARN())
	}
	return tg, nil
}

// groupLoadBalancer returns the load balancer a listener of which forwards
// to tg, or nil.
func (c *call) groupLoadBalancer(tg *nlb.TargetGroup) *nlb.LoadBalancer {
	for _, lb := range c.s.l.LoadBalancers {
		for _, li := range lb.Listeners() {
			if li.TargetGroup == tg {
				return lb
			}
		}
	}
	return nil
}

func createListener(c *call) (any, *apiError) {
	lb, aerr := c.loadBalancer(c.params.Get("LoadBalancerArn"))
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.listenerProtocol(true); aerr != nil {
		return nil, aerr
	}
	port, aerr := c.listenerPort(true)
	if aerr != nil {
		return nil, aerr
	}
	tg, aerr := c.defaultActionGroup(lb, true)
	if aerr != nil {
		return nil, aerr
	}
	for _, li := range lb.Listeners() {
		if li.Port != port {
			continue
		}
		// The same listener again answers the existing one (ELB API
		// Reference, "CreateListener"); another on the port is a duplicate.
		if li.TargetGroup == tg {
			return listenersResult(lb, li), nil
		}
		return nil, badRequest("DuplicateListener", "A listener already exists on this port for this load balancer '%s'", lb.ARN())
	}
	li, err := lb.AddListener(nlb.ListenerConfig{Protocol: "TCP", Port: port, TargetGroup: tg})
	c.logChange(fmt.Sprintf("%s TCP %d -> %s", lb.Name(), port, tg.Name()), err)
	if err != nil {
		return nil, badRequest("InvalidConfigurationRequest", "%v", err)
	}
	return listenersResult(lb, li), nil
}

func deleteListener(c *call) (any, *apiError) {
	lb, li, aerr := c.listener(c.params.Get("ListenerArn"))
	if aerr != nil {
		return nil, aerr
	}
	err := lb.RemoveListener(li.Port)
	c.logChange(fmt.Sprintf("%s listener %d", lb.Name(), li.Port), err)
	if err != nil {
		return nil, badRequest("ListenerNotFound", "%v", err)
	}
	return struct{}{}, nil
}

func modifyListener(c *call) (any, *apiError) {
	lb, li, aerr := c.listener(c.params.Get("ListenerArn"))
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.listenerProtocol(false); aerr != nil {
		return nil, aerr
	}
	port, aerr := c.listenerPort(false)
	if aerr != nil {
		return nil, aerr
	}
	tg, aerr := c.defaultActionGroup(lb, false)
	if aerr != nil {
		return nil, aerr
	}
	if port != 0 && port != li.Port {
		for _, o := range lb.Listeners() {
			if o.Port == port {
				return nil, badRequest("DuplicateListener", "A listener already exists on this port for this load balancer '%s'", lb.ARN())
			}
		}
	}
	nl, err := lb.ModifyListener(li.Port, port, tg)
	resource := fmt.Sprintf("%s listener %d", lb.Name(), li.Port)
	if nl != nil {
		resource += fmt.Sprintf(": TCP %d -> %s", nl.Port, nl.TargetGroup.Name())
	}
	c.logChange(resource, err)
	if err != nil {
		return nil, badRequest("InvalidConfigurationRequest", "%v", err)
	}
	return listenersResult(lb, nl), nil
}
