package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/vlab-sim/vlab/client"
	"github.com/vlab-sim/vlab/lab/awsapi"
	"github.com/vlab-sim/vlab/target"
)

func newUp() *cobra.Command {
	var (
		lf            labFlags
		listen        string
		authorizedKey string
		api           string
		timeScale     float64
	)
	cmd := &cobra.Command{
		Use:   "up --listen 127.0.0.1:PORT",
		Short: "Run the lab and forward a loopback port to the NLB, for a real ssh client",
		Long: `Build the lab and keep it running until interrupted (Ctrl-C). Every TCP
connection accepted on the --listen address (loopback only) is carried
through the client PC's stack to the NLB listener, so a real OpenSSH client
on this machine reaches the instance, which still sees 203.0.113.10 as the
client.

When ready, vlab prints one line on stdout:

  ready: ssh -p PORT [-i KEYFILE] ec2-user@127.0.0.1 hostkey SHA256:…

-i KEYFILE is the key vlab generated (kept in your config directory, or in a
temporary one with --ephemeral); with --authorized-key your own key logs in.
Port 0 picks a free port; the line names the real one. Drops are logged to
stderr as they happen.

With --api 127.0.0.1:PORT (loopback only, as --listen) the lab also answers
the AWS EC2 and Elastic Load Balancing APIs there, for the AWS CLI and the
SDKs (any access key, the lab's region); a second line names the endpoint:

  api: http://127.0.0.1:PORT region ap-northeast-1

and every call that changes something is logged to stderr.`,
		Example: `  vlab up --listen 127.0.0.1:2222
  vlab up --listen 127.0.0.1:0 --authorized-key ~/.ssh/id_ed25519.pub
  vlab up --listen 127.0.0.1:2222 --file examples/two-targets.yaml --target ec2-2
  vlab up --listen 127.0.0.1:2222 --api 127.0.0.1:4566`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkTimeScale(timeScale); err != nil {
				return err
			}
			return runUp(&lf, listen, authorizedKey, api, timeScale)
		},
	}
	lf.register(cmd)
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:2222", "loopback address to accept connections on (127.0.0.1:PORT, localhost:PORT or [::1]:PORT)")
	cmd.Flags().StringVar(&api, "api", "", "loopback address to answer the AWS EC2 and ELBv2 APIs on (127.0.0.1:PORT), for aws --endpoint-url")
	cmd.Flags().Float64Var(&timeScale, "time-scale", 1, "how fast lab time runs (health checks, delays) against the wall clock")
	cmd.Flags().StringVar(&authorizedKey, "authorized-key", "", "a public key file (authorized_keys format) that may also log in as ec2-user")
	return cmd
}

func runUp(lf *labFlags, listen, authorizedKey, api string, timeScale float64) error {
	c, err := lf.config()
	if err != nil {
		return err
	}
	c.ManualClock, c.TimeScale = false, timeScale
	if authorizedKey != "" {
		if c.AuthorizedKeys, err = ReadAuthorizedKeys(authorizedKey); err != nil {
			return err
		}
	}
	// The key file the ready line names, when the user brings none.
	keyFile := ""
	if authorizedKey == "" {
		if lf.ephemeral {
			dir, err := os.MkdirTemp("", "vlab-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			keyFile = filepath.Join(dir, ClientKeyFile)
			if c.ClientKey, err = WriteNewKey(keyFile, "vlab client"); err != nil {
				return err
			}
		} else {
			ks, err := DefaultKeyStore()
			if err != nil {
				return err
			}
			keyFile = ks.Path(ClientKeyFile)
		}
	}
	ln, err := client.ListenLoopback(listen)
	if err != nil {
		return err
	}
	var apiLn net.Listener
	if api != "" {
		if apiLn, err = client.ListenLoopback(api); err != nil {
			ln.Close()
			return errors.New(strings.Replace(err.Error(), "--listen", "--api", 1))
		}
		defer apiLn.Close()
	}
	l, err := lf.buildFrom(c)
	if err != nil {
		ln.Close()
		return err
	}
	defer l.Close()
	if apiLn != nil {
		_, stop := serveAPI(awsapi.NewHandler(l, awsapi.Options{Log: func(line string) {
			fmt.Fprintf(os.Stderr, "vlab: api: %s\n", line)
		}}), apiLn)
		defer stop() // before the lab closes
	}
	fw, err := l.Forward(ln, func(err error) { fmt.Fprintf(os.Stderr, "vlab: %v\n", err) })
	if err != nil {
		ln.Close()
		return fmt.Errorf("up: %w", err)
	}
	defer fw.Close()
	stopLog := logEvents(l, "\n")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)

	host, port, _ := net.SplitHostPort(fw.Addr().String())
	identity := ""
	if keyFile != "" {
		identity = " -i " + keyFile
	}
	to := "the target group " + l.TargetGroup.Name()
	if l.Target != nil {
		to = fmt.Sprintf("%s (%s)", l.Target.Hostname(), l.Target.Addr())
	}
	fmt.Printf("ready: ssh -p %s%s %s@%s hostkey %s\n", port, identity, target.DefaultUser, host, ssh.FingerprintSHA256(l.Config.HostKey.PublicKey()))
	if apiLn != nil {
		fmt.Printf("api: http://%s region %s\n", apiLn.Addr(), l.Net.Region())
	}
	fmt.Fprintf(os.Stderr, "vlab: lab up: client %s -> NLB %s -> %s; forwarding %s; Ctrl-C stops\n",
		l.Client.Addr(), l.Endpoint(), to, fw.Addr())
	<-sig
	stopLog() // what dies with the lab at the end is not news
	fmt.Fprintln(os.Stderr, "vlab: stopping")
	return nil
}

// apiShutdownTimeout bounds how long stopping the API waits for the calls
// in flight.
const apiShutdownTimeout = 5 * time.Second

// serveAPI serves h on ln; stop returns once the calls in flight have
// ended (or apiShutdownTimeout passed), so that the lab closes after them.
func serveAPI(h http.Handler, ln net.Listener) (srv *http.Server, stop func()) {
	srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return srv, func() {
		ctx, cancel := context.WithTimeout(context.Background(), apiShutdownTimeout)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
	}
}
