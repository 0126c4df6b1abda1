package awsapi

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/vlab-sim/vlab/vnet"
)

// securityGroup finds a group by id (EC2 API Reference, "Error codes":
// InvalidGroup.NotFound).
func (c *call) securityGroup(id string) (*vnet.SecurityGroup, *apiError) {
	for _, v := range c.s.l.Net.VPCs() {
		for _, g := range v.SecurityGroups() {
			if g.ID() == id {
				return g, nil
			}
		}
	}
	return nil, badRequest("InvalidGroup.NotFound", "The security group '%s' does not exist", id)
}

func (c *call) securityGroupByName(name string) (*vnet.SecurityGroup, *apiError) {
	for _, v := range c.s.l.Net.VPCs() {
		for _, g := range v.SecurityGroups() {
			if g.Name() == name {
				return g, nil
			}
		}
	}
	return nil, badRequest("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC 'none'", name)
}

// groupParam is the group an Authorize or Revoke names by GroupId or
// GroupName.
func (c *call) groupParam() (*vnet.SecurityGroup, *apiError) {
	if id := c.params.Get("GroupId"); id != "" {
		return c.securityGroup(id)
	}
	if name := c.params.Get("GroupName"); name != "" {
		return c.securityGroupByName(name)
	}
	return nil, badRequest("MissingParameter", "The request must contain the parameter groupName or groupId")
}

// ruleKey identifies a rule as AWS compares them: protocol, ports (for TCP
// and UDP), and the peer; descriptions aside.
type ruleKey struct {
	proto    uint8
	from, to int
	peer     string
}

func keyOf(r vnet.SGRule) ruleKey {
	p, _ := vnet.ParseProtocol(r.Protocol)
	k := ruleKey{proto: p, from: -1, to: -1}
	if p == 6 || p == 17 {
		k.from, k.to = int(r.Ports.From), int(r.Ports.To)
		if k.from == 0 && k.to == 0 {
			k.to = 65535
		}
	}
	if r.Group != nil {
		k.peer = r.Group.ID()
	} else {
		k.peer = r.CIDR.String()
	}
	return k
}

// ruleID is a rule's id: the lab gives rules none, so one is derived from
// the group, the direction and the rule, the same across runs.
func ruleID(g *vnet.SecurityGroup, egress bool, r vnet.SGRule) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%v/%v", g.ID(), egress, keyOf(r))
	return fmt.Sprintf("sgr-%017x", h.Sum64())
}

// protocolName is a rule's IpProtocol as EC2 prints it.
func protocolName(k ruleKey) string {
	switch k.proto {
	case vnet.ProtoAll:
		return "-1"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 1:
		return "icmp"
	}
	return strconv.Itoa(int(k.proto))
}

