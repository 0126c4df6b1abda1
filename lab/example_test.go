package lab_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/reference"
	"github.com/vlab-sim/vlab/lab/topology"
	"github.com/vlab-sim/vlab/target"
	"github.com/vlab-sim/vlab/vnet/flowlog"
)

// The reference scenario in three lines: real SSH from the client, through
// the NLB, to the instance in the private subnet.
func Example() {
	l, _ := lab.New(lab.Default())
	defer l.Close()
	res, _ := l.Run(context.Background(), "hostname; whoami")
	fmt.Print(res.Stdout)
	// Output:
	// ip-10-0-128-108
	// ec2-user
}

// Any Go server runs on the instance; Expose puts its port behind the NLB
// (target group, listener, security-group rules, health checks passed), and
// behind it the server sees the client's own address (client IP
// preservation).
func Example_httpServer() {
	l, _ := lab.New(lab.Default())
	defer l.Close()
	ln, _ := l.Target.Listen("tcp", ":8080")
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		fmt.Fprintf(w, "hello %s", host)
	}))
	addr, err := l.Expose(context.Background(), "ec2", 8080)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(addr)

	client := &http.Client{Transport: &http.Transport{DialContext: l.Client.Dial, DisableKeepAlives: true}}
	resp, err := client.Get("http://" + addr.String() + "/")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(b))
	// Output:
	// 198.51.100.10:8080
	// hello 203.0.113.10
}

// Lab time moves only when the test says so: AWS's defaults (30 s
// intervals, unhealthy after 2 failures) play out in microseconds.
func Example_clock() {
	l, _ := lab.New(lab.Config{
		// The reference scenario without the instances' rule for the NLB
		// node: health checks from 10.0.10.25 are dropped.
		Topology:    reference.Config{NoSGNLBRule: true},
		ManualClock: true,
	})
	defer l.Close()
	h := l.TargetGroup.Health()[0]
	fmt.Println(h.State, h.Reason, l.Clock().Now().Format(time.TimeOnly))
	// Output: unhealthy Target.FailedHealthChecks 03:21:00
}

// A topology of one's own, from YAML (the format of examples/*.yaml): here
// one instance serving HTTP behind an NLB listener on 80. Addresses left
// out are assigned as AWS would: the first free ones.
func Example_topology() {
	top, err := topology.Parse("web.yaml", []byte(`
Vpcs:
  - Name: web
    CidrBlock: 10.1.0.0/16
    InternetGateway: igw
    RouteTables:
      - Name: public
        Routes: [{DestinationCidrBlock: 0.0.0.0/0, GatewayId: igw}]
    Subnets:
      - {Name: public, CidrBlock: 10.1.0.0/24, AvailabilityZone: ap-northeast-1a, RouteTable: public}
      - {Name: app, CidrBlock: 10.1.1.0/24, AvailabilityZone: ap-northeast-1a}
    SecurityGroups:
      - GroupName: app
        SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 8080, ToPort: 8080, CidrIp: 0.0.0.0/0}]
    Instances:
      - {Name: web-1, Subnet: app, SecurityGroups: [app], Services: [{Type: http-echo, Port: 8080}]}
Internet:
  Clients: [{Name: pc, IpAddress: 203.0.113.7/24}]
LoadBalancers:
  - Name: web
    SubnetMappings: [{SubnetId: public}]
    Listeners: [{Port: 80, TargetGroupName: web}]
TargetGroups:
  - {Name: web, Port: 8080, VpcId: web, Targets: [{Id: web-1}]}
`))
	if err != nil {
		fmt.Println(err) // every problem, as web.yaml:LINE:COL: field: message
		return
	}
	l, _ := lab.New(lab.Config{Topology: top})
	defer l.Close()

	client := &http.Client{Transport: &http.Transport{DialContext: l.Client.Dial}}
	resp, err := client.Get("http://" + l.Endpoint().String() + "/")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	who, _, _ := strings.Cut(string(b), ":")
	fmt.Println(l.Endpoint().Addr(), l.Instance("web-1").Addr(), who, strings.Contains(string(b), "hello 203.0.113.7:"))
	// Output: 198.51.100.1 10.1.1.4 web-1 true
}

// What tcpdump on the instance and its VPC Flow Logs show of a session
// through the NLB: the client's own address, on both.
func Example_captureAndFlowLogs() {
	c := lab.Default()
	c.ManualClock = true
	c.FlowLogs = &flowlog.Config{Interval: time.Minute}
	l, _ := lab.New(c)
	defer l.Close()

	ctx := context.Background()
	dump, _ := l.Tcpdump("ec2", "-nn", "host 203.0.113.10")
	l.Run(ctx, "true")
	l.WaitClosed(ctx) // the last ACK is in
	lines := dump.Stop()
	// 03:20:00.000000 IP 203.0.113.10.59773 > 10.0.128.108.22: Flags [S], seq …
	f := strings.Fields(lines[0])
	src := f[2][:strings.LastIndexByte(f[2], '.')] // the client's port varies
	fmt.Println(src, ">", f[4], f[5], f[6])

	l.Clock().Advance(time.Minute) // the aggregation window closes
	for _, r := range l.FlowLog.Records() {
		if r.InterfaceID == l.Target.ENI().ID() && r.Src.String() == "203.0.113.10" {
			fmt.Println(r.Action, r.DstPort)
		}
	}
	// Output:
	// 203.0.113.10 > 10.0.128.108.22: Flags [S],
	// ACCEPT 22
}

// A Go service under test runs as a command of the instance: started over
// SSH like a process, listening on the instance's own stack, reached by
// the client through the NLB, listed by ps and stopped with kill.
func Example_command() {
	l, _ := lab.New(lab.Default())
	defer l.Close()
	listening := make(chan struct{})
	l.Target.Command("myapp", func(ctx context.Context, stdio target.Stdio, args []string) int {
		ln, err := stdio.Listen("tcp", ":8080")
		if err != nil {
			fmt.Fprintln(stdio.Stderr, err)
			return 1
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			fmt.Fprintf(w, "hello %s, from %s's %s", host, stdio.Getenv("USER"), strings.Join(args, " "))
		})}
		go func() { <-ctx.Done(); srv.Close() }()
		close(listening)
		srv.Serve(ln)
		return 0
	})
	ctx := context.Background()
	status := make(chan int)
	go func() {
		res, _ := l.Run(ctx, "myapp --port 8080")
		status <- res.ExitStatus
	}()
	<-listening
	addr, err := l.Expose(ctx, "ec2", 8080)
	if err != nil {
		fmt.Println(err)
		return
	}
	client := &http.Client{Transport: &http.Transport{DialContext: l.Client.Dial, DisableKeepAlives: true}}
	resp, err := client.Get("http://" + addr.String() + "/")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(b))

	res, _ := l.Run(ctx, "ss -tlnp | grep -o 'users:((\"myapp\"'; kill $(ps -ef | grep 'myapp --port' | grep -v grep | tr -s ' ' | cut -d' ' -f2) && echo killed")
	fmt.Print(res.Stdout)
	fmt.Println("myapp's status:", <-status)
	// Output:
	// hello 203.0.113.10, from ec2-user's myapp --port 8080
	// users:(("myapp"
	// killed
	// myapp's status: 143
}
