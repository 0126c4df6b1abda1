package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/capture"
)

func newTcpdump() *cobra.Command {
	var (
		lf      labFlags
		host    string
		traffic string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "tcpdump [--host NAME] [--traffic 'CMD'] [tcpdump arguments…]",
		Short: "Capture an SSH session through the NLB on one host's interface, as tcpdump prints it",
		Long: `Build the lab, start capturing on a host's interface (default: the EC2
instance), run an SSH session from the client through the NLB (the seed's
traffic; --traffic picks the command it runs), and print the capture in
tcpdump's own text. It exits when the session has ended and gone quiet, or
after -c N packets.

vlab's own long flags come first; everything from the first other argument
(or after '--') goes to tcpdump's parser, which takes tcpdump's short flags
(-n, -nn, -v, -A, -X, -S, -c N, -i eth0, -t, -tttt, clustered too) and a
pcap-filter expression (host, net, port, portrange, src, dst, tcp, udp, icmp,
tcp[tcpflags] & tcp-syn != 0, and, or, not, parentheses).

Hosts: client, nlb-1a, ec2 (or ip-10-0-128-108), mirror. On the instance
every packet is between 10.0.128.108.22 and the client's own address; on the
client, only 198.51.100.10.51512 shows; on the NLB node, both sides of the
rewrite.`,
		Example: `  vlab tcpdump -n port 22
  vlab tcpdump --host client -nn
  vlab tcpdump --host nlb-1a -n -c 8
  vlab tcpdump --traffic 'ss -tn' -nA port 22
  vlab tcpdump --file examples/two-nlbs.yaml --lb admin --host bastion -nn`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			own, rest, err := splitOwnFlags(cmd, args)
			if err != nil {
				return err
			}
			if err := cmd.Flags().Parse(own); err != nil {
				return &usageError{err}
			}
			if help, _ := cmd.Flags().GetBool("help"); help {
				return cmd.Help()
			}
			if err := checkTimeout(timeout); err != nil {
				return err
			}
			cfg, err := capture.ParseArgs(rest)
			if err != nil {
				return &usageError{err}
			}
			c, err := lf.config()
			if err != nil {
				return err
			}
			c.ManualClock = false
			return runTcpdump(&lf, c, host, traffic, cfg, timeout)
		},
	}
	lf.register(cmd)
	cmd.Flags().StringVar(&host, "host", "ec2", "the host whose interface is captured")
	cmd.Flags().StringVar(&traffic, "traffic", "echo $SSH_CLIENT", "the command the SSH session runs")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "how long the session may take")
	cmd.Flags().BoolP("help", "h", false, "help for tcpdump")
	return cmd
}

// splitOwnFlags takes vlab's long flags (and their values) off the front of
// args; the rest is tcpdump's.
func splitOwnFlags(cmd *cobra.Command, args []string) (own, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return own, args[i+1:], nil
		}
		if a == "-h" {
			return append(own, "--help"), nil, nil
		}
		if !strings.HasPrefix(a, "--") {
			return own, args[i:], nil
		}
		name, _, hasValue := strings.Cut(a[2:], "=")
		f := cmd.Flags().Lookup(name)
		if f == nil {
			return nil, nil, &usageError{fmt.Errorf("unknown flag %s (tcpdump's own flags are short: -n, -c N…)", a)}
		}
		own = append(own, a)
		if !hasValue && f.Value.Type() != "bool" {
			if i+1 >= len(args) {
				return nil, nil, &usageError{fmt.Errorf("flag %s needs a value", a)}
			}
			i++
			own = append(own, args[i])
		}
	}
	return own, nil, nil
}

func runTcpdump(lf *labFlags, c lab.Config, host, traffic string, cfg capture.Config, timeout time.Duration) error {
	l, err := lf.buildFrom(c)
	if err != nil {
		return err
	}
	defer l.Close()
	h, err := l.Host(host)
	if err != nil {
		return err
	}
	eni := h.PrimaryENI()
	// The capture ends once the session is over and the interface has been
	// quiet for a moment (its last FIN and ACK seen), or after -c N.
	var last atomic.Int64
	stopWatch := eni.Tap(func(time.Time, vnet.Direction, []byte) { last.Store(time.Now().UnixNano()) })
	defer stopWatch()
	ctx, cancel := context.WithTimeout(context.Background(), timeout+5*time.Second)
	defer cancel()
	cfg.Legacy = l.TcpdumpLegacy(h)
	capt, err := capture.Start(eni.CaptureSource(), cfg, l.Net.NameOf, l.Net.AddrOf, os.Stderr)
	if err != nil {
		return tcpdumpErr(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		capt.Print(ctx, os.Stdout)
	}()
	sctx, scancel := context.WithTimeout(ctx, timeout)
	res, sessErr := l.Run(sctx, traffic) // a session the fabric drops fails at once
	scancel()
	for {
		select {
		case <-done:
			return nil
		case <-time.After(20 * time.Millisecond):
		}
		if time.Since(time.Unix(0, last.Load())) > 50*time.Millisecond {
			break
		}
	}
	cancel()
	<-done
	var ee *ssh.ExitError
	switch {
	case errors.As(sessErr, &ee):
		fmt.Fprintf(os.Stderr, "vlab: the session's command exited %d\n", res.ExitStatus)
	case sessErr != nil:
		fmt.Fprintf(os.Stderr, "vlab: the session failed: %v\n", sessErr)
	}
	return nil
}

func tcpdumpErr(err error) error {
	var fe *capture.FilterError
	if errors.As(err, &fe) {
		return &usageError{err}
	}
	return err
}
