package awsapi_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWrongRegionRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := ec2.NewFromConfig(sdkConfig(t, "us-east-1"), func(o *ec2.Options) { o.BaseEndpoint = aws.String(e.url) })
	_, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	assert.Equal(t, "SignatureDoesNotMatch", apiCode(t, err))
	assert.Contains(t, err.Error(), "Credential should be scoped to a valid region, not 'us-east-1'.")
	lc := elb.NewFromConfig(sdkConfig(t, "eu-west-1"), func(o *elb.Options) { o.BaseEndpoint = aws.String(e.url) })
	_, err = lc.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	assert.Equal(t, "SignatureDoesNotMatch", apiCode(t, err))
}

// raw posts a form with the given Authorization header and returns the
// status and body.
func raw(t *testing.T, e *env, form string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url, strings.NewReader(form))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestMalformedSignatureRefused(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC()
	date, stamp := now.Format("20060102"), now.Format("20060102T150405Z")
	ec2Form := url.Values{"Action": {"DescribeVpcs"}, "Version": {"2016-11-15"}}.Encode()
	elbForm := url.Values{"Action": {"DescribeLoadBalancers"}, "Version": {"2015-12-01"}}.Encode()
	good := "AWS4-HMAC-SHA256 Credential=AKID/" + date + "/ap-northeast-1/ec2/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=00"

	code, body := raw(t, e, ec2Form, map[string]string{"Authorization": good, "X-Amz-Date": stamp})
	assert.Equal(t, 200, code, body)
	assert.Contains(t, body, `<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>`)

	code, body = raw(t, e, ec2Form, nil)
	assert.Equal(t, 403, code)
	assert.Contains(t, body, "<Response><Errors><Error><Code>MissingAuthenticationToken</Code>")
	assert.Contains(t, body, "<RequestID>")

	code, body = raw(t, e, elbForm, map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/" + date + "/ap-northeast-1/elasticloadbalancing/aws4_request", "X-Amz-Date": stamp})
	assert.Equal(t, 400, code)
	assert.Contains(t, body, "<ErrorResponse")
	assert.Contains(t, body, "<Type>Sender</Type><Code>IncompleteSignature</Code><Message>Authorization header requires &#39;Signature&#39; parameter.")

	code, body = raw(t, e, ec2Form, map[string]string{"Authorization": strings.Replace(good, date, "19990101", 1), "X-Amz-Date": stamp})
	assert.Equal(t, 403, code)
	assert.Contains(t, body, "Date in Credential scope does not match")

	code, body = raw(t, e, ec2Form, map[string]string{"Authorization": strings.Replace(good, "content-type;host;", "content-type;", 1), "X-Amz-Date": stamp})
	assert.Equal(t, 403, code)
	assert.Contains(t, body, "must be a &#39;SignedHeader&#39;")

	code, body = raw(t, e, ec2Form, map[string]string{"Authorization": "AWS4-HMAC-SHA1 Credential=x", "X-Amz-Date": stamp})
	assert.Equal(t, 400, code)
	assert.Contains(t, body, "IncompleteSignature")

	code, body = raw(t, e, url.Values{"Action": {"Nope"}, "Version": {"2016-11-15"}}.Encode(), map[string]string{"Authorization": good, "X-Amz-Date": stamp})
	assert.Equal(t, 400, code)
	assert.Contains(t, body, "<Code>InvalidAction</Code>")
}
