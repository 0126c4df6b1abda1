package limits

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Owner is the kind of resource an attribute belongs to.
type Owner string

// The owners of attributes.
const (
	LoadBalancer Owner = "load balancer"
	Listener     Owner = "listener"
	TargetGroup  Owner = "target group"
)

// Attribute is one attribute the lab supports.
type Attribute struct {
	Key   string
	Owner Owner
	// Default is AWS's; empty when it depends on the resource (client IP
	// preservation: on for instance targets, off for ip).
	Default string
	// The values it takes: true or false (Bool), a whole number from Min
	// to Max, or one of Enum.
	Bool     bool
	Min, Max int
	Enum     []string
	// Source is the AWS document that gives the key, default and values.
	Source string
}

const (
	nlbAttributes = "ELB User Guide, \"Edit attributes for your Network Load Balancer\""
	listenerDoc   = "ELB User Guide, \"Update the TCP idle timeout\""
	tgAttributes  = "ELB User Guide, \"Edit target group attributes\""
)

// Attributes is every attribute the lab supports.
var Attributes = []Attribute{
	{Key: "load_balancing.cross_zone.enabled", Owner: LoadBalancer, Default: "false", Bool: true, Source: nlbAttributes},
	{Key: "tcp.idle_timeout.seconds", Owner: Listener, Default: "350", Min: 60, Max: 6000, Source: listenerDoc},
	{Key: "deregistration_delay.timeout_seconds", Owner: TargetGroup, Default: "300", Min: 0, Max: 3600, Source: tgAttributes},
	{Key: "deregistration_delay.connection_termination.enabled", Owner: TargetGroup, Default: "false", Bool: true, Source: tgAttributes},
	{Key: "preserve_client_ip.enabled", Owner: TargetGroup, Bool: true, Source: tgAttributes},
	{Key: "proxy_protocol_v2.enabled", Owner: TargetGroup, Default: "false", Bool: true, Source: tgAttributes},
	{Key: "stickiness.enabled", Owner: TargetGroup, Default: "false", Bool: true, Source: tgAttributes},
	{Key: "stickiness.type", Owner: TargetGroup, Default: "source_ip", Enum: []string{"source_ip"}, Source: tgAttributes},
	{Key: "load_balancing.cross_zone.enabled", Owner: TargetGroup, Default: "use_load_balancer_configuration", Enum: []string{"true", "false", "use_load_balancer_configuration"}, Source: tgAttributes},
	{Key: "target_health_state.unhealthy.connection_termination.enabled", Owner: TargetGroup, Default: "true", Bool: true, Source: tgAttributes},
	{Key: "target_health_state.unhealthy.draining_interval_seconds", Owner: TargetGroup, Default: "0", Min: 0, Max: 360000, Source: tgAttributes},
}

// Lookup finds an owner's attribute by its AWS key.
func Lookup(owner Owner, key string) (Attribute, bool) {
	for _, a := range Attributes {
		if a.Owner == owner && a.Key == key {
			return a, true
		}
	}
	return Attribute{}, false
}

// Of lists an owner's attributes.
func Of(owner Owner) []Attribute {
	var out []Attribute
	for _, a := range Attributes {
		if a.Owner == owner {
			out = append(out, a)
		}
	}
	return out
}

// AttributeError is an attribute the lab refuses: its key, the value, and
// what it takes. Where the attribute came from (a topology file's field)
// places the error by Key.
type AttributeError struct {
	Owner Owner
	// Name names the resource: a load balancer's or target group's name,
	// a listener's port.
	Name  string
	Key   string
	Value string
	// Want says what would be right ("must be 0-3600").
	Want string
}

func (e *AttributeError) Error() string {
	if e.Value == "" && strings.HasPrefix(e.Want, "is not supported") {
		return fmt.Sprintf("%s %s: attribute %q %s", e.Owner, e.Name, e.Key, e.Want)
	}
	return fmt.Sprintf("%s %s: %s %q: %s", e.Owner, e.Name, e.Key, e.Value, e.Want)
}

// Check returns value in its canonical form (true or false for a
// boolean) if the owner's attribute key takes it, or an *AttributeError
// that says why not.
func Check(owner Owner, name, key, value string) (string, error) {
	a, ok := Lookup(owner, key)
	if !ok {
		return "", &AttributeError{Owner: owner, Name: name, Key: key, Want: "is not supported by the lab"}
	}
	fail := func(want string) (string, error) {
		return "", &AttributeError{Owner: owner, Name: name, Key: key, Value: value, Want: want}
	}
	switch {
	case a.Bool:
		b, err := strconv.ParseBool(value)
		if err != nil {
			return fail("must be true or false")
		}
		return strconv.FormatBool(b), nil
	case len(a.Enum) == 1:
		if value != a.Enum[0] {
			return fail("NLB target groups take " + a.Enum[0])
		}
	case len(a.Enum) > 1:
		if !slices.Contains(a.Enum, value) {
			return fail("must be " + strings.Join(a.Enum[:len(a.Enum)-1], ", ") + " or " + a.Enum[len(a.Enum)-1])
		}
	default:
		n, err := strconv.Atoi(value)
		if err != nil || n < a.Min || n > a.Max {
			return fail(fmt.Sprintf("must be %d-%d", a.Min, a.Max))
		}
		return strconv.Itoa(n), nil
	}
	return value, nil
}
