package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/topology"
	"github.com/vlab-sim/vlab/vnet"
)

func newDescribe() *cobra.Command {
	var (
		lf      labFlags
		output  string
		drops   bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "describe",
		Short: "Describe the lab: hosts, ENIs, subnets, route tables, security groups, ACLs, the NLB",
		Long: `Build the lab and print what a user needs to name things: every host and its
network interfaces (id, subnet, private and public address, security groups,
description), the subnets, the route tables with their routes, the security
groups and network ACLs with their rules, the load balancer (nodes,
listeners) and its target group (health check, attributes).

With --drops, vlab first runs the seed's session (SSH from the client through
the NLB, 'true') and then lists every packet the lab dropped, with the
reason, the place (an ENI, subnet, route table or gateway) and the words
that explain it.`,
		Example: `  vlab describe
  vlab describe --drops --no-sg-client-rule
  vlab describe --output json
  vlab describe --file examples/two-nlbs.yaml --output text | grep ^RULE
  vlab describe --targets 2 --nat-gateway --output yaml > mine.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFlag(output, "table", "json", "text", "yaml"); err != nil {
				return err
			}
			if err := checkTimeout(timeout); err != nil {
				return err
			}
			lf.readOnly = true // reads a lab: writes no file it was not asked for
			l, err := lf.build()
			if err != nil {
				return err
			}
			defer l.Close()
			d := describeLab(l)
			if drops {
				runSeedSession(l, timeout)
				d.Drops = describeDrops(l.Net.RecentDropEvents())
			}
			switch output {
			case "yaml":
				return printTopology(l)
			case "json":
				return printJSON(d)
			case "text":
				d.printText(os.Stdout)
				return nil
			}
			d.print(drops)
			return nil
		},
	}
	lf.register(cmd)
	cmd.Flags().StringVar(&output, "output", "table", "table, json, text (tab-separated, one object a line, its kind first, as the AWS CLI's text output), or yaml (the lab as a topology file, to edit and run with --file)")
	cmd.Flags().BoolVar(&drops, "drops", false, "run the seed's SSH session first, then list the drops it caused")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "with --drops: how long the session may take to open")
	return cmd
}

// runSeedSession runs `true` over SSH through the NLB; the library gives up
// as soon as the fabric drops a packet of it.
func runSeedSession(l *lab.Lab, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	l.Run(ctx, "true")
}

type description struct {
	Hosts          []hostDesc
	Subnets        []subnetDesc
	RouteTables    []routeTableDesc
	SecurityGroups []sgDesc
	NetworkAcls    []aclDesc
	LoadBalancers  []lbDesc
	TargetGroups   []tgDesc
	Drops          []dropDesc `json:",omitempty"`
}

type hostDesc struct {
	Name              string
	InstanceId        string `json:",omitempty"`
	NetworkInterfaces []eniDesc
}

type eniDesc struct {
	NetworkInterfaceId string
	Device             string
	SubnetId           string `json:",omitempty"`
	PrivateIpAddress   string
	PublicIp           string   `json:",omitempty"`
	Groups             []string `json:",omitempty"`
	Description        string   `json:",omitempty"`
}

type subnetDesc struct {
	SubnetId, Name, CidrBlock, AvailabilityZone, RouteTableId, NetworkAclId string
}

type routeTableDesc struct {
	RouteTableId, Name string
	Routes             []routeDesc
	Subnets            []string
}

type routeDesc struct{ DestinationCidrBlock, Target string }

type sgDesc struct {
	GroupId, GroupName, Description string
	Inbound, Outbound               []string
}

type aclDesc struct {
	NetworkAclId, Name string
	IsDefault          bool
	Inbound, Outbound  []string
}

type lbDesc struct {
	LoadBalancerName, DNSName, LoadBalancerArn, Scheme string
	SecurityGroups                                     []string `json:",omitempty"`
	Attributes                                         map[string]string
	DNSAnswer                                          []string
	Nodes                                              []nodeDesc
	Listeners                                          []string
}

type nodeDesc struct {
	Host, AvailabilityZone, PrivateIpAddress string
	PublicIp                                 string `json:",omitempty"`
	NetworkInterfaceId                       string
}

type tgDesc struct {
	TargetGroupName, TargetGroupArn, Protocol, TargetType string
	Port                                                  int
	HealthCheck                                           string
	Attributes                                            map[string]string
}

type dropDesc struct {
	Where, Reason, Protocol, Source, Destination, Detail string
	Packets                                              uint64
}

func describeLab(l *lab.Lab) description {
	var d description
	groups := func(gs []*vnet.SecurityGroup) []string {
		var out []string
		for _, g := range gs {
			out = append(out, g.ID()+" ("+g.Name()+")")
		}
		return out
	}
	instances := map[string]string{}
	for _, in := range l.Instances {
		instances[in.Host().Name()] = in.ID()
	}
	for _, h := range l.Net.Hosts() {
		hd := hostDesc{Name: h.Name(), InstanceId: instances[h.Name()]}
		for _, e := range h.ENIs() {
			ed := eniDesc{NetworkInterfaceId: e.ID(), Device: e.Name(), PrivateIpAddress: e.Prefix().String(), Groups: groups(e.SecurityGroups()), Description: e.Description()}
			if s := e.Subnet(); s != nil {
				ed.SubnetId = s.ID() + " (" + s.Name() + ")"
			} else {
				ed.SubnetId = "internet"
			}
			if pub, ok := e.PublicAddr(); ok {
				ed.PublicIp = pub.String()
			}
			hd.NetworkInterfaces = append(hd.NetworkInterfaces, ed)
		}
		d.Hosts = append(d.Hosts, hd)
	}
	for _, v := range l.VPCs {
		for _, s := range v.Subnets() {
			d.Subnets = append(d.Subnets, subnetDesc{s.ID(), s.Name(), s.CIDR().String(), s.Zone(), s.RouteTable().ID(), s.NetworkACL().ID()})
		}
		for _, rt := range v.RouteTables() {
			rd := routeTableDesc{RouteTableId: rt.ID(), Name: rt.Name()}
			for _, r := range rt.Routes() {
				rd.Routes = append(rd.Routes, routeDesc{r.Destination.String(), r.Target.TargetID()})
			}
			for _, s := range v.Subnets() {
				if s.RouteTable() == rt {
					rd.Subnets = append(rd.Subnets, s.Name())
				}
			}
			d.RouteTables = append(d.RouteTables, rd)
		}
		for _, g := range v.SecurityGroups() {
			sd := sgDesc{GroupId: g.ID(), GroupName: g.Name(), Description: g.Description()}
			for _, r := range g.Inbound() {
				sd.Inbound = append(sd.Inbound, ruleText(r))
			}
			for _, r := range g.Outbound() {
				sd.Outbound = append(sd.Outbound, ruleText(r))
			}
			d.SecurityGroups = append(d.SecurityGroups, sd)
		}
		for _, a := range v.NetworkACLs() {
			ad := aclDesc{NetworkAclId: a.ID(), Name: a.Name(), IsDefault: a.IsDefault()}
			for _, r := range a.Rules(false) {
				ad.Inbound = append(ad.Inbound, r.String())
			}
			ad.Inbound = append(ad.Inbound, "* all 0.0.0.0/0 deny")
			for _, r := range a.Rules(true) {
				ad.Outbound = append(ad.Outbound, r.String())
			}
			ad.Outbound = append(ad.Outbound, "* all 0.0.0.0/0 deny")
			d.NetworkAcls = append(d.NetworkAcls, ad)
		}
	}
	for _, lb := range l.LoadBalancers {
		ld := lbDesc{LoadBalancerName: lb.Name(), DNSName: lb.DNSName(), LoadBalancerArn: lb.ARN(), Scheme: lb.Scheme(), SecurityGroups: groups(lb.SecurityGroups()), Attributes: lb.Attributes()}
		for _, a := range lb.Resolve() {
			ld.DNSAnswer = append(ld.DNSAnswer, a.String())
		}
		for _, nd := range lb.Nodes() {
			public := ""
			if a := nd.PublicAddr(); a.IsValid() {
				public = a.String() // internal load balancers have none
			}
			ld.Nodes = append(ld.Nodes, nodeDesc{nd.Host().Name(), nd.Zone(), nd.PrivateAddr().String(), public, nd.ENI().ID()})
		}
		for _, li := range lb.Listeners() {
			ld.Listeners = append(ld.Listeners, fmt.Sprintf("%s %d -> %s (tcp.idle_timeout.seconds = %s)", li.Protocol, li.Port, li.TargetGroup.Name(), li.Attributes()["tcp.idle_timeout.seconds"]))
		}
		d.LoadBalancers = append(d.LoadBalancers, ld)
	}
	for _, tg := range l.TargetGroups {
		hc := tg.HealthCheck()
		d.TargetGroups = append(d.TargetGroups, tgDesc{
			TargetGroupName: tg.Name(), TargetGroupArn: tg.ARN(), Protocol: tg.Protocol(), TargetType: tg.TargetType(), Port: int(tg.Port()),
			HealthCheck: fmt.Sprintf("%s port %s, interval %ds, timeout %ds, healthy %d, unhealthy %d", hc.Protocol, hc.Port, hc.IntervalSeconds, hc.TimeoutSeconds, hc.HealthyThresholdCount, hc.UnhealthyThresholdCount),
			Attributes:  tg.Attributes(),
		})
	}
	return d
}

func ruleText(r vnet.SGRule) string {
	if r.Description != "" {
		return r.String() + " (" + r.Description + ")"
	}
	return r.String()
}

// describeDrops lists the recent drops (the seed session's, after a fresh
// build) grouped by place, reason, protocol, source address and
// destination, in the order they first happened.
func describeDrops(events []vnet.DropEvent) []dropDesc {
	type key struct {
		where, reason, proto, src, dst string
	}
	out := []dropDesc{}
	index := map[key]int{}
	for _, e := range events {
		f := e.Flow
		k := key{e.Where, string(e.Reason), strings.ToUpper(vnet.ProtocolName(f.Proto)), f.Src.Addr().String(), f.Dst.String()}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, dropDesc{Where: k.where, Reason: k.reason, Protocol: k.proto, Source: k.src, Destination: k.dst})
		}
		out[i].Packets++
		out[i].Detail = e.Detail
	}
	return out
}

func (d description) print(drops bool) {
	w := os.Stdout
	section := func(name string) { fmt.Fprintf(w, "\n%s\n", name) }
	fmt.Fprintln(w, "HOSTS")
	t := newTable(w)
	t.row("HOST", "INSTANCE", "DEVICE", "ENI", "SUBNET", "PRIVATE", "PUBLIC", "SECURITY GROUPS", "DESCRIPTION")
	for _, h := range d.Hosts {
		for _, e := range h.NetworkInterfaces {
			t.row(h.Name, dash(h.InstanceId), e.Device, e.NetworkInterfaceId, e.SubnetId, e.PrivateIpAddress, dash(e.PublicIp), dash(strings.Join(e.Groups, ", ")), dash(e.Description))
		}
	}
	t.flush()
	section("SUBNETS")
	t = newTable(w)
	t.row("SUBNET", "NAME", "CIDR", "ZONE", "ROUTE TABLE", "NETWORK ACL")
	for _, s := range d.Subnets {
		t.row(s.SubnetId, s.Name, s.CidrBlock, s.AvailabilityZone, s.RouteTableId, s.NetworkAclId)
	}
	t.flush()
	section("ROUTE TABLES")
	t = newTable(w)
	t.row("ROUTE TABLE", "NAME", "DESTINATION", "TARGET", "SUBNETS")
	for _, rt := range d.RouteTables {
		for i, r := range rt.Routes {
			if i == 0 {
				t.row(rt.RouteTableId, rt.Name, r.DestinationCidrBlock, r.Target, dash(strings.Join(rt.Subnets, ", ")))
			} else {
				t.row("", "", r.DestinationCidrBlock, r.Target, "")
			}
		}
	}
	t.flush()
	section("SECURITY GROUPS")
	t = newTable(w)
	t.row("GROUP", "NAME", "DIRECTION", "RULE")
	for _, g := range d.SecurityGroups {
		first := true
		emit := func(dir string, rules []string) {
			if len(rules) == 0 {
				rules = []string{"(none)"}
			}
			for _, r := range rules {
				if first {
					t.row(g.GroupId, g.GroupName, dir, r)
					first = false
				} else {
					t.row("", "", dir, r)
				}
			}
		}
		emit("inbound", g.Inbound)
		emit("outbound", g.Outbound)
	}
	t.flush()
	section("NETWORK ACLS")
	t = newTable(w)
	t.row("ACL", "NAME", "DIRECTION", "RULE")
	for _, a := range d.NetworkAcls {
		for i, r := range append(prefixAll("inbound", a.Inbound), prefixAll("outbound", a.Outbound)...) {
			if i == 0 {
				t.row(a.NetworkAclId, a.Name, r[0], r[1])
			} else {
				t.row("", "", r[0], r[1])
			}
		}
	}
	t.flush()
	section("LOAD BALANCERS")
	for _, lb := range d.LoadBalancers {
		fmt.Fprintf(w, "%s (%s)  %s\n%s\n", lb.LoadBalancerName, lb.Scheme, lb.DNSName, lb.LoadBalancerArn)
		if len(lb.SecurityGroups) > 0 {
			fmt.Fprintf(w, "security groups: %s\n", strings.Join(lb.SecurityGroups, ", "))
		}
		for k, v := range lb.Attributes {
			fmt.Fprintf(w, "%s = %s\n", k, v)
		}
		fmt.Fprintf(w, "DNS answer: %s\n", strings.Join(lb.DNSAnswer, ", "))
		t = newTable(w)
		t.row("NODE", "ZONE", "PRIVATE", "PUBLIC", "ENI")
		for _, n := range lb.Nodes {
			t.row(n.Host, n.AvailabilityZone, n.PrivateIpAddress, dash(n.PublicIp), n.NetworkInterfaceId)
		}
		t.flush()
		for _, li := range lb.Listeners {
			fmt.Fprintf(w, "listener %s\n", li)
		}
	}
	section("TARGET GROUPS")
	for _, tg := range d.TargetGroups {
		fmt.Fprintf(w, "%s  %s %d, target type %s\n%s\nhealth check: %s\n", tg.TargetGroupName, tg.Protocol, tg.Port, tg.TargetType, tg.TargetGroupArn, tg.HealthCheck)
		keys := make([]string, 0, len(tg.Attributes))
		for k := range tg.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %s = %s\n", k, tg.Attributes[k])
		}
	}
	if drops {
		section("DROPS (after the seed's session)")
		if len(d.Drops) == 0 {
			fmt.Fprintln(w, "none")
			return
		}
		t = newTable(w)
		t.row("WHERE", "REASON", "PROTO", "SOURCE", "DESTINATION", "PACKETS", "WHY")
		for _, dr := range d.Drops {
			t.row(dr.Where, dr.Reason, dr.Protocol, dr.Source, dr.Destination, dr.Packets, dash(dr.Detail))
		}
		t.flush()
	}
}

func prefixAll(dir string, rules []string) [][2]string {
	out := make([][2]string, len(rules))
	for i, r := range rules {
		out[i] = [2]string{dir, r}
	}
	return out
}

// printText prints one line an object, its kind in capitals then its
// fields, tab-separated: the AWS CLI's text output, for grep and cut.
func (d description) printText(w io.Writer) {
	line := func(kind string, fields ...any) {
		parts := []string{kind}
		for _, f := range fields {
			parts = append(parts, fmt.Sprint(f))
		}
		fmt.Fprintln(w, strings.Join(parts, "\t"))
	}
	for _, h := range d.Hosts {
		for _, e := range h.NetworkInterfaces {
			line("NETWORKINTERFACE", h.Name, dash(h.InstanceId), e.Device, e.NetworkInterfaceId, e.SubnetId, e.PrivateIpAddress, dash(e.PublicIp), dash(strings.Join(e.Groups, ",")))
		}
	}
	for _, s := range d.Subnets {
		line("SUBNET", s.SubnetId, s.Name, s.CidrBlock, s.AvailabilityZone, s.RouteTableId, s.NetworkAclId)
	}
	for _, rt := range d.RouteTables {
		for _, r := range rt.Routes {
			line("ROUTE", rt.RouteTableId, rt.Name, r.DestinationCidrBlock, r.Target)
		}
	}
	for _, g := range d.SecurityGroups {
		for _, r := range g.Inbound {
			line("RULE", g.GroupId, g.GroupName, "inbound", r)
		}
		for _, r := range g.Outbound {
			line("RULE", g.GroupId, g.GroupName, "outbound", r)
		}
	}
	for _, a := range d.NetworkAcls {
		for _, r := range a.Inbound {
			line("ENTRY", a.NetworkAclId, a.Name, "inbound", r)
		}
		for _, r := range a.Outbound {
			line("ENTRY", a.NetworkAclId, a.Name, "outbound", r)
		}
	}
	for _, lb := range d.LoadBalancers {
		line("LOADBALANCER", lb.LoadBalancerName, lb.Scheme, lb.DNSName, lb.LoadBalancerArn)
		for _, n := range lb.Nodes {
			line("NODE", lb.LoadBalancerName, n.Host, n.AvailabilityZone, n.PrivateIpAddress, dash(n.PublicIp), n.NetworkInterfaceId)
		}
		for _, li := range lb.Listeners {
			line("LISTENER", lb.LoadBalancerName, li)
		}
		for _, k := range sortedKeys(lb.Attributes) {
			line("ATTRIBUTE", lb.LoadBalancerName, k, lb.Attributes[k])
		}
	}
	for _, tg := range d.TargetGroups {
		line("TARGETGROUP", tg.TargetGroupName, tg.Protocol, tg.Port, tg.TargetType, tg.TargetGroupArn, tg.HealthCheck)
		for _, k := range sortedKeys(tg.Attributes) {
			line("ATTRIBUTE", tg.TargetGroupName, k, tg.Attributes[k])
		}
	}
	for _, dr := range d.Drops {
		line("DROP", dr.Where, dr.Reason, dr.Protocol, dr.Source, dr.Destination, dr.Packets, dash(dr.Detail))
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// printTopology prints the lab as a topology file, a starting point for
// one's own.
func printTopology(l *lab.Lab) error {
	out, err := topology.Marshal(l.Topology)
	if err != nil {
		return err
	}
	fmt.Printf("# A vlab topology, written by: vlab %s\n", strings.Join(os.Args[1:], " "))
	fmt.Printf("# Check it with vlab validate FILE, run it with vlab ssh --file FILE;\n")
	fmt.Printf("# its schema: vlab validate --print-schema.\n")
	_, err = os.Stdout.Write(out)
	return err
}
