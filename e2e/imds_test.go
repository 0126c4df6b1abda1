package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/target"
	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/wire"
)

// metadata asks the instance's metadata service for path from the
// instance's own stack, with token if not empty; it returns the status and
// the body.
func metadata(t *testing.T, in *target.Instance, method, path, token string, header ...string) (int, string, http.Header) {
	t.Helper()
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return in.Host().DialContext(ctx, network, addr)
	}, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctxT(t), method, "http://169.254.169.254"+path, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("X-aws-ec2-metadata-token", token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b), res.Header
}

func imdsToken(t *testing.T, in *target.Instance, ttl string) string {
	t.Helper()
	code, tok, _ := metadata(t, in, "PUT", "/latest/api/token", "", "X-aws-ec2-metadata-token-ttl-seconds", ttl)
	require.Equal(t, http.StatusOK, code, tok)
	require.NotEmpty(t, tok)
	return tok
}

// IMDSv2 on Amazon Linux 2023 (tokens required, hop limit 2): a token,
// then the instance's own metadata; 401 without one or with an expired
// one; nothing of it in the flow logs.
func TestInstanceMetadataV2(t *testing.T) {
	noLeaks(t)
	c := lab.Default()
	scenario(c).Image = "al2023"
	scenario(c).Targets = 2
	l := flowLab(t, c, 60*time.Second)
	in := l.Targets[0]
	var ttls atomic.Int32
	defer in.ENI().Tap(func(_ time.Time, d vnet.Direction, b []byte) {
		if ip, ok := wire.ParseIPv4(b); ok && d == vnet.In && ip.Src() == target.IMDSAddr {
			ttls.Store(int32(ip.TTL()))
		}
	})()

	code, _, _ := metadata(t, in, "GET", "/latest/meta-data/local-ipv4", "")
	assert.Equal(t, http.StatusUnauthorized, code, "IMDSv2 is required on Amazon Linux 2023")
	code, _, _ = metadata(t, in, "PUT", "/latest/api/token", "")
	assert.Equal(t, http.StatusBadRequest, code, "a token request needs its TTL")
	tok := imdsToken(t, in, "60")
	assert.Equal(t, int32(2), ttls.Load(), "AL2023's hop limit: the answer's TTL")

	for path, want := range map[string]string{
		"/latest/meta-data/local-ipv4":                  "10.0.128.108",
		"/latest/meta-data/instance-id":                 in.ID(),
		"/latest/meta-data/local-hostname":              "ip-10-0-128-108.ap-northeast-1.compute.internal",
		"/latest/meta-data/placement/availability-zone": "ap-northeast-1a",
		"/latest/meta-data/placement/region":            "ap-northeast-1",
		"/latest/meta-data/security-groups":             "ssh-target",
	} {
		code, body, _ := metadata(t, in, "GET", path, tok)
		assert.Equal(t, http.StatusOK, code, path)
		assert.Equal(t, want, body, path)
	}
	code, mac, _ := metadata(t, in, "GET", "/latest/meta-data/mac", tok)
	require.Equal(t, http.StatusOK, code)
	code, body, _ := metadata(t, in, "GET", "/latest/meta-data/network/interfaces/macs/"+mac+"/", tok)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, strings.Split(body, "\n"), "subnet-id")
	code, body, _ = metadata(t, in, "GET", "/latest/meta-data/network/interfaces/macs/"+mac+"/subnet-ipv4-cidr-block", tok)
	assert.Equal(t, "10.0.128.0/20", body)
	code, _, _ = metadata(t, in, "GET", "/latest/meta-data/public-ipv4", tok)
	assert.Equal(t, http.StatusNotFound, code, "a private instance has no public address")
	code, body, _ = metadata(t, in, "GET", "/latest/dynamic/instance-identity/document", tok)
	require.Equal(t, http.StatusOK, code)
	var doc struct{ InstanceID, Region, PrivateIP, AccountID string }
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	assert.Equal(t, in.ID(), doc.InstanceID)
	assert.Equal(t, "10.0.128.108", doc.PrivateIP)
	assert.Equal(t, "123456789012", doc.AccountID)

	// Another instance gets its own answers, never this one's.
	other := l.Targets[1]
	code, body, _ = metadata(t, other, "GET", "/latest/meta-data/local-ipv4", imdsToken(t, other, "60"))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, other.Addr().String(), body)
	code, _, _ = metadata(t, other, "GET", "/latest/meta-data/local-ipv4", tok)
	assert.Equal(t, http.StatusUnauthorized, code, "a token is its instance's own")

	// Tokens expire on the lab clock.
	l.Clock().Advance(61 * time.Second)
	code, _, _ = metadata(t, in, "GET", "/latest/meta-data/local-ipv4", tok)
	assert.Equal(t, http.StatusUnauthorized, code, "an expired token")

	require.NoError(t, l.WaitClosed(ctxT(t)))
	l.Clock().Advance(60 * time.Second)
	for _, r := range l.FlowLog.Records() {
		assert.NotEqual(t, "169.254.169.254", r.Src.String(), "metadata traffic is not logged")
		assert.NotEqual(t, "169.254.169.254", r.Dst.String(), "metadata traffic is not logged")
	}
}