// permissionRules reads the rules of a request: IpPermissions.N (with
// IpRanges.M and Groups.M), or the flat IpProtocol, FromPort, ToPort,
// CidrIp and SourceSecurityGroupName.
func (c *call) permissionRules(g *vnet.SecurityGroup) ([]vnet.SGRule, *apiError) {
	perms := c.structs("IpPermissions")
	if len(perms) == 0 && c.params.Get("IpProtocol") != "" {
		p := url.Values{}
		for _, k := range []string{"IpProtocol", "FromPort", "ToPort"} {
			if v := c.params.Get(k); v != "" {
				p.Set(k, v)
			}
		}
		if v := c.params.Get("CidrIp"); v != "" {
			p.Set("IpRanges.1.CidrIp", v)
		}
		if v := c.params.Get("SourceSecurityGroupName"); v != "" {
			p.Set("Groups.1.GroupName", v)
		}
		perms = []url.Values{p}
	}
	var out []vnet.SGRule
	for _, p := range perms {
		proto := p.Get("IpProtocol")
		n, err := vnet.ParseProtocol(proto)
		if err != nil || proto == "" {
			return nil, badRequest("InvalidParameterValue", "Invalid value '%s' for IP protocol. Unknown protocol.", proto)
		}
		var ports vnet.PortRange
		if n == 6 || n == 17 {
			from, ferr := strconv.Atoi(p.Get("FromPort"))
			to, terr := strconv.Atoi(p.Get("ToPort"))
			if ferr != nil || terr != nil {
				return nil, badRequest("InvalidParameterValue", "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.")
			}
			if from < 0 || to > 65535 || from > to {
				return nil, badRequest("InvalidParameterValue", "Invalid TCP/UDP port range %d-%d.", from, to)
			}
			ports = vnet.PortRange{From: uint16(from), To: uint16(to)}
		}
		base := vnet.SGRule{Protocol: proto, Ports: ports}
		for _, rg := range structsOf(p, "IpRanges") {
			cidr, err := netip.ParsePrefix(rg.Get("CidrIp"))
			if err != nil || !cidr.Addr().Is4() {
				return nil, badRequest("InvalidParameterValue", "Value (%s) for parameter cidrIp is invalid. This is not a valid CIDR block.", rg.Get("CidrIp"))
			}
			if cidr.Masked() != cidr {
				return nil, badRequest("InvalidParameterValue", "CIDR block %s is malformed", cidr)
			}
			r := base
			r.CIDR, r.Description = cidr, rg.Get("Description")
			out = append(out, r)
		}
		for _, gp := range structsOf(p, "Groups") {
			var peer *vnet.SecurityGroup
			var aerr *apiError
			if id := gp.Get("GroupId"); id != "" {
				peer, aerr = c.securityGroup(id)
			} else {
				peer, aerr = c.securityGroupByName(gp.Get("GroupName"))
			}
			if aerr != nil {
				return nil, aerr
			}
			if peer.VPC() != g.VPC() {
				return nil, badRequest("InvalidGroup.NotFound", "You have specified two resources that belong to different networks.")
			}
			r := base
			r.Group, r.Description = peer, gp.Get("Description")
			out = append(out, r)
		}
		if len(structsOf(p, "Ipv6Ranges")) > 0 || len(structsOf(p, "PrefixListIds")) > 0 {
			return nil, badRequest("InvalidParameterValue", "IPv6 ranges and prefix lists are not in the lab's scope")
		}
	}
	if len(out) == 0 && len(c.list("SecurityGroupRuleId")) == 0 {
		return nil, badRequest("MissingParameter", "No source or destination specified (IpRanges, Groups or SecurityGroupRuleId)")
	}
	return out, nil
}

func authorizeIngress(c *call) (any, *apiError) { return c.authorize(false) }
func authorizeEgress(c *call) (any, *apiError)  { return c.authorize(true) }
func revokeIngress(c *call) (any, *apiError)    { return c.revoke(false) }
func revokeEgress(c *call) (any, *apiError)     { return c.revoke(true) }

func rulesOf(g *vnet.SecurityGroup, egress bool) []vnet.SGRule {
	if egress {
		return g.Outbound()
	}
	return g.Inbound()
}

func direction(egress bool) string {
	if egress {
		return "outbound"
	}
	return "inbound"
}

// ruleWords names a rule as AWS's messages do.
func ruleWords(r vnet.SGRule) string {
	k := keyOf(r)
	return fmt.Sprintf("peer: %s, %s, from port: %d, to port: %d, ALLOW", k.peer, strings.ToUpper(protocolName(k)), k.from, k.to)
}

// authorize adds rules, all or none: one already there is
// InvalidPermission.Duplicate (EC2 API Reference, "Error codes").
func (c *call) authorize(egress bool) (any, *apiError) {
	g, aerr := c.groupParam()
	if aerr != nil {
		return nil, aerr
	}
	rules, aerr := c.permissionRules(g)
	if aerr != nil {
		return nil, aerr
	}
	have := map[ruleKey]bool{}
	for _, r := range rulesOf(g, egress) {
		have[keyOf(r)] = true
	}
	for _, r := range rules {
		if have[keyOf(r)] {
			return nil, badRequest("InvalidPermission.Duplicate", "the specified rule \"%s\" already exists", ruleWords(r))
		}
		have[keyOf(r)] = true
	}
	var out struct {
		Return bool                   `xml:"return"`
		Rules  []ec2SecurityGroupRule `xml:"securityGroupRuleSet>item"`
	}
	for _, r := range rules {
		if err := c.changeRule(g, egress, true, r); err != nil {
			return nil, badRequest("InvalidParameterValue", "%v", err)
		}
		out.Rules = append(out.Rules, c.ruleOf(g, egress, r))
	}
	out.Return = true
	return out, nil
}

