package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/reference"
	"github.com/vlab-sim/vlab/lab/topology"
	"github.com/vlab-sim/vlab/nlb"
	"github.com/vlab-sim/vlab/vnet/flowlog"
)

// labFlags are the flags of every command that builds a lab.
type labFlags struct {
	seed           uint64
	ephemeral      bool
	zones          string
	targets        int
	noSGNLBRule    bool
	noSGClientRule bool
	nlbSG          bool
	pcap           string
	flowLogs       string
	natGateway     bool
	targetType     string
	preserveCIP    string
	proxyProtocol  bool
	image          string
	crossZone      bool
	attrs          []string
	file           string
	lb             string
	target         string
	// readOnly: the command only reads a lab (describe, explain, health,
	// flowlogs): it creates no key and opens no topology LogDestination;
	// only the files its own flags name (--pcap, --flow-logs) are written.
	readOnly bool

	cmd *cobra.Command
}

// complete offers, for shell completion, the names list finds in the lab
// the flags describe (--file's, or the reference scenario's).
func (f *labFlags) complete(list func(*topology.Topology) []string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var t *topology.Topology
		var err error
		if f.file != "" {
			t, err = readTopology(f.file)
		} else {
			r := reference.Default()
			r.Targets = f.targets
			t, err = r.Topology()
		}
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return list(t), cobra.ShellCompDirectiveNoFileComp
	}
}

// scenarioFlags are the switches of the reference scenario, which a
// topology file replaces.
var scenarioFlags = []string{"zones", "targets", "no-sg-nlb-rule", "no-sg-client-rule", "nlb-security-group", "target-type", "preserve-client-ip", "proxy-protocol", "image", "cross-zone", "attr", "nat-gateway"}

func (f *labFlags) register(cmd *cobra.Command) {
	f.cmd = cmd
	fl := cmd.Flags()
	fl.StringVar(&f.file, "file", "", "build the lab FILE describes (a topology YAML file; see examples/) instead of the reference scenario")
	fl.StringVar(&f.lb, "lb", "", "the load balancer to connect through, by name, when the lab has several (the first by default)")
	fl.StringVar(&f.target, "target", "", "the instance to reach, by name (ec2, ec2-2… or the file's names): sessions reconnect until the NLB sends them there, and --host ec2 observes it")
	fl.Uint64Var(&f.seed, "seed", 1, "seed for the lab's resource ids (eni-…, i-…): the same seed prints the same ids")
	fl.BoolVar(&f.ephemeral, "ephemeral", false, "keep no keys: generate the host and client keys for this run only")
	fl.StringVar(&f.zones, "zones", "1a", "zones the NLB is enabled in, comma-separated (1a, 1c)")
	fl.IntVar(&f.targets, "targets", 1, "instances registered behind the NLB, spread over the zones")
	fl.BoolVar(&f.noSGNLBRule, "no-sg-nlb-rule", false, "leave out the instances' security-group rule for the NLB nodes' private addresses (health checks fail)")
	fl.BoolVar(&f.noSGClientRule, "no-sg-client-rule", false, "leave out the instances' security-group rule for the client's address (sessions cannot open)")
	fl.BoolVar(&f.nlbSG, "nlb-security-group", false, "give the NLB a security group and let the instances' rule reference it instead of addresses")
	fl.StringVar(&f.targetType, "target-type", "instance", "the target group's target type: instance, or ip (targets registered by address)")
	fl.StringVar(&f.preserveCIP, "preserve-client-ip", "", "preserve_client_ip.enabled: true or false (AWS's default: true for instance, false for ip targets)")
	fl.BoolVar(&f.proxyProtocol, "proxy-protocol", false, "proxy_protocol_v2.enabled on the target group; the instances' SSH servers unwrap the header")
	fl.StringVar(&f.image, "image", "al2", "the instances' AMI: al2 (Amazon Linux 2, the seed's: tcpdump 4.9, OpenSSH 7.4) or al2023 (Amazon Linux 2023: tcpdump 4.99, OpenSSH 8.7)")
	fl.BoolVar(&f.crossZone, "cross-zone", false, "turn on the NLB's cross-zone load balancing (load_balancing.cross_zone.enabled; off by default for an NLB)")
	fl.StringArrayVar(&f.attrs, "attr", nil, "set a target-group, listener or load-balancer attribute by its AWS key: --attr deregistration_delay.timeout_seconds=60 (repeatable)")
	fl.BoolVar(&f.natGateway, "nat-gateway", false, "add a NAT gateway (10.0.0.50, public 198.51.100.30) and a 0.0.0.0/0 route to it in the private route table, so the instance reaches the internet")
	fl.StringVar(&f.flowLogs, "flow-logs", "", "write every VPC interface's flow-log records to FILE (a header line of field names, then a line a record, as windows close and when the lab closes)")
	fl.StringVar(&f.pcap, "pcap", "", "write every interface's packets to DIR/<host>-<eni-id>.pcap (tcpdump -r, tshark -r and Wireshark read them)")
	cmd.MarkFlagFilename("file", "yaml", "yml")
	cmd.RegisterFlagCompletionFunc("lb", f.complete(func(t *topology.Topology) (names []string) {
		for _, lb := range t.LoadBalancers {
			names = append(names, lb.Name)
		}
		return names
	}))
	cmd.RegisterFlagCompletionFunc("target", f.complete(func(t *topology.Topology) (names []string) {
		for _, v := range t.Vpcs {
			for _, in := range v.Instances {
				names = append(names, in.Name)
			}
		}
		return names
	}))
}

