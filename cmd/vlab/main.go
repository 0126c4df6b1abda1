// Command vlab runs an in-process virtual AWS network: a client PC on the
// internet, an internet-facing Network Load Balancer and EC2 instances in a
// private subnet, each with its own TCP/IP stack, and real SSH end to end.
//
//	vlab ssh                  # a shell on the instance, through the NLB
//	vlab ssh -- 'echo $SSH_CLIENT'
//	vlab up --listen 127.0.0.1:2222
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vlab-sim/vlab/vnet"
)

// Exit statuses (ARCHITECTURE.md, "The reference scenario").
const (
	exitError     = 1   // a vlab error: a lab that cannot be built, a refused --listen
	exitUsage     = 2   // a usage error
	exitNoSession = 255 // no SSH session could be opened, as OpenSSH
)

// exitCode carries a status to main: a remote command's own, or one of the
// above.
type exitCode struct {
	code int
	err  error // printed to stderr when not nil
}

func (e *exitCode) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return fmt.Sprintf("exit status %d", e.code)
}

func main() {
	// The stacks' own warnings (gVisor's, about odd packets a remote sent)
	// are vlab's to show: only when asked, VLAB_DEBUG=netstack.
	if strings.Contains(os.Getenv("VLAB_DEBUG"), "netstack") {
		vnet.SetStackLogger(func(line string) { fmt.Fprintf(os.Stderr, "vlab: netstack: %s\n", line) })
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	root := newRoot()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ec *exitCode
	if errors.As(err, &ec) {
		if ec.err != nil {
			fmt.Fprintf(os.Stderr, "vlab: %v\n", ec.err)
		}
		return ec.code
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(os.Stderr, "vlab: %v\nRun 'vlab --help' for usage.\n", err)
		return exitUsage
	}
	fmt.Fprintf(os.Stderr, "vlab: %v\n", err)
	return exitError
}

type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// noArgs refuses arguments as a usage error (exit status 2).
func noArgs(cmd *cobra.Command, args []string) error {
	if err := cobra.NoArgs(cmd, args); err != nil {
		return &usageError{err}
	}
	return nil
}
