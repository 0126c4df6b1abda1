package e2e

import (
	"net"
	"net/netip"
	"testing"

	"go.uber.org/goleak"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/reference"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/vnet"
)

// nlbListener is a listener on port forwarding to a new target group on the
// same port, with the targets' security group opened to the client for it:
// for tests and benchmarks that bring their own server.
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
	if err := l.TargetSecurityGroup.AuthorizeIngress(vnet.SGRule{Protocol: "tcp", Ports: vnet.PortRange{From: port, To: port}, CIDR: netip.MustParsePrefix("0.0.0.0/0")}); err != nil {
		panic(err)
	}
	return nlb.ListenerConfig{Port: port, TargetGroup: tg}
}

// noLeaks fails t if a goroutine started during it outlives it: called
// first, its check runs after every other cleanup, the labs' Close
// included.
func noLeaks(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

// scenario returns the reference scenario's switches of c, a config from
// lab.Default(), to change before the lab is built.
func scenario(c lab.Config) *reference.Config { return c.Topology.(*reference.Config) }

// peerOf is c's remote address, "" once the peer is gone (gVisor's
// connections report none after the endpoint closed: a health check's,
// say, may have closed by the time a server looks).
func peerOf(c net.Conn) string {
	if a := c.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}
