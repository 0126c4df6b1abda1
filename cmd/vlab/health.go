package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vlab-sim/vlab/nlb"
)

func newHealth() *cobra.Command {
	var (
		lf     labFlags
		output string
	)
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Show the target group's targets and their health, as describe-target-health does",
		Long: `Build the lab, let its health checks run (lab time jumps through registration
and the first checks: interval 30 s, healthy threshold 5, unhealthy threshold
2, timeout 10 s, AWS's defaults), and print each target of the target group:
id, port, zone, state, reason and description.

Health checks are TCP connects from each NLB node's private address
(10.0.10.25) to the instance's port 22, so they meet the instance's security
group: with --no-sg-nlb-rule the target turns unhealthy
(Target.FailedHealthChecks).`,
		Example: `  vlab health
  vlab health --no-sg-nlb-rule
  vlab health --output json
  vlab health --file examples/two-nlbs.yaml --lb web`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFlag(output, "table", "json", "text"); err != nil {
				return err
			}
			lf.readOnly = true // reads a lab: writes no file it was not asked for
			l, err := lf.build()
			if err != nil {
				return err
			}
			defer l.Close()
			if l.TargetGroup == nil {
				return errors.New("health: the lab has no target group")
			}
			return printHealth(l.TargetGroup.Health(), output)
		},
	}
	lf.register(cmd)
	cmd.Flags().StringVar(&output, "output", "table", "table, json (the AWS CLI's describe-target-health shape) or text")
	return cmd
}

// The AWS CLI's describe-target-health shape.
type healthOut struct {
	TargetHealthDescriptions []healthDesc
}

type healthDesc struct {
	Target struct {
		Id               string
		Port             int
		AvailabilityZone string
	}
	HealthCheckPort string
	TargetHealth    struct {
		State       string
		Reason      string `json:",omitempty"`
		Description string `json:",omitempty"`
	}
}

func printHealth(hs []nlb.TargetHealth, output string) error {
	var out healthOut
	out.TargetHealthDescriptions = []healthDesc{}
	for _, h := range hs {
		var d healthDesc
		d.Target.Id, d.Target.Port, d.Target.AvailabilityZone = h.Target.ID, int(h.Target.Port), h.AvailabilityZone
		d.HealthCheckPort = h.HealthCheckPort
		d.TargetHealth.State, d.TargetHealth.Reason, d.TargetHealth.Description = h.State, h.Reason, h.Description
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, d)
	}
	switch output {
	case "json":
		return printJSON(out)
	case "text":
		// The AWS CLI's text output: one line per object, its name in capitals
		// and its scalar values in the order of their sorted keys.
		for _, d := range out.TargetHealthDescriptions {
			fmt.Printf("TARGETHEALTHDESCRIPTIONS\t%s\n", d.HealthCheckPort)
			fmt.Printf("TARGET\t%s\t%s\t%d\n", d.Target.AvailabilityZone, d.Target.Id, d.Target.Port)
			th := []string{}
			for _, v := range []string{d.TargetHealth.Description, d.TargetHealth.Reason, d.TargetHealth.State} {
				if v != "" {
					th = append(th, v)
				}
			}
			fmt.Printf("TARGETHEALTH\t%s\n", strings.Join(th, "\t"))
		}
		return nil
	}
	t := newTable(os.Stdout)
	t.row("TARGET", "PORT", "ZONE", paint("STATE", bold), "REASON", "DESCRIPTION")
	for _, d := range out.TargetHealthDescriptions {
		t.row(d.Target.Id, strconv.Itoa(d.Target.Port), d.Target.AvailabilityZone, paint(d.TargetHealth.State, stateColour(d.TargetHealth.State)), dash(d.TargetHealth.Reason), dash(d.TargetHealth.Description))
	}
	t.flush()
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