// revoke removes rules, all or none: one that is not there is
// InvalidPermission.NotFound (EC2 API Reference, "Error codes").
func (c *call) revoke(egress bool) (any, *apiError) {
	g, aerr := c.groupParam()
	if aerr != nil {
		return nil, aerr
	}
	rules, aerr := c.permissionRules(g)
	if aerr != nil {
		return nil, aerr
	}
	have := map[ruleKey]vnet.SGRule{}
	byID := map[string]vnet.SGRule{}
	for _, r := range rulesOf(g, egress) {
		have[keyOf(r)] = r
		byID[ruleID(g, egress, r)] = r
	}
	for _, id := range c.list("SecurityGroupRuleId") {
		r, ok := byID[id]
		if !ok {
			return nil, badRequest("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", id)
		}
		rules = append(rules, r)
	}
	for _, r := range rules {
		if _, ok := have[keyOf(r)]; !ok {
			return nil, badRequest("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
		}
	}
	var out struct {
		Return  bool                   `xml:"return"`
		Revoked []ec2SecurityGroupRule `xml:"revokedSecurityGroupRuleSet>item"`
	}
	for _, r := range rules {
		stored := have[keyOf(r)]
		if err := c.changeRule(g, egress, false, stored); err != nil {
			return nil, badRequest("InvalidPermission.NotFound", "%v", err)
		}
		out.Revoked = append(out.Revoked, c.ruleOf(g, egress, stored))
	}
	out.Return = true
	return out, nil
}

// changeRule adds (add) or removes rule r of g's inbound or outbound
// (egress) rules on the running fabric, and logs the change.
func (c *call) changeRule(g *vnet.SecurityGroup, egress, add bool, r vnet.SGRule) error {
	var err error
	switch {
	case add && egress:
		err = g.AuthorizeEgress(r)
	case add:
		err = g.AuthorizeIngress(r)
	case egress:
		err = g.RevokeEgress(r)
	default:
		err = g.RevokeIngress(r)
	}
	c.logChange(fmt.Sprintf("%s (%s) %s %s", g.ID(), g.Name(), direction(egress), ruleWords(r)), err)
	return err
}

func (c *call) ruleOf(g *vnet.SecurityGroup, egress bool, r vnet.SGRule) ec2SecurityGroupRule {
	k := keyOf(r)
	id := ruleID(g, egress, r)
	acct := c.s.l.Net.AccountID()
	out := ec2SecurityGroupRule{SecurityGroupRuleID: id, GroupID: g.ID(), GroupOwnerID: acct, IsEgress: egress,
		IPProtocol: protocolName(k), FromPort: k.from, ToPort: k.to, Description: r.Description,
		SecurityGroupRuleArn: fmt.Sprintf("arn:aws:ec2:%s:%s:security-group-rule/%s", c.s.l.Net.Region(), acct, id)}
	if r.Group != nil {
		out.ReferencedGroupInfo = &ec2GroupPair{UserID: acct, GroupID: r.Group.ID()}
	} else {
		out.CidrIpv4 = r.CIDR.String()
	}
	return out
}

// permissions groups a direction's rules by protocol and ports, as
// DescribeSecurityGroups answers them.
func (c *call) permissions(rules []vnet.SGRule) []ec2IPPermission {
	var out []ec2IPPermission
	index := map[[3]int]int{}
	for _, r := range rules {
		k := keyOf(r)
		ik := [3]int{int(k.proto), k.from, k.to}
		i, ok := index[ik]
		if !ok {
			i = len(out)
			index[ik] = i
			p := ec2IPPermission{IPProtocol: protocolName(k)}
			if k.proto != vnet.ProtoAll {
				from, to := k.from, k.to
				p.FromPort, p.ToPort = &from, &to
			}
			out = append(out, p)
		}
		if r.Group != nil {
			out[i].Groups = append(out[i].Groups, ec2GroupPair{UserID: c.s.l.Net.AccountID(), GroupID: r.Group.ID(), Description: r.Description})
		} else {
			out[i].IPRanges = append(out[i].IPRanges, ec2IPRange{CidrIP: r.CIDR.String(), Description: r.Description})
		}
	}
	return out
}

func describeSecurityGroups(c *call) (any, *apiError) {
	fs, aerr := c.filters("vpc-id", "group-name", "group-id", "description", "owner-id")
	if aerr != nil {
		return nil, aerr
	}
	var gs []*vnet.SecurityGroup
	ids, names := c.list("GroupId"), c.list("GroupName")
	for _, id := range ids {
		g, aerr := c.securityGroup(id)
		if aerr != nil {
			return nil, aerr
		}
		gs = append(gs, g)
	}
	for _, n := range names {
		g, aerr := c.securityGroupByName(n)
		if aerr != nil {
			return nil, aerr
		}
		gs = append(gs, g)
	}
	if len(ids)+len(names) == 0 {
		for _, v := range c.s.l.Net.VPCs() {
			gs = append(gs, v.SecurityGroups()...)
		}
	}
	var kept []*vnet.SecurityGroup
	for _, g := range gs {
		if match(fs, map[string][]string{"vpc-id": {g.VPC().ID()}, "group-name": {g.Name()}, "group-id": {g.ID()}, "description": {g.Description()}, "owner-id": {c.s.l.Net.AccountID()}}) {
			kept = append(kept, g)
		}
	}
	start, end, next, aerr := c.ec2Page(len(kept), 5, 1000)
	if aerr != nil {
		return nil, aerr
	}
	var out struct {
		Groups    []ec2SecurityGroup `xml:"securityGroupInfo>item"`
		NextToken string             `xml:"nextToken,omitempty"`
	}
	for _, g := range kept[start:end] {
		out.Groups = append(out.Groups, ec2SecurityGroup{
			OwnerID: c.s.l.Net.AccountID(), GroupName: g.Name(), GroupDescription: g.Description(), GroupID: g.ID(), VpcID: g.VPC().ID(),
			IPPermissions: c.permissions(g.Inbound()), IPPermissionsEgress: c.permissions(g.Outbound()),
			SecurityGroupArn: fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%s", c.s.l.Net.Region(), c.s.l.Net.AccountID(), g.ID()),
		})
	}
	out.NextToken = next
	return out, nil
}

func describeSecurityGroupRules(c *call) (any, *apiError) {
	fs, aerr := c.filters("group-id", "security-group-rule-id")
	if aerr != nil {
		return nil, aerr
	}
	var all []ec2SecurityGroupRule
	for _, v := range c.s.l.Net.VPCs() {
		for _, g := range v.SecurityGroups() {
			for _, egress := range []bool{false, true} {
				for _, r := range rulesOf(g, egress) {
					all = append(all, c.ruleOf(g, egress, r))
				}
			}
		}
	}
	ids := c.list("SecurityGroupRuleId")
	var kept []ec2SecurityGroupRule
	for _, id := range ids {
		found := false
		for _, r := range all {
			if r.SecurityGroupRuleID == id {
				kept, found = append(kept, r), true
			}
		}
		if !found {
			return nil, badRequest("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", id)
		}
	}
	if len(ids) == 0 {
		kept = all
	}
	var filtered []ec2SecurityGroupRule
	for _, r := range kept {
		if match(fs, map[string][]string{"group-id": {r.GroupID}, "security-group-rule-id": {r.SecurityGroupRuleID}}) {
			filtered = append(filtered, r)
		}
	}
	start, end, next, aerr := c.ec2Page(len(filtered), 5, 1000)
	if aerr != nil {
		return nil, aerr
	}
	var out struct {
		Rules     []ec2SecurityGroupRule `xml:"securityGroupRuleSet>item"`
		NextToken string                 `xml:"nextToken,omitempty"`
	}
	out.Rules, out.NextToken = filtered[start:end], next
	return out, nil
}
