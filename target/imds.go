package target

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/netstack"
	"github.com/vlab-sim/vlab/vnet/packet"
)

// IMDSAddr is the instance metadata service's address.
var IMDSAddr = netip.MustParseAddr("169.254.169.254")

// MetadataOptions are EC2's instance metadata options.
type MetadataOptions struct {
	// HttpTokens is "required" (IMDSv2 only) or "optional" (IMDSv1 too);
	// empty takes the image's: required on Amazon Linux 2023, optional on
	// Amazon Linux 2, as their AMIs are marked.
	HttpTokens string
	// HttpPutResponseHopLimit is the token response's hop limit, 1-64; 0
	// takes the image's: 2 on Amazon Linux 2023, 1 on Amazon Linux 2. In
	// the lab it is the IP TTL of the metadata service's answers.
	HttpPutResponseHopLimit int
}

// Check reports a setting out of EC2's ranges, naming it.
func (o MetadataOptions) Check() error {
	switch o.HttpTokens {
	case "", "required", "optional":
	default:
		return fmt.Errorf("MetadataOptions.HttpTokens %q: want required or optional", o.HttpTokens)
	}
	if o.HttpPutResponseHopLimit != 0 && (o.HttpPutResponseHopLimit < 1 || o.HttpPutResponseHopLimit > 64) {
		return fmt.Errorf("MetadataOptions.HttpPutResponseHopLimit %d: want 1-64", o.HttpPutResponseHopLimit)
	}
	return nil
}

// imds is one instance's metadata service: a stack of its own at
// 169.254.169.254 wired to the instance's interface alone, serving EC2's
// metadata over HTTP, IMDSv2 tokens on the lab clock.
type imds struct {
	in       *Instance
	st       *netstack.Stack
	link     *netstack.Link
	srv      *http.Server
	ln       net.Listener
	required bool
	hopLimit uint8
	done     chan struct{}

	// life guards starting the stack (up) against close; st, link, ln
	// and srv are set once, by up.
	life   sync.Mutex
	closed bool

	mu     sync.Mutex
	tokens map[string]time.Time // token -> expiry on the lab clock
}

// startIMDS gives the instance its metadata service.
func (in *Instance) startIMDS(o MetadataOptions) error {
	required := in.image.IMDSv2Only
	switch o.HttpTokens {
	case "required":
		required = true
	case "optional":
		required = false
	}
	hop := 1
	if in.image.IMDSv2Only {
		hop = 2
	}
	if o.HttpPutResponseHopLimit != 0 {
		hop = o.HttpPutResponseHopLimit
	}
	m := &imds{in: in, required: required, hopLimit: uint8(hop), tokens: map[string]time.Time{}, done: make(chan struct{})}
	in.eni.SetLinkLocal(m)
	in.imds = m
	return nil
}

// up starts the service's stack and HTTP server on the first packet for
// it: most labs never ask, and a lab's start-up need not pay a stack per
// instance. It reports whether the service runs.
func (m *imds) up() bool {
	m.life.Lock()
	defer m.life.Unlock()
	if m.closed {
		return false
	}
	if m.st != nil {
		return true
	}
	st := netstack.New()
	nic, err := st.AddInterface("imds", netip.PrefixFrom(IMDSAddr, 16), netip.MustParseAddr("169.254.0.1"), imdsSink{m})
	if err != nil {
		st.Close()
		return false
	}
	ln, err := st.ListenTCP(netip.AddrPortFrom(IMDSAddr, 80))
	if err != nil {
		st.Close()
		return false
	}
	m.st, m.link, m.ln = st, nic.Link, ln
	m.srv = &http.Server{Handler: m, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(m.done)
		m.srv.Serve(ln)
	}()
	return true
}

func (m *imds) close() {
	m.in.eni.SetLinkLocal(nil)
	m.life.Lock()
	m.closed = true
	started := m.st != nil
	m.life.Unlock()
	if !started {
		return
	}
	m.srv.Close()
	<-m.done
	m.st.Close()
}

// Owns implements vnet.LinkLocalService.
func (m *imds) Owns(dst netip.Addr) bool { return dst == IMDSAddr }

// Deliver implements vnet.LinkLocalService: the instance's packet goes
// to the service's own stack.
func (m *imds) Deliver(p *packet.Packet) {
	if !m.up() || !m.link.Deliver(p) {
		p.Release()
	}
}

// imdsSink takes the service's answers back to the instance's interface,
// with the hop limit as their TTL.
type imdsSink struct{ m *imds }

func (s imdsSink) Send(p *packet.Packet) {
	p.SetTTL(s.m.hopLimit)
	s.m.in.eni.DeliverLinkLocal(p)
}

func (imdsSink) Malformed() {}

var _ vnet.LinkLocalService = (*imds)(nil)

