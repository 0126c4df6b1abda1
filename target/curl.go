package target

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vlab-sim/vlab/target/shell"
)

// curl is a small curl: GET a URL over the instance's own stack, so it
// reaches what the instance can reach (through a NAT gateway, say). Host
// names are the lab's own; the host machine's resolver is never asked.
func (in *Instance) curl(ctx context.Context, o shell.IO, args []string) int {
	silent, maxTime, target := false, time.Duration(0), ""
	for i := 1; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-s" || a == "--silent" || a == "-sS" || a == "-fsS" || a == "-f":
			silent = true
		case a == "-m" || a == "--max-time":
			if i+1 >= len(args) {
				fmt.Fprintln(o.Stderr, "curl: option -m: requires parameter")
				return 2
			}
			i++
			secs, err := strconv.ParseFloat(args[i], 64)
			if err != nil || secs <= 0 {
				fmt.Fprintf(o.Stderr, "curl: option -m: expected a proper numerical parameter\n")
				return 2
			}
			maxTime = time.Duration(secs * float64(time.Second))
		case a == "-o":
			if i+1 >= len(args) || args[i+1] != "/dev/null" {
				fmt.Fprintln(o.Stderr, "curl: this instance has no file system to write to; use -o /dev/null or a pipe")
				return 23
			}
			i++
			o.Stdout = io.Discard
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(o.Stderr, "curl: option %s: is unknown to this instance's curl (it knows -s, -m SECONDS, -o /dev/null)\n", a)
			return 2
		default:
			target = a
		}
	}
	fail := func(code int, format string, a ...any) int {
		if !silent {
			fmt.Fprintf(o.Stderr, "curl: (%d) %s\n", code, fmt.Sprintf(format, a...))
		}
		return code
	}
	if target == "" {
		fmt.Fprintln(o.Stderr, "curl: no URL specified")
		return 2
	}
	if !strings.Contains(target, "://") {
		target = "http://" + target
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return fail(3, "URL rejected: Malformed input to a URL function")
	}
	if u.Scheme != "http" {
		return fail(1, "Protocol %q not supported by this instance's curl (http only)", u.Scheme)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
	}
	addr := host
	if a, ok := in.host.Network().AddrOf(host); ok {
		addr = a.String()
	} else if net.ParseIP(host) == nil {
		return fail(6, "Could not resolve host: %s", host)
	}
	if maxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, maxTime)
		defer cancel()
	}
	start := time.Now()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return in.host.DialContext(ctx, "tcp", net.JoinHostPort(addr, port))
		},
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fail(3, "URL rejected: %v", err)
	}
	req.Header.Set("User-Agent", "curl/8.5.0")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		ms := time.Since(start).Milliseconds()
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return fail(28, "Connection timed out after %d milliseconds", ms)
		case ctx.Err() != nil:
			return 130
		case strings.Contains(err.Error(), "refused"):
			return fail(7, "Failed to connect to %s port %s after %d ms: Couldn't connect to server", host, port, ms)
		}
		return fail(7, "Failed to connect to %s port %s after %d ms: %v", host, port, ms, err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(o.Stdout, resp.Body); err != nil && ctx.Err() != nil {
		return fail(28, "Operation timed out after %d milliseconds", time.Since(start).Milliseconds())
	}
	return 0
}
