package target

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	proxyproto "github.com/pires/go-proxyproto"
	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/target/shell"
	"github.com/vlab-sim/vlab/target/vfs"
	"github.com/vlab-sim/vlab/vnet"
)

// DefaultUser is the login user of Amazon Linux AMIs.
const DefaultUser = "ec2-user"

// Config describes an instance.
type Config struct {
	// Subnet and Addr place the instance's primary ENI.
	Subnet *vnet.Subnet
	Addr   netip.Addr
	// Hostname defaults to EC2's resource name from the address
	// (ip-10-0-128-108).
	Hostname string
	// User is the login user (ec2-user).
	User string
	// HostKey is the SSH server's host key (required).
	HostKey ssh.Signer
	// AuthorizedKeys may log in as User.
	AuthorizedKeys []ssh.PublicKey
	// SSHPort is the port the SSH server listens on (22; 0 keeps the default;
	// -1 runs no SSH server).
	SSHPort int
	// SecurityGroups of the primary ENI (none: the VPC's default group).
	SecurityGroups []*vnet.SecurityGroup
	// ProxyProtocol makes the SSH server unwrap a Proxy Protocol v2 header
	// at the start of each connection: the connection's remote address
	// becomes the header's source (the client behind the NLB).
	ProxyProtocol bool
	// MaxStartups and LoginGraceTime bound unauthenticated SSH connections
	// as sshd's options do; zero values take OpenSSH's defaults (10:30:100,
	// 120 s).
	MaxStartups    MaxStartups
	LoginGraceTime time.Duration
	// ConnectionTracking is the primary ENI's idle connection-tracking
	// timeouts (EC2's ConnectionTrackingSpecification; zero fields:
	// AWS's defaults).
	ConnectionTracking vnet.ConnectionTracking
	// Image is the AMI the instance runs: al2 or al2023 (DefaultImage when
	// empty).
	Image string
	// DiskLimit caps the bytes of files the instance holds
	// (vfs.DefaultLimit, 256 MiB, when 0).
	DiskLimit int64
	// MetadataOptions are the instance metadata service's (EC2's
	// MetadataOptions; zero values take the image's).
	MetadataOptions MetadataOptions
}

// Instance is a simulated EC2 instance.
type Instance struct {
	id       string
	host     *vnet.Host
	eni      *vnet.ENI
	hostname string
	user     string
	hostKey  ssh.Signer

	image  Image
	fs     *vfs.FS
	procs  *procs
	booted time.Time
	clock  *vnet.Clock

	mu       sync.RWMutex
	keys     map[string]bool // authorized keys, by wire format
	keyList  []ssh.PublicKey // the same, in the order given
	programs map[string]Program

	ssh     *sshServer
	imds    *imds
	journal *journal
	logins  logins // guarded by procs.mu
	owners  owners // the processes that hold its sockets (ss -p)

	life lifecycle // its state (lifecycle.go); guards ssh and booted after New
}

// ResourceName returns EC2's IP-based hostname for addr: ip-10-0-128-108.
func ResourceName(addr netip.Addr) string {
	return "ip-" + strings.ReplaceAll(addr.String(), ".", "-")
}

