package awsapi

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/limits"
)

// validationError is AWS Query's message for a parameter out of its
// constraint ("1 validation error detected: Value 'x' at 'name' failed to
// satisfy constraint: …"), the parameter named in lowerCamel.
func validationError(name, value, constraint string) *apiError {
	return badRequest("ValidationError", "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, strings.ToLower(name[:1])+name[1:], constraint)
}

// healthCheckParams applies CreateTargetGroup's and ModifyTargetGroup's
// health-check parameters to hc, with AWS's ranges for NLB target groups
// (ELB API Reference, "ModifyTargetGroup"; ELB User Guide, "Health checks
// for Network Load Balancer target groups").
func (c *call) healthCheckParams(hc nlb.HealthCheck) (nlb.HealthCheck, *apiError) {
	if v := c.params.Get("HealthCheckProtocol"); v != "" {
		switch strings.ToUpper(v) {
		case "TCP", "HTTP":
			if p := strings.ToUpper(v); p != hc.Protocol {
				// The other protocol's path and matcher go; AWS's
				// defaults fill them for HTTP.
				hc.Protocol, hc.Path, hc.Matcher = p, "", ""
			}
		case "HTTPS":
			return hc, badRequest("InvalidConfigurationRequest", "Health check protocol HTTPS is not in scope of the lab yet (TCP and HTTP are)")
		case "TLS", "UDP", "TCP_UDP", "GENEVE":
			return hc, badRequest("InvalidConfigurationRequest", "Health check protocol '%s' is not supported for target groups with the TCP protocol", v)
		default:
			return hc, validationError("HealthCheckProtocol", v, "Member must satisfy enum value set: [HTTPS, TCP, TLS, TCP_UDP, GENEVE, UDP, HTTP]")
		}
	}
	if v := c.params.Get("HealthCheckPort"); v != "" {
		if n, err := strconv.Atoi(v); v != "traffic-port" && (err != nil || n < 1 || n > 65535) {
			return hc, badRequest("ValidationError", "Health check port '%s' must be 'traffic-port' or a port number between 1 and 65535", v)
		}
		hc.Port = v
	}
	if v := c.params.Get("HealthCheckEnabled"); v == "false" {
		return hc, badRequest("InvalidConfigurationRequest", "Health checks cannot be disabled for target groups with the TCP protocol")
	}
	ints := []struct {
		name string
		v    *int
	}{
		{"HealthCheckIntervalSeconds", &hc.IntervalSeconds},
		{"HealthCheckTimeoutSeconds", &hc.TimeoutSeconds},
		{"HealthyThresholdCount", &hc.HealthyThresholdCount},
		{"UnhealthyThresholdCount", &hc.UnhealthyThresholdCount},
	}
	for _, p := range ints {
		n, ok, aerr := c.intParam(p.name)
		if aerr != nil {
			return hc, aerr
		}
		if !ok {
			continue
		}
		s := limits.Get(p.name)
		switch {
		case n < s.Min:
			return hc, validationError(p.name, strconv.Itoa(n), fmt.Sprintf("Member must have value greater than or equal to %d", s.Min))
		case n > s.Max:
			return hc, validationError(p.name, strconv.Itoa(n), fmt.Sprintf("Member must have value less than or equal to %d", s.Max))
		}
		*p.v = n
	}
	path, matcher := c.params.Get("HealthCheckPath"), c.params.Get("Matcher.HttpCode")
	if (path != "" || matcher != "") && hc.Protocol != "HTTP" {
		what := "path"
		if path == "" {
			what = "matcher"
		}
		return hc, badRequest("InvalidConfigurationRequest", "Health check %s cannot be set for target groups with the TCP health check protocol", what)
	}
	if path != "" {
		if !strings.HasPrefix(path, "/") || len(path) > 1024 {
			return hc, validationError("HealthCheckPath", path, "Member must start with '/' and have length less than or equal to 1024")
		}
		hc.Path = path
	}
	if matcher != "" {
		hc.Matcher = matcher
	}
	if hc.IntervalSeconds != 0 && hc.TimeoutSeconds > hc.IntervalSeconds {
		return hc, badRequest("InvalidConfigurationRequest", "Health check timeout '%d' must be smaller than or equal to the interval '%d'", hc.TimeoutSeconds, hc.IntervalSeconds)
	}
	if _, err := hc.WithDefaults(); err != nil {
		return hc, badRequest("InvalidConfigurationRequest", "%v", err)
	}
	return hc, nil
}

func modifyTargetGroup(c *call) (any, *apiError) {
	tg, aerr := c.targetGroup(c.params.Get("TargetGroupArn"))
	if aerr != nil {
		return nil, aerr
	}
	hc, aerr := c.healthCheckParams(tg.HealthCheck())
	if aerr != nil {
		return nil, aerr
	}
	err := tg.SetHealthCheck(hc)
	hc = tg.HealthCheck()
	c.logChange(fmt.Sprintf("%s health check %s port %s, interval %ds, timeout %ds, healthy %d, unhealthy %d", tg.Name(), hc.Protocol, hc.Port, hc.IntervalSeconds, hc.TimeoutSeconds, hc.HealthyThresholdCount, hc.UnhealthyThresholdCount), err)
	if err != nil {
		return nil, badRequest("InvalidConfigurationRequest", "%v", err)
	}
	return c.targetGroupsResult(tg), nil
}

func (c *call) targetGroupsResult(tgs ...*nlb.TargetGroup) any {
	var out struct {
		TargetGroups []elbTargetGroup `xml:"TargetGroups>member"`
	}
	out.TargetGroups = []elbTargetGroup{}
	for _, tg := range tgs {
		out.TargetGroups = append(out.TargetGroups, c.describeTargetGroup(tg))
	}
	return out
}

// targetGroupName checks a name as CreateTargetGroup does: up to 32
// alphanumerics and hyphens, not starting or ending with a hyphen.
func targetGroupName(name string) *apiError {
	if name == "" {
		return validationError("Name", "null", "Member must not be null")
	}
	if len(name) > 32 {
		return badRequest("ValidationError", "Target group name '%s' cannot be longer than '32' characters", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return badRequest("ValidationError", "Target group name '%s' can only contain characters that are alphanumeric characters or hyphens(-)", name)
		}
	}
	if strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-") {
		return badRequest("ValidationError", "Target group name '%s' cannot begin or end with '-'", name)
	}
	return nil
}

