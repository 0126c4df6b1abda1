package e2e

import (
	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/nlb"
)

// nlbListener is a listener on port forwarding to a target group on the
// same port, for benchmarks that bring their own server.
func nlbListener(l *lab.Lab, port uint16) nlb.ListenerConfig {
	tg, err := nlb.NewTargetGroup(l.Net, nlb.TargetGroupConfig{Name: "bench", Port: port, VPC: l.VPC})
	if err != nil {
		panic(err)
	}
	for _, in := range l.Targets {
		if err := tg.Register(nlb.Target{ID: in.ID(), ENI: in.ENI()}); err != nil {
			panic(err)
		}
	}
	return nlb.ListenerConfig{Port: port, TargetGroup: tg}
}
