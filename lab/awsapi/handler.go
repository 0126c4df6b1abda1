package awsapi

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"

	"github.com/vlab-sim/vlab/lab"
)

// Options tunes a handler.
type Options struct {
	// Log, when set, receives one line for every call that changed
	// something (or tried to and failed): action, resource, result.
	Log func(line string)
}

// Handler serves the lab's EC2 and Elastic Load Balancing APIs.
func Handler(l *lab.Lab) http.Handler { return NewHandler(l, Options{}) }

// NewHandler is Handler with options.
func NewHandler(l *lab.Lab, o Options) http.Handler { return &server{l: l, o: o} }

type server struct {
	l *lab.Lab
	o Options
	// mu serializes the operations: those that add or remove a part
	// (CreateTargetGroup…) change the lab's lists others read.
	mu sync.Mutex
}

// maxBody bounds a request's form: the largest AWS Query request is far
// smaller.
const maxBody = 1 << 20

// call is one request being answered.
type call struct {
	s       *server
	action  string
	params  url.Values
	id      string // the request id
	service string
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{s: s, id: newRequestID()}
	params, err := readParams(r)
	if err != nil {
		c.service = serviceEC2
		if r.URL.Query().Get("Version") == elbVersion {
			c.service = serviceELB
		}
		if errors.Is(err, errTooLarge) {
			c.fail(w, errorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request too large: the request body exceeds %d bytes", maxBody))
			return
		}
		c.fail(w, errorf(http.StatusBadRequest, "MalformedQueryString", "%v", err))
		return
	}
	c.params = params
	c.action = params.Get("Action")
	// The service answers errors in its own protocol even before the
	// scope names it: guess it from Version.
	c.service = serviceEC2
	if params.Get("Version") == elbVersion {
		c.service = serviceELB
	}
	if aerr := checkLocal(r, c.service); aerr != nil {
		c.fail(w, aerr)
		return
	}
	service, aerr := checkSigV4(r, params, s.l.Net.Region())
	if aerr != nil {
		c.fail(w, aerr)
		return
	}
	c.service = service
	var h func(*call) (any, *apiError)
	switch service {
	case serviceEC2:
		h = ec2Actions[c.action]
	case serviceELB:
		h = elbActions[c.action]
	}
	if c.action == "" {
		c.fail(w, errorf(http.StatusBadRequest, "MissingAction", "The request must contain the parameter Action"))
		return
	}
	if h == nil {
		// EC2 API Reference, "Common client error codes": InvalidAction.
		c.fail(w, errorf(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for this web service.", c.action))
		return
	}
	if service == serviceEC2 && c.params.Get("DryRun") == "true" && !checksDryRun[c.action] {
		c.fail(w, errDryRun)
		return
	}
	s.mu.Lock()
	v, aerr := h(c)
	s.mu.Unlock()
	if aerr != nil {
		c.fail(w, aerr)
		return
	}
	c.respond(w, v)
}

// readParams returns the query string's parameters and, for a
// form-encoded POST, the body's.
func readParams(r *http.Request) (url.Values, error) {
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			return nil, err
		}
		if len(body) > maxBody {
			return nil, errTooLarge
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("the request body is not form-encoded: %v", err)
		}
		for k, vs := range form {
			params[k] = append(params[k], vs...)
		}
	}
	return params, nil
}

// errTooLarge refuses a body over maxBody rather than parse a cut one.
var errTooLarge = errors.New("request body too large")

// errDryRun answers an EC2 request with DryRun=true that would have
// succeeded (EC2 API Reference, "Error codes": DryRunOperation, HTTP 412).
var errDryRun = errorf(http.StatusPreconditionFailed, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")

// checkLocal refuses what a browser could send the API: a request naming a
// host other than loopback (DNS rebinding) or carrying an Origin header (a
// page's cross-origin request). The SDKs and the AWS CLI send neither.
func checkLocal(r *http.Request, service string) *apiError {
	deny := func(format string, args ...any) *apiError {
		code := "UnauthorizedOperation" // EC2 API Reference, "Common client error codes"
		if service == serviceELB {
			code = "AccessDenied"
		}
		return errorf(http.StatusForbidden, code, format, args...)
	}
	if o := r.Header.Get("Origin"); o != "" {
		return deny("vlab refuses requests with an Origin header (%q): the API serves local clients such as the AWS CLI and SDKs, not web pages", o)
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil && a.IsLoopback() && a.Zone() == "" {
		return nil
	}
	return deny("vlab refuses requests for host %q: point the client at 127.0.0.1, [::1] or localhost", r.Host)
}

// newRequestID returns a request id in AWS's form (a UUID).
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// apiError is an error as the service answers it.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func badRequest(code, format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, code, format, args...)
}

func (c *call) respond(w http.ResponseWriter, v any) {
	var body []byte
	var err error
	if c.service == serviceELB {
		body, err = elbResponse(c.action, c.id, v)
	} else {
		body, err = ec2Response(c.action, c.id, v)
	}
	if err != nil {
		c.fail(w, errorf(http.StatusInternalServerError, "InternalError", "%v", err))
		return
	}
	c.write(w, http.StatusOK, body)
}

func (c *call) fail(w http.ResponseWriter, e *apiError) {
	var body []byte
	if c.service == serviceELB {
		body = elbError(c.id, e)
	} else {
		body = ec2Error(c.id, e)
	}
	c.write(w, e.status, body)
}

func (c *call) write(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("x-amzn-RequestId", c.id)
	w.WriteHeader(status)
	w.Write(body)
}

// logChange reports a call that changed something, or failed to.
func (c *call) logChange(resource string, err error) {
	if c.s.o.Log == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = err.Error()
	}
	c.s.o.Log(fmt.Sprintf("%s %s: %s", c.action, resource, strings.TrimSpace(result)))
}
