package lab_test

import (
	"net/netip"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/vnet"
)

func openPort(p uint16) vnet.SGRule {
	return vnet.SGRule{Protocol: "tcp", Ports: vnet.PortRange{From: p, To: p}, CIDR: netip.MustParsePrefix("0.0.0.0/0")}
}

// listener forwards port on the NLB to targetPort on the lab's instances.
func listener(l *lab.Lab, port, targetPort uint16) nlb.ListenerConfig {
	tg, _ := nlb.NewTargetGroup(l.Net, nlb.TargetGroupConfig{Name: "web", Port: targetPort, VPC: l.VPC})
	for _, in := range l.Targets {
		tg.Register(nlb.Target{ID: in.ID(), ENI: in.ENI()})
	}
	return nlb.ListenerConfig{Port: port, TargetGroup: tg}
}
