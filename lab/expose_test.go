package lab_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
)

// Expose: one call, and the client reaches a service on the instance
// through the NLB; with nothing listening it says so instead of returning
// an address that would not answer.
func TestExpose(t *testing.T) {
	c := lab.Default()
	c.ManualClock = true
	l := labtest.New(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	_, err := l.Expose(ctx, "ec2", 9100)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is something listening on the port?")

	// The server starts; exposing again waits for the checks to pass.
	ln, err := l.Target.Listen("tcp", ":9100")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				// A health check may have gone already: no peer left.
				if ra := c.RemoteAddr(); ra != nil {
					io.WriteString(c, ra.String())
				}
			}()
		}
	}()
	addr, err := l.Expose(ctx, "ec2", 9100)
	require.NoError(t, err)
	assert.Equal(t, "198.51.100.10:9100", addr.String())
	conn, err := l.Client.Dial(ctx, "tcp", addr.String())
	require.NoError(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(conn)
	require.NoError(t, err)
	assert.Contains(t, string(b), "203.0.113.10:", "the service sees the client itself")

	again, err := l.Expose(ctx, "ec2", 9100)
	assert.NoError(t, err, "exposing an exposed port again is a no-op")
	assert.Equal(t, addr, again)
	_, err = l.Expose(ctx, "ec2", 51512)
	assert.ErrorContains(t, err, "already has a listener on 51512", "a port another listener has is refused")
	_, err = l.Expose(ctx, "nope", 9200)
	assert.ErrorContains(t, err, `no instance named "nope"`)
}
