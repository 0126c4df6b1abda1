package awsapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The services the endpoint answers, by their SigV4 scope names.
const (
	serviceEC2 = "ec2"
	serviceELB = "elasticloadbalancing"
)

const sigV4Algorithm = "AWS4-HMAC-SHA256"

// checkSigV4 checks a request's Signature Version 4 for form and scope
// (IAM User Guide, "Elements of an AWS API request signature"): in the
// Authorization header or the query string, algorithm AWS4-HMAC-SHA256, a
// credential scope of access key, date, region, service and aws4_request
// whose date is X-Amz-Date's and whose region is the lab's, and host among
// the signed headers. The signature's value is not checked: there is no
// secret to check it against. It returns the scope's service.
func checkSigV4(r *http.Request, params url.Values, region string) (string, *apiError) {
	var cred, signed, sig, amzDate string
	auth := r.Header.Get("Authorization")
	switch {
	case auth != "":
		alg, rest, _ := strings.Cut(auth, " ")
		if alg != sigV4Algorithm {
			return "", badRequest("IncompleteSignature", "Unsupported AWS 'algorithm': '%s'.", alg)
		}
		fields := map[string]string{}
		for _, part := range strings.Split(rest, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			k, v, ok := strings.Cut(part, "=")
			if !ok {
				return "", badRequest("IncompleteSignature", "'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", part, auth)
			}
			fields[k] = v
		}
		cred, signed, sig = fields["Credential"], fields["SignedHeaders"], fields["Signature"]
		amzDate = r.Header.Get("X-Amz-Date")
		var missing []string
		for _, p := range []struct{ name, v string }{{"Credential", cred}, {"Signature", sig}, {"SignedHeaders", signed}} {
			if p.v == "" {
				missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", p.name))
			}
		}
		if amzDate == "" && r.Header.Get("Date") == "" {
			missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
		}
		if len(missing) > 0 {
			return "", badRequest("IncompleteSignature", "%s Authorization=%s", strings.Join(missing, " "), auth)
		}
	case params.Get("X-Amz-Algorithm") != "":
		if alg := params.Get("X-Amz-Algorithm"); alg != sigV4Algorithm {
			return "", badRequest("IncompleteSignature", "Unsupported AWS 'algorithm': '%s'.", alg)
		}
		cred, signed, sig, amzDate = params.Get("X-Amz-Credential"), params.Get("X-Amz-SignedHeaders"), params.Get("X-Amz-Signature"), params.Get("X-Amz-Date")
		var missing []string
		for _, p := range []struct{ name, v string }{{"X-Amz-Credential", cred}, {"X-Amz-Signature", sig}, {"X-Amz-SignedHeaders", signed}, {"X-Amz-Date", amzDate}} {
			if p.v == "" {
				missing = append(missing, fmt.Sprintf("AWS query-string parameters must include '%s'.", p.name))
			}
		}
		if len(missing) > 0 {
			return "", badRequest("IncompleteSignature", "%s Re-examine the query-string parameters.", strings.Join(missing, " "))
		}
	default:
		// EC2 API Reference, "Common client error codes":
		// MissingAuthenticationToken.
		return "", errorf(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[0] == "" {
		return "", badRequest("IncompleteSignature", "Credential should have 5 parts separated by '/': access key, date, region, service and aws4_request, not '%s'.", cred)
	}
	date, reg, service, term := scope[1], scope[2], scope[3], scope[4]
	if term != "aws4_request" {
		return "", forbidden("Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", term)
	}
	if amzDate != "" {
		t, err := time.Parse("20060102T150405Z", amzDate)
		if err != nil {
			return "", badRequest("IncompleteSignature", "Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", amzDate)
		}
		if d := t.Format("20060102"); d != date {
			return "", forbidden("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from 'X-Amz-Date'.", date, d)
		}
	}
	if reg != region {
		return "", forbidden("Credential should be scoped to a valid region, not '%s'.", reg)
	}
	if service != serviceEC2 && service != serviceELB {
		return "", forbidden("Credential should be scoped to correct service: 'ec2' or 'elasticloadbalancing', not '%s'.", service)
	}
	host := false
	for _, h := range strings.Split(signed, ";") {
		host = host || strings.EqualFold(h, "host") || h == ":authority"
	}
	if !host {
		return "", forbidden("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return service, nil
}

// forbidden is SignatureDoesNotMatch, as AWS answers a signature whose
// scope is wrong.
func forbidden(format string, args ...any) *apiError {
	return errorf(http.StatusForbidden, "SignatureDoesNotMatch", format, args...)
}