// config turns the flags into a lab config, loading persistent keys unless
// --ephemeral.
func (f *labFlags) config() (lab.Config, error) {
	c := lab.Default()
	c.Seed = f.seed
	c.LoadBalancer, c.Target = f.lb, f.target
	c.PcapDir = f.pcap
	c.ReadOnly = f.readOnly
	if f.file != "" {
		return f.fileConfig(c)
	}
	r := reference.Default()
	r.Zones = strings.Split(f.zones, ",")
	r.Targets = f.targets
	r.NoSGNLBRule, r.NoSGClientRule, r.NLBSecurityGroup = f.noSGNLBRule, f.noSGClientRule, f.nlbSG
	r.NATGateway = f.natGateway
	r.TargetType, r.ProxyProtocol = f.targetType, f.proxyProtocol
	if f.image != "al2" && f.image != "al2023" {
		return c, &usageError{fmt.Errorf("--image %q: the images are al2 and al2023", f.image)}
	}
	r.Image = f.image
	r.TargetGroupAttributes, r.ListenerAttributes, r.LoadBalancerAttributes = map[string]string{}, map[string]string{}, map[string]string{}
	if f.crossZone {
		r.LoadBalancerAttributes[nlb.AttrCrossZone] = "true"
	}
	for _, a := range f.attrs {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return c, &usageError{fmt.Errorf("--attr %q: want key=value", a)}
		}
		switch {
		case k == nlb.AttrIdleTimeout:
			r.ListenerAttributes[k] = v
		case k == nlb.AttrCrossZone && !strings.Contains(v, "use_load"):
			// The load balancer's; the group's override takes
			// use_load_balancer_configuration too.
			r.LoadBalancerAttributes[k] = v
		default:
			r.TargetGroupAttributes[k] = v
		}
	}
	if f.preserveCIP != "" {
		b, err := strconv.ParseBool(f.preserveCIP)
		if err != nil {
			return c, &usageError{fmt.Errorf("--preserve-client-ip %q: want true or false", f.preserveCIP)}
		}
		r.PreserveClientIP = &b
	}
	c.Topology = r
	if f.targets < 1 {
		return c, &usageError{fmt.Errorf("--targets %d: at least one target is needed", f.targets)}
	}
	return f.keys(c)
}

// fileConfig reads the topology of --file into c.
func (f *labFlags) fileConfig(c lab.Config) (lab.Config, error) {
	for _, name := range scenarioFlags {
		if f.cmd != nil && f.cmd.Flags().Changed(name) {
			return c, &usageError{fmt.Errorf("--%s cannot be used with --file: the file describes the whole lab (edit it instead)", name)}
		}
	}
	t, err := readTopology(f.file)
	if err != nil {
		return c, err
	}
	c.Topology = t
	if f.cmd == nil || !f.cmd.Flags().Changed("seed") {
		c.Seed = 0 // the file's Seed
	}
	return f.keys(c)
}

// keys loads the persistent keys into c unless --ephemeral, and keeps lab
// time frozen: one-shot commands move it themselves; the long-running
// ones set it running.
func (f *labFlags) keys(c lab.Config) (lab.Config, error) {
	c.ManualClock = true
	if f.ephemeral {
		return c, nil
	}
	ks, err := DefaultKeyStore()
	if err != nil {
		return c, err
	}
	if f.readOnly && !ks.Exists() {
		return c, nil // keys made for this run only: a read creates no file
	}
	if c.HostKey, err = ks.HostKey(); err != nil {
		return c, err
	}
	if c.ClientKey, err = ks.ClientKey(); err != nil {
		return c, err
	}
	return c, nil
}

