package lab_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/vlab-sim/vlab/lab"
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

// Any Go server runs on the instance; behind the NLB it sees the client's
// own address (client IP preservation).
func Example_httpServer() {
	l, _ := lab.New(lab.Default())
	defer l.Close()
	l.TargetSecurityGroup.AuthorizeIngress(openPort(8080))
	ln, _ := l.Target.Listen("tcp", ":8080")
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		fmt.Fprintf(w, "hello %s", host)
	}))
	l.NLB.AddListener(listener(l, 80, 8080))

	client := &http.Client{Transport: &http.Transport{DialContext: l.Client.Dial}}
	resp, err := client.Get("http://198.51.100.10/")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(b))
	// Output: hello 203.0.113.10
}

// Lab time moves only when the test says so: AWS's defaults (30 s
// intervals, unhealthy after 2 failures) play out in microseconds.
func Example_clock() {
	c := lab.Default()
	c.ManualClock = true
	c.NoSGNLBRule = true // health checks from 10.0.10.25 are dropped
	l, _ := lab.New(c)
	defer l.Close()
	h := l.TargetGroup.Health()[0]
	fmt.Println(h.State, h.Reason, l.Clock().Now().Format(time.TimeOnly))
	// Output: unhealthy Target.FailedHealthChecks 03:21:00
}
