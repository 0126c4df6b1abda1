package topology

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"

	"github.com/vlab-sim/vlab/vnet/limits"
)

// Region is the region every lab is in (ARCHITECTURE.md).
const Region = "ap-northeast-1"

// Zones are the region's availability zones.
var Zones = []string{"ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"}

type issue struct{ path, msg string }

// Validate checks a topology built in Go, as Parse checks a file; the error,
// when not nil, is Problems (with field paths but no file positions).
func Validate(t *Topology) error {
	var ps Problems
	for _, is := range check(t) {
		ps = append(ps, Problem{Path: is.path, Message: is.msg})
	}
	if len(ps) > 0 {
		return ps
	}
	return nil
}

// checker holds what a check needs to resolve names: every resource by
// name, with the path it was defined at.
type checker struct {
	t      *Topology
	issues []issue
	vpcs   map[string]int
	// subnets, instances and the rest are keyed by name across VPCs, as
	// the load balancers and target groups refer to them without a VPC.
	subnets   map[string]subnetRef
	instances map[string]instanceRef
	addrs     map[netip.Addr]string // every address in use -> the path that has it
	tgUsedBy  map[string]string     // target group -> the load balancer using it
}

type subnetRef struct {
	vpc  int
	s    *Subnet
	path string
}

type instanceRef struct {
	vpc  int
	path string
}

func (c *checker) add(path, format string, args ...any) {
	c.issues = append(c.issues, issue{path, fmt.Sprintf(format, args...)})
}

func check(t *Topology) []issue {
	var issues []issue
	required(reflect.ValueOf(t).Elem(), "", func(path string) { issues = append(issues, issue{path, "required, and missing"}) })
	return append(issues, checkRefs(t)...)
}

// required reports every field tagged required left at its zero value
// (an empty list included), in a file or in Go.
func required(v reflect.Value, path string, missing func(path string)) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == prefixType || v.Type() == addrType {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			f, fv := v.Type().Field(i), v.Field(i)
			fp := join(path, f.Tag.Get("yaml"))
			if f.Tag.Get("required") == "true" && (fv.IsZero() || fv.Kind() == reflect.Slice && fv.Len() == 0) {
				missing(fp)
			}
			required(fv, fp, missing)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			required(v.Index(i), fmt.Sprintf("%s[%d]", path, i), missing)
		}
	}
}

func checkRefs(t *Topology) []issue {
	c := &checker{t: t, vpcs: map[string]int{}, subnets: map[string]subnetRef{}, instances: map[string]instanceRef{}, addrs: map[netip.Addr]string{}, tgUsedBy: map[string]string{}}
	igws := map[string]string{}
	for i := range t.Vpcs {
		v := &t.Vpcs[i]
		p := fmt.Sprintf("Vpcs[%d]", i)
		c.unique(c.vpcs, v.Name, i, p+".Name", "VPC")
		if v.InternetGateway != "" {
			if prev, ok := igws[v.InternetGateway]; ok {
				c.add(p+".InternetGateway", "%q is already attached to %s (an internet gateway attaches to one VPC)", v.InternetGateway, prev)
			}
			igws[v.InternetGateway] = v.Name
		}
		if c.block(p+".CidrBlock", v.CidrBlock) {
			for j := 0; j < i; j++ {
				if o := t.Vpcs[j]; o.CidrBlock.IsValid() && o.CidrBlock.Overlaps(v.CidrBlock) {
					c.add(p+".CidrBlock", "%s overlaps VPC %s (%s): the lab's VPCs share one address plan", v.CidrBlock, o.Name, o.CidrBlock)
				}
			}
		}
		for j := range v.Subnets {
			c.subnet(i, j)
		}
	}
	for i := range t.Vpcs {
		c.vpc(i)
	}
	c.internet()
	for i := range t.LoadBalancers {
		c.loadBalancer(i)
	}
	tgs := map[string]int{}
	for i := range t.TargetGroups {
		c.unique(tgs, t.TargetGroups[i].Name, i, fmt.Sprintf("TargetGroups[%d].Name", i), "target group")
		c.targetGroup(i)
	}
	for i, lb := range t.LoadBalancers {
		for j, l := range lb.Listeners {
			if _, ok := tgs[l.TargetGroupName]; !ok && l.TargetGroupName != "" {
				c.add(fmt.Sprintf("LoadBalancers[%d].Listeners[%d].TargetGroupName", i, j), "no target group named %q%s", l.TargetGroupName, known(tgs))
			}
		}
	}
	for i := range t.FlowLogs {
		c.flowLog(i)
	}
	return c.issues
}

// unique records name as defined at index i, or reports it defined twice.
func (c *checker) unique(seen map[string]int, name string, i int, path, what string) {
	if name == "" {
		return
	}
	if _, ok := seen[name]; ok {
		c.add(path, "a %s named %q is already defined", what, name)
		return
	}
	seen[name] = i
}

// block checks a network's CIDR block: AWS's /16 to /28, no host bits.
// VPC User Guide, "VPC CIDR blocks".
func (c *checker) block(path string, p netip.Prefix) bool {
	if !p.IsValid() {
		return false
	}
	if p != p.Masked() {
		c.add(path, "%s has host bits set: the block is %s", p, p.Masked())
		return false
	}
	if err := limits.CheckBlock(p); err != nil {
		c.add(path, "%v", err)
		return false
	}
	return true
}

// known lists the names a reference could have used.
func known(m map[string]int) string {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	if len(names) == 0 {
		return " (none is defined)"
	}
	slices.Sort(names)
	return " (defined: " + strings.Join(names, ", ") + ")"
}