func createTargetGroup(c *call) (any, *apiError) {
	name := c.params.Get("Name")
	if aerr := targetGroupName(name); aerr != nil {
		return nil, aerr
	}
	proto := strings.ToUpper(c.params.Get("Protocol"))
	switch proto {
	case "":
		return nil, badRequest("ValidationError", "A protocol must be specified")
	case "TCP":
	case "UDP", "TCP_UDP", "TLS", "QUIC", "TCP_QUIC":
		return nil, badRequest("InvalidConfigurationRequest", "Protocol '%s' is not in scope of the lab yet (TCP is)", proto)
	default:
		return nil, validationError("Protocol", c.params.Get("Protocol"), "Member must satisfy enum value set: [HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP, GENEVE, QUIC, TCP_QUIC]")
	}
	port, ok, aerr := c.intParam("Port")
	if aerr != nil {
		return nil, aerr
	}
	if !ok {
		return nil, badRequest("ValidationError", "A port must be specified")
	}
	if port < 1 || port > 65535 {
		return nil, validationError("Port", strconv.Itoa(port), "Member must have value between 1 and 65535")
	}
	vpcID := c.params.Get("VpcId")
	if vpcID == "" {
		return nil, badRequest("ValidationError", "A VPC ID must be specified")
	}
	vpc := c.vpc(vpcID)
	if vpc == nil {
		return nil, badRequest("ValidationError", "The VPC ID '%s' is not found", vpcID)
	}
	tt := c.params.Get("TargetType")
	switch tt {
	case "", nlb.TargetTypeInstance, nlb.TargetTypeIP:
	case "lambda", "alb":
		return nil, badRequest("InvalidConfigurationRequest", "Target type '%s' is not in scope of the lab (instance and ip are)", tt)
	default:
		return nil, validationError("TargetType", tt, "Member must satisfy enum value set: [instance, alb, ip, lambda]")
	}
	if tt == "" {
		tt = nlb.TargetTypeInstance
	}
	hc, aerr := c.healthCheckParams(nlb.HealthCheck{})
	if aerr != nil {
		return nil, aerr
	}
	for _, o := range c.s.l.TargetGroups {
		if o.Name() != name {
			continue
		}
		// The same name with the same settings answers the existing group
		// (ELB API Reference, "CreateTargetGroup").
		if o.Protocol() == proto && int(o.Port()) == port && o.VPC() == vpc && o.TargetType() == tt {
			return c.targetGroupsResult(o), nil
		}
		return nil, badRequest("DuplicateTargetGroupName", "A target group with the same name '%s' exists, but with different settings", name)
	}
	tg, err := c.s.l.AddTargetGroup(nlb.TargetGroupConfig{Name: name, Protocol: proto, Port: uint16(port), TargetType: tt, VPC: vpc, HealthCheck: hc})
	resource := name
	if tg != nil {
		resource = tg.ARN()
	}
	c.logChange(resource, err)
	if err != nil {
		return nil, badRequest("InvalidConfigurationRequest", "%v", err)
	}
	return c.targetGroupsResult(tg), nil
}

