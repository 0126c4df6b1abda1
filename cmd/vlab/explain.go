package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/nlb"
)

func newExplain() *cobra.Command {
	var (
		lf      labFlags
		traffic string
		output  string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "explain [--traffic 'CMD'] [--output table|mermaid|json]",
		Short: "Explain an SSH session's way through the lab, hop by hop",
		Long: `Build the lab, run an SSH session from the client through the NLB, and print,
for its flow, every hop there and back: client -> internet gateway -> NLB
node -> target -> NLB node -> internet gateway -> client, with the source
and destination address:port on each hop, what changed them (the internet
gateway's 1:1 mapping, the NLB's rewrite, the return path through the NLB's
flow table), the route-table entry used (or "carried by the NLB"), and the
network-ACL and security-group rules that admitted the packet, or the one
that did not.

--output mermaid prints a bare sequenceDiagram (fence it in Markdown to
render it on GitHub).`,
		Example: `  vlab explain
  vlab explain --no-sg-client-rule
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
			if err := l.CanConnect(); err != nil {
				return fmt.Errorf("explain: %w", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			l.Run(ctx, traffic) // a session the fabric drops fails at once
			cancel()
			var fl *nlb.Flow
			for _, f := range l.NLB.Flows() {
				if f.Client.Addr() == l.Client.Addr() {
					f := f
					fl = &f
				}
			}
			if fl == nil {
				return fmt.Errorf("explain: the session made no flow through the NLB (vlab describe --drops says why)")
			}
			e, err := l.Explain(*fl)
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
	cmd.Flags().StringVar(&traffic, "traffic", "echo $SSH_CLIENT", "the command the session runs")
	cmd.Flags().StringVar(&output, "output", "table", "table, mermaid (a sequenceDiagram) or json")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "how long the session may take")
	return cmd
}

func printExplanation(e lab.Explanation) {
	w := os.Stdout
	fmt.Fprintf(w, "flow: client %s -> NLB %s (node %s) -> target %s, the target sees %s\n\n", e.Flow.Client, e.Flow.Frontend, e.Flow.Node, e.Flow.Backend, e.Flow.Source)
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
