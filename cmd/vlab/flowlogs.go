package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/vlab-sim/vlab/vnet/flowlog"
)

func newFlowlogs() *cobra.Command {
	var (
		lf       labFlags
		filter   string
		host     string
		eni      string
		format   string
		interval int
		output   string
		traffic  string
		timeout  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "flowlogs [--filter PATTERN] [--host NAME | --eni ID] [--format FIELDS] [--interval 60|600]",
		Short: "VPC Flow Logs of the seed's session, searched with a CloudWatch Logs filter pattern",
		Long: `Build the lab with a flow log on every VPC interface, run the seed's SSH
session from the client through the NLB, move lab time past the aggregation
window (600 s by default, or 60 s), and print the records as flow-log lines,
one per line, NODATA records included, no header: what a CloudWatch Logs
search returns.

--filter takes CloudWatch Logs' filter-pattern syntax for space-delimited
events: a bracketed field list matched by position, with ... anywhere, =
and != with * wildcards, < <= > >=, && and || in a field; or plain terms
(ACCEPT, "203.0.113.10", -term, ?term). The seed's pattern:

  [version, account, eni, source="203.0.113.10", destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action, flowlogstatus]

--format picks fields (default: AWS's version 2 format): version account-id
interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end
action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr
pkt-dstaddr flow-direction traffic-path.`,
		Example: `  vlab flowlogs --host ec2
  vlab flowlogs --filter '[version, account, eni, source="203.0.113.10", destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action, flowlogstatus]'
  vlab flowlogs --no-sg-client-rule --filter '[..., action="REJECT", flowlogstatus]'
  vlab flowlogs --format 'interface-id srcaddr dstaddr dstport action flow-direction tcp-flags' --interval 60
  vlab flowlogs --file examples/two-nlbs.yaml --lb admin --host bastion`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFlag(output, "text", "json"); err != nil {
				return err
			}
			if host != "" && eni != "" {
				return &usageError{fmt.Errorf("give --host or --eni, not both")}
			}
			if err := checkTimeout(timeout); err != nil {
				return err
			}
			pat, err := flowlog.ParsePattern(filter)
			if err != nil {
				return filterError(filter, err)
			}
			fc := flowlog.Config{Interval: time.Duration(interval) * time.Second}
			if format != "" {
				if fc.Fields, err = flowlog.ParseFields(format); err != nil {
					return &usageError{fmt.Errorf("--format: %w", err)}
				}
			}
			lf.readOnly = true // reads a lab: writes no file it was not asked for
			c, err := lf.config()
			if err != nil {
				return err
			}
			c.FlowLogs = &fc
			l, err := lf.buildFrom(c)
			if err != nil {
				return err
			}
			defer l.Close()
			want := eni
			if host != "" {
				h, err := l.Host(host)
				if err != nil {
					return err
				}
				want = h.PrimaryENI().ID()
			}
			if want != "" && l.Net.ENI(want) == nil {
				return fmt.Errorf("--eni %s: no such interface (vlab describe lists them)", want)
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			l.Run(ctx, traffic) // a session the fabric drops fails at once
			cancel()
			wctx, wcancel := context.WithTimeout(context.Background(), time.Second)
			l.WaitClosed(wctx) // the session's last FIN and ACK, at their own lab time
			wcancel()
			l.Clock().Advance(fc.Interval)
			var recs []flowlog.Record
			for _, r := range l.FlowLog.Records() {
				if (want == "" || r.InterfaceID == want) && pat.Match(r.Format(l.FlowLog.Fields())) {
					recs = append(recs, r)
				}
			}
			if output == "json" {
				return printFilterLogEvents(recs, l.FlowLog.Fields())
			}
			for _, r := range recs {
				fmt.Println(r.Format(l.FlowLog.Fields()))
			}
			return nil
		},
	}
	lf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&filter, "filter", "", "a CloudWatch Logs filter pattern")
	f.StringVar(&host, "host", "", "only the records of this host's interface (client has none: it is not in a VPC)")
	f.StringVar(&eni, "eni", "", "only the records of this interface")
	f.StringVar(&format, "format", "", "the fields of a custom format, in order")
	f.IntVar(&interval, "interval", 600, "the maximum aggregation interval, 60 or 600 seconds")
	f.StringVar(&output, "output", "text", "text, or json (CloudWatch FilterLogEvents' shape)")
	f.StringVar(&traffic, "traffic", "echo $SSH_CLIENT", "the command the seed's SSH session runs")
	f.DurationVar(&timeout, "timeout", 10*time.Second, "how long the session may take to open")
	return cmd
}

// FilterLogEvents' response shape.
type filterLogEvents struct {
	Events             []logEvent  `json:"events"`
	SearchedLogStreams []logStream `json:"searchedLogStreams"`
}

type logEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

type logStream struct {
	LogStreamName      string `json:"logStreamName"`
	SearchedCompletely bool   `json:"searchedCompletely"`
}

func printFilterLogEvents(recs []flowlog.Record, fields []string) error {
	out := filterLogEvents{Events: []logEvent{}, SearchedLogStreams: []logStream{}}
	seen := map[string]bool{}
	for i, r := range recs {
		out.Events = append(out.Events, logEvent{
			LogStreamName: r.InterfaceID, Timestamp: r.Start.UnixMilli(), Message: r.Format(fields),
			IngestionTime: r.End.UnixMilli(), EventID: fmt.Sprintf("%020d%016d", r.Start.UnixMilli(), i),
		})
		if !seen[r.InterfaceID] {
			seen[r.InterfaceID] = true
			out.SearchedLogStreams = append(out.SearchedLogStreams, logStream{r.InterfaceID, true})
		}
	}
	return printJSON(out)
}

// openFlowLogFile opens --flow-logs FILE as a log: created, or appended to
// when it is a flow log vlab wrote; header reports it already has its
// header line.
func openFlowLogFile(path string) (f *os.File, header bool, err error) {
	f, header, err = flowlog.OpenFile(path, nil)
	if err != nil {
		return nil, false, fmt.Errorf("--flow-logs: %w", err)
	}
	return f, header, nil
}
