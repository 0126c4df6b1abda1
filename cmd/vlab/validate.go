package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/topology"
)

// readTopology reads and checks a topology file; its error lists every
// problem, one per line, FILE:LINE:COL: field.path: message.
func readTopology(file string) (*topology.Topology, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--file: %w", err)
	}
	t, err := topology.Parse(file, data)
	if err != nil {
		return nil, fmt.Errorf("%s is not a valid topology:\n%w", file, err)
	}
	return t, nil
}

func newValidate() *cobra.Command {
	var printSchema bool
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check topology files: every problem, one per line, FILE:LINE:COL: field.path: message",
		Long: `Check topology files without running anything long: unknown keys, values of the
wrong type or out of range, bad CIDR blocks, overlapping subnets, addresses
outside their subnet or reserved by AWS, references to route tables, gateways,
security groups, subnets, instances or target groups that do not exist,
targets outside their target group's VPC, listener ports out of range… Every
problem is printed, one per line, as FILE:LINE:COL: field.path: message, and
vlab exits 1. A file without problems is then built in memory (no traffic),
so that what the fabric itself refuses is reported too; vlab prints
"FILE: ok" and exits 0.

The file format's JSON Schema is examples/vlab.schema.json (--print-schema
prints it); editors with a YAML language server check files against it.`,
		Example: `  vlab validate examples/reference.yaml
  vlab validate examples/*.yaml
  vlab validate --print-schema > vlab.schema.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if printSchema {
				os.Stdout.Write(topology.Schema())
				return nil
			}
			if len(args) == 0 {
				return &usageError{errors.New("validate: name at least one FILE")}
			}
			bad := false
			for _, f := range args {
				if !validateFile(f) {
					bad = true
				}
			}
			if bad {
				return &exitCode{code: exitError}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&printSchema, "print-schema", false, "print the JSON Schema of topology files and exit")
	return cmd
}

// validateFile prints the problems of one file, or that it is ok.
func validateFile(file string) bool {
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Printf("%s: %v\n", file, err)
		return false
	}
	t, err := topology.Parse(file, data)
	var ps topology.Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			printProblem(p)
		}
		return false
	}
	// What only the fabric checks (an attribute's value, a health check's
	// timeout against its interval) shows when the lab is built.
	key, err := lab.NewKey()
	if err != nil {
		fmt.Printf("%s: %v\n", file, err)
		return false
	}
	l, err := lab.New(lab.Config{Topology: t, HostKey: key, ClientKey: key, ManualClock: true, ReadOnly: true})
	if err != nil {
		var pe *topology.PathError
		if errors.As(err, &pe) {
			line, col := topology.Locate(data, pe.Path)
			printProblem(topology.Problem{File: file, Line: line, Col: col, Path: pe.Path, Message: pe.Err.Error()})
		} else {
			fmt.Printf("%s: %v\n", file, err)
		}
		return false
	}
	l.Close()
	// What builds but was probably not meant: said, and still ok.
	for _, w := range topology.Warnings(t) {
		line, col := topology.Locate(data, w.Path)
		fmt.Printf("%s %s%s\n", paint(fmt.Sprintf("%s:%d:%d:", file, line, col), bold), "warning: ", w.String())
	}
	fmt.Printf("%s: ok\n", file)
	return true
}

// printProblem prints FILE:LINE:COL: field.path: message, the place in
// bold on a terminal.
func printProblem(p topology.Problem) {
	loc := fmt.Sprintf("%s:%d:%d:", p.File, p.Line, p.Col)
	p.File, p.Line, p.Col = "", 0, 0
	fmt.Println(paint(loc, bold), p.String())
}
