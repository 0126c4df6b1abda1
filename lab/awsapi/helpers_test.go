package awsapi_test

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/awsapi"
	"github.com/vlab-sim/vlab/lab/labtest"
)

// env is a lab on a frozen clock, its API served on loopback, and SDK
// clients pointed at it.
type env struct {
	l    *lab.Lab
	url  string
	ec2  *ec2.Client
	elb  *elb.Client
	logs *lines
}

type lines struct {
	mu sync.Mutex
	l  []string
}

func (l *lines) add(s string) { l.mu.Lock(); l.l = append(l.l, s); l.mu.Unlock() }
func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.l...)
}

func newEnv(t *testing.T, mod ...func(*lab.Config)) *env {
	t.Helper()
	c := lab.Default()
	c.ManualClock = true
	for _, m := range mod {
		m(&c)
	}
	l := labtest.New(t, c)
	logs := &lines{}
	srv := httptest.NewServer(awsapi.NewHandler(l, awsapi.Options{Log: logs.add}))
	t.Cleanup(srv.Close)
	return &env{l: l, url: srv.URL, ec2: ec2.NewFromConfig(sdkConfig(t, "ap-northeast-1"), func(o *ec2.Options) { o.BaseEndpoint = aws.String(srv.URL) }),
		elb: elb.NewFromConfig(sdkConfig(t, "ap-northeast-1"), func(o *elb.Options) { o.BaseEndpoint = aws.String(srv.URL) }), logs: logs}
}

func sdkConfig(t *testing.T, region string) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDVLAB", "secret", "")),
		config.WithRetryMaxAttempts(1))
	require.NoError(t, err)
	return cfg
}

// apiCode returns the AWS error code of err.
func apiCode(t *testing.T, err error) string {
	t.Helper()
	require.Error(t, err)
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae, "%v", err)
	return ae.ErrorCode()
}

func netipAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
