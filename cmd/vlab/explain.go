package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vlab-sim/vlab/lab"
)

func newExplain() *cobra.Command {
	var (
		lf       labFlags
		fromFlag string
		toFlag   string
		output   string
		timeout  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "explain [--from HOST] [--to ADDR:PORT] [--output table|mermaid|json]",
		Short: "Explain a connection's way through the lab, hop by hop, from the fabric's own trace",
		Long: `Build the lab, open a TCP connection (from the client to the NLB's listener
by default), and print the way of its first packet and of the reply, hop by
hop, as the fabric itself recorded them: the source and destination
address:port on each hop, what changed them (the internet gateway's 1:1
mapping, the NLB's rewrite, the NLB's flow table taking the reply before any
route lookup), the route-table entry chosen, and the network-ACL and
security-group rules that admitted the packet, or the drop that stopped it.
Any flow of any topology: --from names the host (an instance, a server, a
client), --to the address:port.

--output mermaid prints a bare sequenceDiagram (fence it in Markdown to
render it on GitHub).`,
		Example: `  vlab explain
  vlab explain --no-sg-client-rule
  vlab explain --nat-gateway --from ec2 --to 192.0.2.80:80
  vlab explain --target-type ip --output mermaid
  vlab explain --file examples/two-nlbs.yaml --lb admin`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFlag(output, "table", "mermaid", "json"); err != nil {
				return err
			}
			if err := checkTimeout(timeout); err != nil {
				return err
			}
			lf.readOnly = true // reads a lab: writes no file it was not asked for
			l, err := lf.build()
			if err != nil {
				return err
			}
			defer l.Close()
			from, to, err := explainEnds(l, fromFlag, toFlag)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			e, err := l.Explain(ctx, from, to)
			cancel()
			if err != nil {
				return err
			}
			switch output {
			case "json":
				return printJSON(e)
			case "mermaid":
				fmt.Print(mermaid(e))
				return nil
			}
			printExplanation(e)
			return nil
		},
	}
	lf.register(cmd)
	cmd.Flags().StringVar(&fromFlag, "from", "", "the host the connection starts from (default: the client for an internet-facing load balancer; for an internal one, the first instance of its VPC that is not the target)")
	cmd.Flags().StringVar(&toFlag, "to", "", "the address:port the connection opens (default: the selected load balancer's listener)")
	cmd.Flags().StringVar(&output, "output", "table", "table, mermaid (a sequenceDiagram) or json")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "how long the session may take")
	return cmd
}

func printExplanation(e lab.Explanation) {
	w := os.Stdout
	if f := e.Flow; f != nil {
		fmt.Fprintf(w, "flow: client %s -> NLB %s (node %s) -> target %s, the target sees %s\n\n", f.Client, f.Frontend, f.Node, f.Backend, f.Source)
	} else {
		fmt.Fprintf(w, "connection: %s -> %s\n\n", e.From, e.To)
	}
	t := newTable(w)
	t.row("#", "HOP", "SOURCE", "DESTINATION", "WHAT CHANGED", "ROUTE", "ADMITTED BY")
	for i, h := range e.Hops {
		ruleText := strings.Join(h.Rules, "; ")
		if h.Dropped != "" {
			ruleText = paint("DROPPED: "+h.Dropped, red)
		}
		t.row(i+1, h.From+" -> "+h.To, h.Src, h.Dst, h.Change, dash(h.Route), dash(ruleText))
	}
	t.flush()
}

func mermaid(e lab.Explanation) string {
	var b strings.Builder
	b.WriteString("sequenceDiagram\n")
	ids := map[string]string{}
	var order []string
	id := func(name string) string {
		if v, ok := ids[name]; ok {
			return v
		}
		v := fmt.Sprintf("P%d", len(ids))
		ids[name] = v
		order = append(order, name)
		return v
	}
	for _, h := range e.Hops {
		id(h.From)
		id(h.To)
	}
	for _, n := range order {
		fmt.Fprintf(&b, "    participant %s as %s\n", ids[n], n)
	}
	for _, h := range e.Hops {
		arrow := "->>"
		if h.Dropped != "" {
			arrow = "-x"
		}
		fmt.Fprintf(&b, "    %s%s%s: %s > %s\n", ids[h.From], arrow, ids[h.To], h.Src, h.Dst)
		note := h.Change
		if h.Dropped != "" {
			note = "dropped: " + h.Dropped
		}
		fmt.Fprintf(&b, "    Note over %s,%s: %s\n", ids[h.From], ids[h.To], strings.NewReplacer(";", ",", "#", "").Replace(note))
	}
	return b.String()
}

// explainEnds is where explain's connection starts and what it opens:
// --from and --to, or the lab's own: the client to the listener of an
// internet-facing load balancer; for an internal one, an instance of its
// VPC (not the target) to the first node's private address.
func explainEnds(l *lab.Lab, from, to string) (string, netip.AddrPort, error) {
	var dst netip.AddrPort
	if to != "" {
		ap, err := netip.ParseAddrPort(to)
		if err != nil || !ap.Addr().Is4() {
			return "", dst, &usageError{fmt.Errorf("--to %q: want an IPv4 ADDR:PORT (10.0.128.108:22)", to)}
		}
		dst = ap
	}
	internal := l.NLB != nil && l.NLB.Scheme() == "internal"
	if !dst.IsValid() {
		switch {
		case l.NLB == nil:
			return "", dst, &usageError{errors.New("explain: the lab has no load balancer: name the connection with --from and --to")}
		case internal && len(l.NLB.Nodes()) > 0:
			dst = netip.AddrPortFrom(l.NLB.Nodes()[0].PrivateAddr(), l.ListenerPort())
		default:
			dst = l.Endpoint()
		}
	}
	if from == "" {
		switch {
		case internal:
			for _, in := range l.Instances {
				if in != l.Target && in.ENI().Subnet().VPC() == l.NLB.Nodes()[0].ENI().Subnet().VPC() {
					from = in.Hostname()
					break
				}
			}
			if from == "" {
				return "", dst, fmt.Errorf("explain: load balancer %s is internal and its VPC has no instance but the target to connect from: name one with --from", l.NLB.Name())
			}
		case l.Client != nil:
			from = l.Client.Host().Name()
		default:
			return "", dst, &usageError{errors.New("explain: the lab has no client: name the host with --from")}
		}
	}
	return from, dst, nil
}