// New creates an instance and starts its SSH server.
func New(n *vnet.Network, c Config) (*Instance, error) {
	if c.Subnet == nil {
		return nil, fmt.Errorf("instance: SubnetId is required")
	}
	if c.Hostname == "" {
		c.Hostname = ResourceName(c.Addr)
	}
	if c.User == "" {
		c.User = DefaultUser
	}
	if c.HostKey == nil && c.SSHPort >= 0 {
		return nil, fmt.Errorf("instance %s: HostKey is required for the SSH server", c.Hostname)
	}
	if c.SSHPort == 0 {
		c.SSHPort = 22
	}
	if c.SSHPort > 65535 {
		return nil, fmt.Errorf("instance %s: SSH port %d is out of range", c.Hostname, c.SSHPort)
	}
	image, err := ImageByID(c.Image)
	if err != nil {
		return nil, fmt.Errorf("instance %s: ImageId: %w", c.Hostname, err)
	}
	if err := c.MetadataOptions.Check(); err != nil {
		return nil, fmt.Errorf("instance %s: %w", c.Hostname, err)
	}
	h, err := n.NewHost(c.Hostname)
	if err != nil {
		return nil, fmt.Errorf("instance: %w", err)
	}
	id := n.IDs().Next("i")
	eni, err := h.AttachSubnet(c.Subnet, c.Addr, vnet.ENIOptions{Description: "Primary network interface", SecurityGroups: c.SecurityGroups, InstanceID: id, ConnectionTracking: c.ConnectionTracking})
	if err != nil {
		return nil, fmt.Errorf("instance %s: %w", c.Hostname, err)
	}
	in := &Instance{
		id:       id,
		host:     h,
		eni:      eni,
		hostname: c.Hostname,
		user:     c.User,
		hostKey:  c.HostKey,
		keys:     map[string]bool{},
		image:    image,
		clock:    n.Clock(),
		booted:   n.Clock().Now(),
		life:     lifecycle{state: Running},
	}
	in.procs = newProcs(in.booted)
	in.journal = newJournal()
	in.fs = vfs.New(c.DiskLimit, in.now)
	for _, k := range c.AuthorizedKeys {
		in.Authorize(k)
	}
	if err := in.buildRootFS(); err != nil {
		return nil, fmt.Errorf("instance %s: its filesystem: %w", c.Hostname, err)
	}
	if err := in.addSecureLog(); err != nil {
		return nil, fmt.Errorf("instance %s: its filesystem: %w", c.Hostname, err)
	}

	if c.SSHPort > 0 {
		// SO_REUSEADDR, as sshd's: it binds again at the next boot while
		// this one's connections are in TIME-WAIT.
		ln, err := h.ListenReuseAddr(fmt.Sprintf(":%d", c.SSHPort))
		if err != nil {
			return nil, fmt.Errorf("instance %s: ssh listen: %w", c.Hostname, err)
		}
		if c.ProxyProtocol {
			ln = ProxyProtocolListener(ln)
		}
		limit, grace := c.MaxStartups, c.LoginGraceTime
		if limit == (MaxStartups{}) {
			limit = DefaultMaxStartups
		}
		if err := limit.Check(); err != nil {
			ln.Close()
			return nil, fmt.Errorf("instance %s: %w", c.Hostname, err)
		}
		if grace <= 0 {
			grace = DefaultLoginGraceTime
		}
		in.ssh = newSSHServer(in, ln, limit, grace)
		in.life.sshd = sshdConfig{port: c.SSHPort, proxy: c.ProxyProtocol, limit: limit, grace: grace}
		in.sshdLog(sshdPID, "Server listening on 0.0.0.0 port %d.", c.SSHPort)
		in.sshdLog(sshdPID, "Server listening on :: port %d.", c.SSHPort)
	}
	if err := in.startIMDS(c.MetadataOptions); err != nil {
		in.Close()
		return nil, fmt.Errorf("instance %s: its metadata service: %w", c.Hostname, err)
	}
	return in, nil
}

// ID returns the instance id (i-…).
func (in *Instance) ID() string { return in.id }

// Host returns the instance's vnet host.
func (in *Instance) Host() *vnet.Host { return in.host }

// ENI returns the instance's primary network interface.
func (in *Instance) ENI() *vnet.ENI { return in.eni }

// Addr returns the instance's primary private address.
func (in *Instance) Addr() netip.Addr { return in.eni.PrivateAddr() }

// Hostname returns the instance's host name.
func (in *Instance) Hostname() string { return in.hostname }

// User returns the login user.
func (in *Instance) User() string { return in.user }

// HostKey returns the SSH server's public host key.
func (in *Instance) HostKey() ssh.PublicKey { return in.hostKey.PublicKey() }

// Authorize lets key log in as the instance's user.
func (in *Instance) Authorize(key ssh.PublicKey) {
	in.mu.Lock()
	if !in.keys[string(key.Marshal())] {
		in.keys[string(key.Marshal())] = true
		in.keyList = append(in.keyList, key)
	}
	in.mu.Unlock()
}

// Image returns the image the instance runs.
func (in *Instance) Image() Image { return in.image }

// FS returns the instance's filesystem.
func (in *Instance) FS() *vfs.FS { return in.fs }

func (in *Instance) now() time.Time { return in.clock.Now() }

