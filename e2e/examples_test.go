package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/client"
	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/lab/topology"
	"github.com/vlab-sim/vlab/nlb"
)

// exampleLab builds examples/<name> with the lab clock in the test's hands.
func exampleLab(t *testing.T, name string, c lab.Config) *lab.Lab {
	t.Helper()
	file := filepath.Join("..", "examples", name)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	top, err := topology.Parse(file, data)
	require.NoError(t, err)
	c.Topology, c.ManualClock = top, true
	return labtest.New(t, c)
}

func allHealthy(t *testing.T, tg *nlb.TargetGroup) {
	t.Helper()
	hs := tg.Health()
	require.NotEmpty(t, hs, tg.Name())
	for _, h := range hs {
		assert.Equal(t, nlb.StateHealthy, h.State, "%s %s: %s", tg.Name(), h.Target.ID, h.Description)
	}
}

// httpGet fetches url from the lab's client, over its own stack.
func httpGet(ctx context.Context, l *lab.Lab, url string) (string, error) {
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return l.Client.Dial(ctx, network, addr)
	}, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return "", err
	}
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

// labRun runs command over SSH through the lab's load balancer.
func labRun(t *testing.T, l *lab.Lab, command string) client.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := l.Run(ctx, command)
	require.NoError(t, err)
	return r
}

// Every example builds and does what its comments say. Each check is what
// the example's user would look at.
func TestExamples(t *testing.T) {
	noLeaks(t)
	files, err := filepath.Glob("../examples/*.yaml")
	require.NoError(t, err)
	checks := map[string]func(t *testing.T){
		"reference.yaml": func(t *testing.T) {
			l := exampleLab(t, "reference.yaml", lab.Config{})
			allHealthy(t, l.TargetGroup)
			r := labRun(t, l, "echo $SSH_CLIENT")
			assert.True(t, strings.HasPrefix(r.Stdout, "203.0.113.10 "), r.Stdout)
		},
		"two-targets.yaml": func(t *testing.T) {
			l := exampleLab(t, "two-targets.yaml", lab.Config{Target: "ec2-2"})
			assert.Equal(t, "198.51.100.10:2222", l.Endpoint().String(), "the listener moved")
			require.Len(t, l.Targets, 2)
			allHealthy(t, l.TargetGroup)
			r := labRun(t, l, "hostname; echo $SSH_CLIENT")
			assert.True(t, strings.HasPrefix(r.Stdout, "ip-10-0-128-109\n203.0.113.10 "), "--target ec2-2 lands there: %q", r.Stdout)
		},
		"two-nlbs.yaml": func(t *testing.T) {
			l := exampleLab(t, "two-nlbs.yaml", lab.Config{})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			require.Len(t, l.LoadBalancers, 2)
			for _, tg := range l.TargetGroups {
				allHealthy(t, tg) // web over HTTP through the LB's group
			}
			// web: the http-echo servers see the laptop's own address.
			seen := map[string]bool{}
			for range 8 {
				body, err := httpGet(ctx, l, "http://"+l.Endpoint().String()+"/")
				require.NoError(t, err)
				name, peer, ok := strings.Cut(strings.TrimSpace(body), ": hello ")
				require.True(t, ok, body)
				seen[name] = true
				assert.True(t, strings.HasPrefix(peer, "203.0.113.25:"), body)
			}
			assert.NotEmpty(t, seen)

			// admin: SSH to the bastion, an ip target keeping the client's
			// address, which reaches the internet through the NAT gateway.
			admin := exampleLab(t, "two-nlbs.yaml", lab.Config{LoadBalancer: "admin"})
			r := labRun(t, admin, "echo $SSH_CLIENT; curl -s http://192.0.2.90/")
			assert.Contains(t, r.Stdout, "203.0.113.25 ")
			assert.Contains(t, r.Stdout, "updates: hello 198.51.100.40:")

			// The flow log covers the web servers only, in its own format.
			require.NoError(t, l.WaitClosed(ctx))
			l.Clock().Advance(70 * time.Second)
			require.Len(t, l.FlowLogs, 1)
			lines := l.FlowLog.Lines()
			require.NotEmpty(t, lines)
			var client int
			for _, ln := range lines {
				f := strings.Fields(ln)
				require.Len(t, f, 6, ln)
				if f[0] == "203.0.113.25" && f[3] == "8080" {
					client++
					assert.Equal(t, "ACCEPT", f[5], ln)
				}
			}
			assert.Positive(t, client, "the laptop's requests are logged at the web servers: %v", lines)
		},
	}
	checks["proxy-protocol.yaml"] = func(t *testing.T) {
		l := exampleLab(t, "proxy-protocol.yaml", lab.Config{})
		allHealthy(t, l.TargetGroup)
		assert.Equal(t, "true", l.TargetGroup.Attributes()[nlb.AttrProxyProtocolV2])
		r := labRun(t, l, "ss -tn; echo $SSH_CLIENT")
		assert.Regexp(t, `ESTAB\s+\d+\s+\d+\s+10\.0\.128\.108:22\s+10\.0\.10\.25:\d+\s`, r.Stdout, "the TCP peer is the node")
		assert.Contains(t, r.Stdout, fmt.Sprintf("\n203.0.113.10 %d 22\n", r.Local.Port()), "the header names the client")
	}
	checks["internal.yaml"] = func(t *testing.T) {
		l := exampleLab(t, "internal.yaml", lab.Config{})
		for _, tg := range l.TargetGroups {
			allHealthy(t, tg)
		}
		internal := l.LoadBalancer("internal-app")
		require.NotNil(t, internal)
		assert.Equal(t, "internal", internal.Scheme())
		assert.Equal(t, "[10.30.1.200]", fmt.Sprint(l.Net.Resolve(internal.DNSName())), "its name resolves to its private address only")
		il := exampleLab(t, "internal.yaml", lab.Config{LoadBalancer: "internal-app"})
		_, err := il.Run(context.Background(), "true")
		assert.ErrorContains(t, err, "load balancer internal-app is internal: it has no public address, so the client on the internet cannot reach it")
		bastion := l.Instance("bastion").Addr().String()
		r := labRun(t, l, "hostname; curl -s http://"+internal.DNSName()+"/; curl -s http://10.30.1.200/; curl -s http://10.30.1.200/")
		lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
		require.Len(t, lines, 4, r.Stdout+r.Stderr)
		assert.Equal(t, l.Instance("bastion").Hostname(), lines[0])
		for _, ln := range lines[1:] {
			assert.Regexp(t, `^app-[12]: hello `+regexp.QuoteMeta(bastion)+`:\d+$`, ln, "the app servers see the bastion's own address")
		}
	}
	for _, f := range files {
		name := filepath.Base(f)
		check, ok := checks[name]
		if !assert.True(t, ok, "examples/%s has no check in TestExamples", name) {
			continue
		}
		t.Run(name, check)
	}
}