// Amazon Linux 2 accepts IMDSv1 (no token) and answers with hop limit 1; a
// host on the internet cannot reach anyone's metadata.
func TestInstanceMetadataV1OnAL2(t *testing.T) {
	noLeaks(t)
	l := labtest.New(t, manual(lab.Default()))
	in := l.Target
	code, body, hdr := metadata(t, in, "GET", "/latest/meta-data/local-ipv4", "")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "10.0.128.108", body)
	assert.Equal(t, "EC2ws", hdr.Get("Server"))
	code, _, _ = metadata(t, in, "GET", "/latest/meta-data/local-ipv4", "not-a-token")
	assert.Equal(t, http.StatusUnauthorized, code, "a token that was never issued")

	ctx, cancel := context.WithTimeout(ctxT(t), 200*time.Millisecond)
	defer cancel()
	_, err := l.Client.Dial(ctx, "tcp", "169.254.169.254:80")
	assert.Error(t, err, "the client's own interface has no metadata service")
}

// A topology's MetadataOptions allow IMDSv1 on an image that requires
// tokens, and set the hop limit; a value out of EC2's range is refused,
// naming the field.
func TestMetadataOptionsFromATopology(t *testing.T) {
	noLeaks(t)
	top, err := lab.Default().Spec()
	require.NoError(t, err)
	inst := &top.Vpcs[0].Instances[0]
	inst.ImageId = "al2023"
	inst.MetadataOptions.HttpTokens = "optional"
	inst.MetadataOptions.HttpPutResponseHopLimit = 5
	l := labtest.New(t, lab.Config{Topology: top, ManualClock: true})
	var ttl atomic.Int32
	defer l.Target.ENI().Tap(func(_ time.Time, d vnet.Direction, b []byte) {
		if ip, ok := wire.ParseIPv4(b); ok && d == vnet.In && ip.Src() == target.IMDSAddr {
			ttl.Store(int32(ip.TTL()))
		}
	})()
	code, body, _ := metadata(t, l.Target, "GET", "/latest/meta-data/local-ipv4", "")
	assert.Equal(t, http.StatusOK, code, "IMDSv1 allowed")
	assert.Equal(t, "10.0.128.108", body)
	assert.Equal(t, int32(5), ttl.Load())

	inst.MetadataOptions.HttpPutResponseHopLimit = 65
	_, err = lab.New(lab.Config{Topology: top, ManualClock: true})
	assert.ErrorContains(t, err, "MetadataOptions.HttpPutResponseHopLimit")
}

// IMDSv2 as a user types it on the instance: curl -X PUT for a token,
// then the instance's own local-ipv4 with it; without a token, 401.
func TestInstanceMetadataWithCurl(t *testing.T) {
	noLeaks(t)
	c := manual(lab.Default())
	scenario(c).Image = "al2023"
	l := labtest.New(t, c)
	out, errs, st := onInstance(t, l, `TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 21600"); `+
		`curl -s -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/local-ipv4; echo; `+
		`curl -s -o /dev/null -w '%{http_code}\n' http://169.254.169.254/latest/meta-data/local-ipv4`, nil)
	require.Equal(t, 0, st, errs)
	assert.Equal(t, "10.0.128.108\n401\n", out)
}
