package lab_test

// The README's embedding section, compiled and run: README_test checks that
// the README shows exactly these functions.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/vnet"
)

var myHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, r.RemoteAddr) })

func TestMyService(t *testing.T) {
	l := labtest.New(t, lab.Default()) // the reference scenario, closed by t.Cleanup
	ctx := context.Background()

	ln, _ := l.Target.Listen("tcp", ":8080") // any net.Listener server on the instance
	go http.Serve(ln, myHandler)
	addr, err := l.Expose(ctx, "ec2", 8080) // behind the NLB, health checks passed
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{DialContext: l.Client.Dial}}
	resp, err := hc.Get("http://" + addr.String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(body), "203.0.113.10:") {
		t.Errorf("the server saw %s, not the client", body) // client IP preservation
	}

	res, err := l.Run(ctx, "echo $SSH_CLIENT") // real SSH; a non-zero exit is an *ssh.ExitError
	if err != nil || !strings.HasPrefix(res.Stdout, "203.0.113.10 ") {
		t.Errorf("%v: %s", err, res)
	}
	_, err = l.Client.Dial(ctx, "tcp", "198.51.100.10:51512")
	var de *vnet.DropError // a dial or session the fabric drops fails at once, saying why:
	if errors.As(err, &de) {
		t.Log(de.Event.Resource, de.Event.Rule) // sg-… (ssh-target), no inbound rule allows…
	}
	t.Log(l.Net.Drops()) // every drop, counted by place and reason
}

func TestUnhealthyAfterTwoChecks(t *testing.T) {
	c := lab.Default()
	c.ManualClock = true // lab time moves only when the test says so
	l := labtest.New(t, c)
	// Without the node's rule, lab time runs through AWS's defaults (two
	// failed checks 30 s apart) in microseconds of wall time.
	if err := l.TargetSecurityGroup.RevokeIngress(l.TargetSecurityGroup.Inbound()[0]); err != nil {
		t.Fatal(err)
	}
	l.Clock().Advance(90 * time.Second)
	if h := l.TargetGroup.Health()[0]; h.State != "unhealthy" {
		t.Errorf("after two failed checks: %v", h) // i-…:22 in ap-northeast-1a: unhealthy (Target.FailedHealthChecks…)
	}
}

// The README's snippet is this file's, to the byte: it compiles and runs.
func TestREADMEEmbeddingSnippetIsThisFile(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	const head = "## Embedding in Go tests\n\n```go\n"
	i := strings.Index(string(readme), head)
	if i < 0 {
		t.Fatal("README: no embedding section")
	}
	snippet := string(readme[i+len(head):])
	snippet = snippet[:strings.Index(snippet, "```\n")]
	if !strings.Contains(string(self), snippet) {
		t.Errorf("README's embedding snippet differs from lab/readme_test.go's functions:\n%s", snippet)
	}
}
