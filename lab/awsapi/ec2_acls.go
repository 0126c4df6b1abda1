package awsapi

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/vlab-sim/vlab/vnet"
)

// networkACL finds a network ACL by id (EC2 API Reference, "Error codes":
// InvalidNetworkAclID.NotFound).
func (c *call) networkACL(id string) (*vnet.NetworkACL, *apiError) {
	if id == "" {
		return nil, badRequest("MissingParameter", "The request must contain the parameter networkAclId")
	}
	for _, v := range c.s.l.Net.VPCs() {
		for _, a := range v.NetworkACLs() {
			if a.ID() == id {
				return a, nil
			}
		}
	}
	return nil, badRequest("InvalidNetworkAclID.NotFound", "The networkAcl ID '%s' does not exist", id)
}

// aclEntryParams reads the ACL, the direction and the rule number every
// entry operation names; RuleNumber must be 1-32766 (VPC User Guide,
// "Network ACL rules": 32767 is the final deny).
func (c *call) aclEntryParams() (*vnet.NetworkACL, bool, int, *apiError) {
	a, aerr := c.networkACL(c.params.Get("NetworkAclId"))
	if aerr != nil {
		return nil, false, 0, aerr
	}
	egress := false
	switch v := c.params.Get("Egress"); v {
	case "":
		return nil, false, 0, badRequest("MissingParameter", "The request must contain the parameter egress")
	case "true", "false":
		egress = v == "true"
	default:
		return nil, false, 0, c.invalidValue("egress", v)
	}
	n, ok, aerr := c.intParam("RuleNumber")
	if aerr != nil {
		return nil, false, 0, aerr
	}
	if !ok {
		return nil, false, 0, badRequest("MissingParameter", "The request must contain the parameter ruleNumber")
	}
	if n < 1 || n > 32766 {
		return nil, false, 0, badRequest("InvalidParameterValue", "Value (%d) for parameter ruleNumber is invalid. Valid values are 1-32766.", n)
	}
	return a, egress, n, nil
}

// aclRuleParams reads the rest of an entry: Protocol, RuleAction,
// CidrBlock, PortRange for TCP and UDP.
func (c *call) aclRuleParams(number int) (vnet.ACLRule, *apiError) {
	r := vnet.ACLRule{Number: number}
	proto := c.params.Get("Protocol")
	if proto == "" {
		return r, badRequest("MissingParameter", "The request must contain the parameter protocol")
	}
	p, err := vnet.ParseProtocol(proto)
	if err != nil {
		return r, c.invalidValue("protocol", proto)
	}
	r.Protocol = proto
	switch v := c.params.Get("RuleAction"); v {
	case "allow", "deny":
		r.Allow = v == "allow"
	case "":
		return r, badRequest("MissingParameter", "The request must contain the parameter ruleAction")
	default:
		return r, c.invalidValue("ruleAction", v)
	}
	if c.params.Get("Ipv6CidrBlock") != "" {
		return r, badRequest("InvalidParameterValue", "IPv6 CIDR blocks are not in scope of the lab (IPv4 is)")
	}
	cidr := c.params.Get("CidrBlock")
	if cidr == "" {
		return r, badRequest("MissingParameter", "Either 'cidrBlock' or 'ipv6CidrBlock' should be provided.")
	}
	pfx, err := netip.ParsePrefix(cidr)
	if err != nil || !pfx.Addr().Is4() {
		return r, badRequest("InvalidParameterValue", "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", cidr)
	}
	r.CIDR = pfx.Masked()
	if t, code := c.params.Get("Icmp.Type"), c.params.Get("Icmp.Code"); p == 1 && (t != "" && t != "-1" || code != "" && code != "-1") {
		return r, badRequest("InvalidParameterValue", "ICMP types and codes are not in scope of the lab: an ICMP rule covers every type (-1)")
	}
	if p == 6 || p == 17 {
		from, to := c.params.Get("PortRange.From"), c.params.Get("PortRange.To")
		if from == "" || to == "" {
			return r, badRequest("MissingParameter", "The request must contain the parameter portRange")
		}
		f, err1 := strconv.Atoi(from)
		t, err2 := strconv.Atoi(to)
		if err1 != nil || err2 != nil || f < 0 || t > 65535 || f > t {
			return r, badRequest("InvalidParameterValue", "Invalid value for portRange. Must specify both from and to ports with TCP/UDP, from <= to, within 0-65535.")
		}
		r.Ports = vnet.PortRange{From: uint16(f), To: uint16(t)}
	}
	return r, nil
}

func aclReturn() any {
	return struct {
		Return bool `xml:"return"`
	}{true}
}

func entryWords(a *vnet.NetworkACL, egress bool, r string) string {
	return fmt.Sprintf("%s %s %s", a.ID(), direction(egress), r)
}

func createNetworkAclEntry(c *call) (any, *apiError) { return c.putNetworkAclEntry(false) }

func replaceNetworkAclEntry(c *call) (any, *apiError) { return c.putNetworkAclEntry(true) }

// putNetworkAclEntry adds an entry (its number must be free) or replaces
// one (its number must be taken), as EC2's two calls do.
func (c *call) putNetworkAclEntry(replace bool) (any, *apiError) {
	a, egress, n, aerr := c.aclEntryParams()
	if aerr != nil {
		return nil, aerr
	}
	r, aerr := c.aclRuleParams(n)
	if aerr != nil {
		return nil, aerr
	}
	have := hasEntry(a, egress, n)
	var err error
	switch {
	case replace && !have:
		return nil, badRequest("InvalidNetworkAclEntry.NotFound", "The network acl entry identified by %d does not exist.", n)
	case !replace && have:
		return nil, badRequest("NetworkAclEntryAlreadyExists", "The network acl entry identified by %d already exists.", n)
	case replace:
		err = a.ReplaceRule(egress, r)
	default:
		err = a.AddRule(egress, r)
	}
	c.logChange(entryWords(a, egress, aclRuleWords(a, egress, r)), err)
	if err != nil {
		return nil, badRequest("InvalidParameterValue", "%v", err)
	}
	return aclReturn(), nil
}

func deleteNetworkAclEntry(c *call) (any, *apiError) {
	a, egress, n, aerr := c.aclEntryParams()
	if aerr != nil {
		return nil, aerr
	}
	if !hasEntry(a, egress, n) {
		return nil, badRequest("InvalidNetworkAclEntry.NotFound", "The network acl entry identified by %d does not exist.", n)
	}
	err := a.RemoveRule(egress, n)
	c.logChange(entryWords(a, egress, strconv.Itoa(n)), err)
	if err != nil {
		return nil, badRequest("InvalidNetworkAclEntry.NotFound", "The network acl entry identified by %d does not exist.", n)
	}
	return aclReturn(), nil
}

func hasEntry(a *vnet.NetworkACL, egress bool, n int) bool {
	for _, o := range a.Rules(egress) {
		if o.Number == n {
			return true
		}
	}
	return false
}

// aclRuleWords is the rule as the ACL holds it once added (its String), or
// as given.
func aclRuleWords(a *vnet.NetworkACL, egress bool, r vnet.ACLRule) string {
	for _, o := range a.Rules(egress) {
		if o.Number == r.Number {
			return o.String()
		}
	}
	return fmt.Sprintf("%d %s %s", r.Number, r.Protocol, r.CIDR)
}