// ServeHTTP answers as EC2's metadata service does.
func (m *imds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "EC2ws")
	if r.URL.Path == "/latest/api/token" {
		m.token(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		imdsError(w, http.StatusMethodNotAllowed)
		return
	}
	if tok := r.Header.Get("X-aws-ec2-metadata-token"); tok != "" {
		if !m.valid(tok) {
			imdsError(w, http.StatusUnauthorized)
			return
		}
	} else if m.required {
		imdsError(w, http.StatusUnauthorized)
		return
	}
	body, ok := m.lookup(r.URL.Path)
	if !ok {
		imdsError(w, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprint(w, body)
}

// token issues an IMDSv2 session token (EC2 User Guide, "Use IMDSv2"):
// PUT with a TTL of 1-21600 seconds; a request forwarded by a proxy (with
// X-Forwarded-For) is refused.
func (m *imds) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut {
		imdsError(w, http.StatusMethodNotAllowed)
		return
	}
	if r.Header.Get("X-Forwarded-For") != "" {
		imdsError(w, http.StatusForbidden)
		return
	}
	ttl, err := strconv.Atoi(r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds"))
	if err != nil || ttl < 1 || ttl > 21600 {
		imdsError(w, http.StatusBadRequest)
		return
	}
	tok := m.issue(time.Duration(ttl) * time.Second)
	w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", strconv.Itoa(ttl))
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprint(w, tok)
}

// maxIMDSTokens bounds the live tokens kept: a loop of PUTs (every
// curl of a script asks for one) must not grow the map without end.
const maxIMDSTokens = 1024

// issue makes a token valid for ttl. Expired tokens are swept here, as
// valid drops only those presented; past maxIMDSTokens the one expiring
// soonest goes, as if it had expired.
func (m *imds) issue(ttl time.Duration) string {
	b := make([]byte, 42)
	rand.Read(b)
	tok := base64.StdEncoding.EncodeToString(b)
	now := m.in.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for t, exp := range m.tokens {
		if !now.Before(exp) {
			delete(m.tokens, t)
		}
	}
	for len(m.tokens) >= maxIMDSTokens {
		var soonest string
		for t, exp := range m.tokens {
			if soonest == "" || exp.Before(m.tokens[soonest]) {
				soonest = t
			}
		}
		delete(m.tokens, soonest)
	}
	m.tokens[tok] = now.Add(ttl)
	return tok
}

func (m *imds) valid(tok string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	exp, ok := m.tokens[tok]
	if ok && !m.in.now().Before(exp) {
		delete(m.tokens, tok)
		return false
	}
	return ok
}

// imdsError answers with EC2's HTML error page.
func imdsError(w http.ResponseWriter, code int) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(code)
	text := fmt.Sprintf("%d - %s", code, http.StatusText(code))
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n\t\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n <head>\n  <title>%s</title>\n </head>\n <body>\n  <h1>%s</h1>\n </body>\n</html>\n", text, text)
}

// lookup finds path in the metadata tree: a leaf's value, or a
// directory's listing (names, directories with a trailing slash).
func (m *imds) lookup(path string) (string, bool) {
	tree := m.tree()
	path = strings.TrimPrefix(path, "/")
	if path == "" {
		return "latest", true
	}
	key := strings.TrimSuffix(path, "/")
	if v, ok := tree[key]; ok && !strings.HasSuffix(path, "/") {
		return v, true
	}
	// A directory: the names one level below it.
	seen := map[string]bool{}
	prefix := key + "/"
	for k := range tree {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			name, _, deeper := strings.Cut(rest, "/")
			if deeper {
				name += "/"
			}
			seen[name] = true
		}
	}
	if len(seen) == 0 {
		return "", false
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, "\n"), true
}

// tree is the instance's metadata by path (EC2 User Guide, "Instance
// metadata categories").
func (m *imds) tree() map[string]string {
	in := m.in
	e := in.eni
	mac := macOf(e.ID())
	sub := e.Subnet()
	region := in.host.Network().Region()
	var sgIDs, sgNames []string
	for _, g := range e.SecurityGroups() {
		sgIDs, sgNames = append(sgIDs, g.ID()), append(sgNames, g.Name())
	}
	fqdn := in.hostname + "." + in.domain()
	base := "latest/meta-data/"
	nic := base + "network/interfaces/macs/" + mac + "/"
	t := map[string]string{
		base + "ami-id":                             in.image.AMI,
		base + "ami-launch-index":                   "0",
		base + "hostname":                           fqdn,
		base + "instance-id":                        in.id,
		base + "instance-type":                      "t3.micro",
		base + "local-hostname":                     fqdn,
		base + "local-ipv4":                         e.PrivateAddr().String(),
		base + "mac":                                mac,
		base + "placement/availability-zone":        sub.Zone(),
		base + "placement/region":                   region,
		base + "security-groups":                    strings.Join(sgNames, "\n"),
		base + "services/domain":                    "amazonaws.com",
		nic + "device-number":                       "0",
		nic + "interface-id":                        e.ID(),
		nic + "local-hostname":                      fqdn,
		nic + "local-ipv4s":                         e.PrivateAddr().String(),
		nic + "mac":                                 mac,
		nic + "owner-id":                            in.host.Network().AccountID(),
		nic + "security-group-ids":                  strings.Join(sgIDs, "\n"),
		nic + "security-groups":                     strings.Join(sgNames, "\n"),
		nic + "subnet-id":                           sub.ID(),
		nic + "subnet-ipv4-cidr-block":              sub.CIDR().String(),
		nic + "vpc-id":                              sub.VPC().ID(),
		nic + "vpc-ipv4-cidr-block":                 sub.VPC().CIDR().String(),
		"latest/dynamic/instance-identity/document": m.identity(region),
	}
	if pub, ok := e.PublicAddr(); ok {
		t[base+"public-ipv4"] = pub.String()
		t[nic+"public-ipv4s"] = pub.String()
	}
	return t
}

// identity is the instance identity document.
func (m *imds) identity(region string) string {
	in := m.in
	doc := map[string]any{
		"accountId":               in.host.Network().AccountID(),
		"architecture":            "x86_64",
		"availabilityZone":        in.eni.Subnet().Zone(),
		"billingProducts":         nil,
		"devpayProductCodes":      nil,
		"marketplaceProductCodes": nil,
		"imageId":                 in.image.AMI,
		"instanceId":              in.id,
		"instanceType":            "t3.micro",
		"kernelId":                nil,
		"pendingTime":             in.bootTime().UTC().Format("2006-01-02T15:04:05Z"),
		"privateIp":               in.eni.PrivateAddr().String(),
		"ramdiskId":               nil,
		"region":                  region,
		"version":                 "2017-09-30",
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return string(b)
}
