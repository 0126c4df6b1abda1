package e2e

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
)

// The load balancer's DNS name answers its healthy zones' addresses in a
// rotating order, so successive clients spread across zones with cross-zone
// load balancing off; a zone stays in the answer only while every target
// group behind the load balancer has a healthy target there (ELB User
// Guide, "Health checks", DNS failover).
func TestDNSRotatesAndNeedsEveryTargetGroupHealthy(t *testing.T) {
	noLeaks(t)
	c := manual(lab.Default())
	scenario(c).Zones = []string{"1a", "1c"}
	scenario(c).Targets = 2 // ec2 in 1a, ec2-2 in 1c
	l := labtest.New(t, c)
	name := l.NLB.DNSName()
	first := map[string]bool{}
	for range 4 {
		as := l.Net.Resolve(name)
		require.Len(t, as, 2)
		first[as[0].String()] = true
	}
	assert.Equal(t, map[string]bool{"198.51.100.10": true, "198.51.100.11": true}, first, "the answers rotate")
	assert.Equal(t, l.Endpoint(), l.Endpoint(), "the lab's endpoint does not rotate")
	hosts := map[string]bool{}
	for range 4 {
		res, err := l.Run(ctxT(t), "hostname")
		require.NoError(t, err)
		hosts[res.Stdout] = true
	}
	assert.Len(t, hosts, 2, "sessions reach both zones' targets: %v", hosts)

	// A second target group behind the load balancer, with a target in 1a
	// only: 1c's address leaves the answer.
	ln, err := l.Instance("ec2").Host().Listen("tcp", ":9100")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) { io.Copy(io.Discard, c); c.Close() }(c)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = l.Expose(ctx, "ec2", 9100)
	require.NoError(t, err)
	for range 3 {
		as := l.Net.Resolve(name)
		require.Len(t, as, 1, "%v", as)
		assert.Equal(t, "198.51.100.10", as[0].String())
	}
}