// domain is the instance's internal DNS domain: ec2.internal in us-east-1,
// REGION.compute.internal elsewhere (VPC User Guide, "DNS attributes").
func (in *Instance) domain() string {
	r := in.host.Network().Region()
	if r == "us-east-1" {
		return "ec2.internal"
	}
	return r + ".compute.internal"
}

// vpcResolver is the Amazon DNS server's address: the VPC's base plus two
// (VPC User Guide, "Amazon DNS server").
func (in *Instance) vpcResolver() netip.Addr {
	b := in.eni.Subnet().VPC().CIDR().Masked().Addr().As4()
	b[3] += 2
	return netip.AddrFrom4(b)
}

func (in *Instance) authorized(key ssh.PublicKey) bool {
	in.mu.RLock()
	defer in.mu.RUnlock()
	return in.keys[string(key.Marshal())]
}

// Listen listens on the instance (":8080" for every address), so any Go
// server can run there.
func (in *Instance) Listen(network, address string) (net.Listener, error) {
	return in.host.Listen(network, address)
}

// ProxyProtocolListener wraps ln so that each accepted connection's
// Proxy Protocol header (v1 or v2, as an NLB sends it) is read and its
// source becomes the connection's RemoteAddr; the local address stays the
// server's own. LOCAL headers (health checks) leave the addresses as they
// are.
func ProxyProtocolListener(ln net.Listener) net.Listener {
	return ppListener{&proxyproto.Listener{Listener: ln, ReadHeaderTimeout: 10 * time.Second}}
}

type ppListener struct{ net.Listener }

func (l ppListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if pc, ok := c.(*proxyproto.Conn); ok {
		return ppConn{pc, pc.Raw().LocalAddr()}, nil
	}
	return c, nil
}

// ppConn keeps the server's own local address: go-proxyproto reports the
// header's destination (the NLB node's), but sshd's $SSH_CLIENT names the
// port the server listens on.
type ppConn struct {
	*proxyproto.Conn
	local net.Addr
}

func (c ppConn) LocalAddr() net.Addr { return c.local }

// ServeSSH serves one SSH connection that arrived by other means than the
// instance's own listener (an in-memory pipe, say) and returns when it ends.
func (in *Instance) ServeSSH(c net.Conn) error {
	srv := in.sshd()
	if srv == nil {
		return fmt.Errorf("instance %s: no SSH server", in.hostname)
	}
	srv.serveConn(c)
	return nil
}

// Close stops the SSH server and its sessions. The host's stack is closed
// with the network.
func (in *Instance) Close() error {
	if srv := in.closeLife(); srv != nil {
		srv.close()
	}
	if in.imds != nil {
		in.imds.close()
	}
	return nil
}

// system adapts the instance to what the shell's commands see.
type system struct{ in *Instance }

func (s system) Hostname() string           { return s.in.hostname }
func (s system) Domain() string             { return s.in.domain() }
func (s system) KernelRelease() string      { return s.in.image.Kernel }
func (s system) Now() time.Time             { return s.in.now() }
func (s system) Booted() time.Time          { return s.in.bootTime() }
func (s system) Processes() []shell.Process { return s.in.procs.list() }
func (s system) Start(p shell.Process, cancel context.CancelFunc) (int, func()) {
	return s.in.procs.start(p, cancel, s.in.now())
}
func (s system) Kill(pid, sig, uid int) error { return s.in.procs.kill(pid, sig, uid, s.in.user) }

func (s system) Sockets() []shell.Socket { return s.in.sockets() }

func (s system) Interfaces() []shell.Interface {
	var out []shell.Interface
	for _, e := range s.in.host.ENIs() {
		out = append(out, shell.Interface{Name: e.Name(), MAC: macOf(e.ID()), MTU: 1500, Addr: e.Prefix()})
	}
	return out
}

func (s system) Routes() []shell.Route {
	var out []shell.Route
	for _, r := range s.in.host.Routes() {
		out = append(out, shell.Route{Dst: r.Dst, Gateway: r.Gateway, Dev: r.Dev, Src: r.Src})
	}
	return out
}

// macOf derives a stable, locally administered MAC from an ENI id, like the
// 06:… addresses EC2 assigns.
func macOf(id string) string {
	h := sha256.Sum256([]byte(id))
	return fmt.Sprintf("06:%02x:%02x:%02x:%02x:%02x", h[0], h[1], h[2], h[3], h[4])
}