// build builds the lab the flags describe, for a one-shot command.
func (f *labFlags) build() (*lab.Lab, error) {
	c, err := f.config()
	if err != nil {
		return nil, err
	}
	return f.buildFrom(c)
}

// buildFrom builds the lab of c, with --flow-logs FILE when given; the
// file is closed with the lab.
func (f *labFlags) buildFrom(c lab.Config) (*lab.Lab, error) {
	if f.flowLogs != "" && c.FlowLogs == nil {
		file, header, err := openFlowLogFile(f.flowLogs)
		if err != nil {
			return nil, err
		}
		c.FlowLogs = &flowlog.Config{File: file, SkipHeader: header}
		l, err := newLab(c)
		if err != nil {
			file.Close()
			return nil, err
		}
		l.AtClose(func() { file.Close() })
		return l, nil
	}
	return newLab(c)
}

// progressAfter is how long a lab may take to build before vlab says on
// stderr what it is doing; VLAB_PROGRESS_AFTER (a duration, 0 for always)
// overrides it.
const progressAfter = 300 * time.Millisecond

// newLab builds the lab of c, reporting progress on stderr when that takes
// noticeable time (many targets, a slow machine); quick builds print
// nothing.
func newLab(c lab.Config) (*lab.Lab, error) {
	after := progressAfter
	if d, err := time.ParseDuration(os.Getenv("VLAB_PROGRESS_AFTER")); err == nil {
		after = d
	}
	var (
		mu    sync.Mutex
		last  string
		shown = after <= 0
	)
	start := time.Now()
	timer := time.AfterFunc(max(after, 0), func() {
		mu.Lock()
		defer mu.Unlock()
		if !shown && last != "" {
			fmt.Fprintf(os.Stderr, "vlab: %s\n", last)
		}
		shown = true
	})
	c.Progress = func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		if shown && msg != last {
			fmt.Fprintf(os.Stderr, "vlab: %s (%s)\n", msg, time.Since(start).Round(time.Millisecond))
		}
		last = msg
	}
	l, err := lab.New(c)
	timer.Stop()
	return l, err
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "vlab",
		Short: "An in-process virtual AWS network: SSH through a Network Load Balancer, no cloud account",
		Long: `vlab builds, inside one process, the reference AWS experiment: a PC on the
internet (203.0.113.10), an internet-facing Network Load Balancer (public
198.51.100.10, listener TCP 51512) and an EC2 instance in a private subnet
(10.0.128.108, SSH on 22) whose route table has no way to the internet.
Every machine runs its own TCP/IP stack (gVisor); a Go switch plays the VPC.
The NLB forwards at layer 4 and keeps the client's address, so the instance
sees 203.0.113.10 as its peer, and carries the replies back itself.

Your own VPCs, load balancers and instances come from a YAML file (--file;
see examples/ and vlab validate --help).

Nothing touches your network: the only sockets vlab opens on this machine are
the loopback ports you ask for with 'vlab up --listen'.`,
		Example: `  vlab ssh                          a shell on the instance, through the NLB
  vlab ssh -- 'echo $SSH_CLIENT'    the instance sees the client's own address
  vlab ssh -- ss -tn                its sockets: peer 203.0.113.10, port 22
  vlab up --listen 127.0.0.1:2222   then: ssh -p 2222 ec2-user@127.0.0.1
  vlab health                       the target group's targets and their health
  vlab health --no-sg-nlb-rule      without the rule for the NLB's address: unhealthy
  vlab describe --drops             the lab's resources, and what the seed session dropped
  vlab tcpdump -n port 22           the instance's capture of an SSH session through the NLB
  vlab flowlogs --host ec2          the instance's VPC Flow Logs records of that session
  vlab explain                      the session's way, hop by hop, and what admitted it
  vlab validate examples/*.yaml     check topology files: FILE:LINE:COL: field: message
  vlab ssh --file examples/two-targets.yaml --target ec2-2 -- hostname
                                    your own lab, from a file, on the instance you name`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(newSSH(), newUp(), newHealth(), newDescribe(), newTcpdump(), newFlowlogs(), newExplain(), newValidate(), newVersion())
	strictCompletion(root)
	// Unknown commands and bad arguments are usage errors.
	for _, c := range root.Commands() {
		c.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{err} })
	}
	root.Args = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return &usageError{fmt.Errorf("unknown command %q", args[0])}
		}
		return nil
	}
	root.RunE = func(c *cobra.Command, args []string) error { return c.Help() }
	return root
}
