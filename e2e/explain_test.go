package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
)

// O9: the path of the seed's flow, hop by hop, with the addresses each
// party sees and what changed them.
func TestExplainTheSeedFlow(t *testing.T) {
	noLeaks(t)
	l := lab.NewT(t, manual(lab.Default()))
	res, err := l.Run(ctxT(t), "true")
	require.NoError(t, err)
	flows := l.NLB.Flows()
	require.Len(t, flows, 1)
	e, err := l.Explain(flows[0])
	require.NoError(t, err)
	client := res.Local.String()
	type hop struct{ src, dst string }
	want := []hop{
		{client, "198.51.100.10:51512"},
		{client, "10.0.10.25:51512"},
		{client, "10.0.128.108:22"},
		{"10.0.128.108:22", client},
		{"10.0.10.25:51512", client},
		{"198.51.100.10:51512", client},
	}
	require.Len(t, e.Hops, len(want))
	for i, w := range want {
		assert.Equal(t, w.src, e.Hops[i].Src.String(), "hop %d", i+1)
		assert.Equal(t, w.dst, e.Hops[i].Dst.String(), "hop %d", i+1)
		assert.Empty(t, e.Hops[i].Dropped, "hop %d", i+1)
	}
	assert.Contains(t, e.Hops[1].Change, "1:1 mapping 198.51.100.10 -> 10.0.10.25")
	assert.Contains(t, e.Hops[2].Change, "source kept (client IP preservation)")
	assert.Contains(t, strings.Join(e.Hops[2].Rules, ";"), "(ssh-target) inbound: tcp 22 203.0.113.10/32")
	assert.Contains(t, e.Hops[3].Route, "carried by the NLB")
	assert.Contains(t, e.Hops[3].Route, "no route to 203.0.113.10")
	assert.Contains(t, e.Hops[4].Route, "0.0.0.0/0 -> igw-")
}

func TestCLIExplain(t *testing.T) {
	noLeaks(t)
	cfg := t.TempDir()
	out, errs, code := vlab(t, cfg, "explain", "--no-sg-client-rule")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `DROPPED: security group sg-0[0-9a-f]{16} \(ssh-target\): no inbound rule allows 203\.0\.113\.10 to TCP 22`, out)

	out, _, code = vlab(t, cfg, "explain", "--output", "mermaid")
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Equal(t, "sequenceDiagram", lines[0])
	participants, arrows := 0, 0
	for _, ln := range lines[1:] {
		ln = strings.TrimSpace(ln)
		switch {
		case strings.HasPrefix(ln, "participant "):
			participants++
			assert.Regexp(t, `^participant P\d+ as \S+$`, ln)
		case strings.HasPrefix(ln, "Note over "):
			assert.Regexp(t, `^Note over P\d+,P\d+: .+$`, ln)
		default:
			arrows++
			assert.Regexp(t, `^P\d+(->>|-x)P\d+: \S+ > \S+$`, ln)
		}
	}
	assert.Equal(t, 4, participants, "client, gateway, node, target")
	assert.Equal(t, 6, arrows, fmt.Sprint(lines))

	out, _, code = vlab(t, cfg, "version")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "gvisor.dev/")
}
