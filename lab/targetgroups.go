package lab

import (
	"fmt"

	"github.com/vlab-sim/vlab/nlb"
)

// AddTargetGroup creates a target group in the running lab, as
// CreateTargetGroup does: empty, and unused until a listener forwards to
// it. The lab closes it with the rest.
func (l *Lab) AddTargetGroup(c nlb.TargetGroupConfig) (*nlb.TargetGroup, error) {
	for _, tg := range l.TargetGroups {
		if tg.Name() == c.Name {
			return nil, fmt.Errorf("target group %s already exists", c.Name)
		}
	}
	tg, err := nlb.NewTargetGroup(l.Net, c)
	if err != nil {
		return nil, err
	}
	l.closers = append(l.closers, tg.Close)
	l.TargetGroups = append(append([]*nlb.TargetGroup(nil), l.TargetGroups...), tg)
	return tg, nil
}

// RemoveTargetGroup deletes a target group no listener uses (ELB API
// Reference, "DeleteTargetGroup": ResourceInUse otherwise) and stops its
// health checks.
func (l *Lab) RemoveTargetGroup(tg *nlb.TargetGroup) error {
	if tg.InUse() {
		return fmt.Errorf("target group %s is in use by a listener", tg.Name())
	}
	var kept []*nlb.TargetGroup
	for _, o := range l.TargetGroups {
		if o != tg {
			kept = append(kept, o)
		}
	}
	// l.TargetGroup, if it was tg, stays: what reads it keeps working.
	l.TargetGroups = kept
	tg.Close()
	return nil
}
