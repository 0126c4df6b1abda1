package limits

import "fmt"

// Setting is a numeric setting AWS bounds: its API name, range and
// default (0: none, or set by the resource).
type Setting struct {
	Name     string
	Min, Max int
	Default  int
	Source   string
}

const (
	healthChecks = "ELB User Guide, \"Health checks for Network Load Balancer target groups\""
	ctTimeouts   = "EC2 User Guide, \"Idle connection tracking timeout\""
	aclRules     = "VPC User Guide, \"Network ACL rules\""
)

// Settings is every bounded setting the lab checks.
var Settings = []Setting{
	{Name: "HealthCheckIntervalSeconds", Min: 5, Max: 300, Default: 30, Source: healthChecks},
	{Name: "HealthCheckTimeoutSeconds", Min: 2, Max: 120, Default: 10, Source: healthChecks},
	{Name: "HealthyThresholdCount", Min: 2, Max: 10, Default: 5, Source: healthChecks},
	{Name: "UnhealthyThresholdCount", Min: 2, Max: 10, Default: 2, Source: healthChecks},
	{Name: "TcpEstablishedTimeout", Min: 60, Max: 432000, Default: 432000, Source: ctTimeouts},
	{Name: "UdpStreamTimeout", Min: 60, Max: 180, Default: 180, Source: ctTimeouts},
	{Name: "UdpTimeout", Min: 30, Max: 60, Default: 30, Source: ctTimeouts},
	{Name: "RuleNumber", Min: 1, Max: 32766, Source: aclRules},
}

// Get returns the setting named name; it panics on a name the table does
// not have (a programming error: the names are the lab's own).
func Get(name string) Setting {
	for _, s := range Settings {
		if s.Name == name {
			return s
		}
	}
	panic("limits: no setting " + name)
}

// Check reports a value outside the setting's range, naming it.
func (s Setting) Check(v int) error {
	if v < s.Min || v > s.Max {
		return fmt.Errorf("%s %d: must be %d-%d", s.Name, v, s.Min, s.Max)
	}
	return nil
}