func deleteTargetGroup(c *call) (any, *apiError) {
	arn := c.params.Get("TargetGroupArn")
	tg, aerr := c.targetGroup(arn)
	if aerr != nil {
		if aerr.code == "TargetGroupNotFound" {
			// Deleting a group that is gone succeeds, as in AWS: the call
			// is idempotent.
			return struct{}{}, nil
		}
		return nil, aerr
	}
	err := c.s.l.RemoveTargetGroup(tg)
	c.logChange(tg.Name(), err)
	if err != nil {
		return nil, badRequest("ResourceInUse", "Target group '%s' is currently in use by a listener or a rule", arn)
	}
	return struct{}{}, nil
}

// setSecurityGroups replaces the groups of a load balancer created with
// some (ELB API Reference, "SetSecurityGroups").
func setSecurityGroups(c *call) (any, *apiError) {
	lb, aerr := c.loadBalancer(c.params.Get("LoadBalancerArn"))
	if aerr != nil {
		return nil, aerr
	}
	ids := c.list("SecurityGroups.member")
	var gs []*vnet.SecurityGroup
	for _, id := range ids {
		g, aerr := c.securityGroup(id)
		if aerr != nil || len(lb.Nodes()) > 0 && g.VPC() != lb.Nodes()[0].ENI().Subnet().VPC() {
			return nil, badRequest("InvalidSecurityGroup", "Security group '%s' does not exist in the load balancer's VPC", id)
		}
		gs = append(gs, g)
	}
	if len(lb.SecurityGroups()) > 0 && len(gs) == 0 {
		return nil, badRequest("InvalidConfigurationRequest", "A Network Load Balancer created with security groups must keep at least one")
	}
	err := lb.SetSecurityGroups(gs)
	c.logChange(fmt.Sprintf("%s groups %s", lb.Name(), strings.Join(ids, ",")), err)
	if errors.Is(err, nlb.ErrNoSecurityGroups) {
		return nil, badRequest("InvalidConfigurationRequest", "You cannot set security groups on a Network Load Balancer which was created without any security groups.")
	}
	if err != nil {
		return nil, badRequest("InvalidConfigurationRequest", "%v", err)
	}
	var out struct {
		SecurityGroupIds []string `xml:"SecurityGroupIds>member"`
		Enforce          string   `xml:"EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"`
	}
	out.Enforce = "on"
	for _, g := range lb.SecurityGroups() {
		out.SecurityGroupIds = append(out.SecurityGroupIds, g.ID())
	}
	return out, nil
}
