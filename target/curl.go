package target

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vlab-sim/vlab/target/shell"
	"github.com/vlab-sim/vlab/target/vfs"
)

// curlUserAgent is the User-Agent the instance's curl sends.
const curlUserAgent = "curl/8.5.0"

// curlOptions are curl's options the instance's curl takes.
type curlOptions struct {
	silent, showErrors, fail, verbose, head, include, follow bool
	maxTime, connectTimeout                                  time.Duration
	method, output, writeOut, userAgent                      string
	headers                                                  []string
	data                                                     []string
	dataGiven                                                bool
	url                                                      string
}

// curlArgs are the options that take a value, short and long.
var curlArgs = map[string]string{
	"-m": "max-time", "--max-time": "max-time", "--connect-timeout": "connect-timeout",
	"-o": "output", "--output": "output", "-X": "request", "--request": "request",
	"-H": "header", "--header": "header", "-d": "data", "--data": "data", "--data-raw": "data-raw",
	"--data-binary": "data", "--data-ascii": "data", "-w": "write-out", "--write-out": "write-out",
	"-A": "user-agent", "--user-agent": "user-agent", "--url": "url",
}

// curlFlags are the options without a value.
var curlFlags = map[string]string{
	"-s": "silent", "--silent": "silent", "-S": "show-error", "--show-error": "show-error",
	"-f": "fail", "--fail": "fail", "-v": "verbose", "--verbose": "verbose", "-I": "head", "--head": "head",
	"-i": "include", "--include": "include", "-L": "location", "--location": "location",
	"-k": "insecure", "--insecure": "insecure", "-4": "ipv4", "--ipv4": "ipv4", "-#": "progress-bar",
	"--compressed": "compressed", "-N": "no-buffer", "--no-buffer": "no-buffer",
}

func parseCurl(args []string) (curlOptions, error) {
	var c curlOptions
	secs := func(name, v string) (time.Duration, error) {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1e6 {
			return 0, fmt.Errorf("curl: option --%s: expected a proper numerical parameter", name)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	set := func(name, v string) error {
		var err error
		switch name {
		case "max-time":
			c.maxTime, err = secs(name, v)
		case "connect-timeout":
			c.connectTimeout, err = secs(name, v)
		case "output":
			c.output = v
		case "request":
			c.method = v
		case "header":
			c.headers = append(c.headers, v)
		case "data", "data-raw":
			c.data, c.dataGiven = append(c.data, v), true
		case "write-out":
			c.writeOut = v
		case "user-agent":
			c.userAgent = v
		case "url":
			c.url = v
		}
		return err
	}
	flag := func(name string) {
		switch name {
		case "silent":
			c.silent = true
		case "show-error":
			c.showErrors = true
		case "fail":
			c.fail = true
		case "verbose":
			c.verbose = true
		case "head":
			c.head = true
		case "include":
			c.include = true
		case "location":
			c.follow = true
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "--"):
			name, v, hasV := strings.Cut(a, "=")
			if f, ok := curlFlags[name]; ok && !hasV {
				flag(f)
				continue
			}
			opt, ok := curlArgs[name]
			if !ok {
				return c, fmt.Errorf("curl: option %s: is unknown\ncurl: try 'curl --help' for more information", a)
			}
			if !hasV {
				if i+1 >= len(args) {
					return c, fmt.Errorf("curl: option %s: requires parameter", name)
				}
				i++
				v = args[i]
			}
			if err := set(opt, v); err != nil {
				return c, err
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				short := "-" + string(a[j])
				if f, ok := curlFlags[short]; ok {
					flag(f)
					continue
				}
				opt, ok := curlArgs[short]
				if !ok {
					return c, fmt.Errorf("curl: option %s: is unknown\ncurl: try 'curl --help' for more information", short)
				}
				v := a[j+1:]
				if v == "" {
					if i+1 >= len(args) {
						return c, fmt.Errorf("curl: option %s: requires parameter", short)
					}
					i++
					v = args[i]
				}
				if err := set(opt, v); err != nil {
					return c, err
				}
				break
			}
		default:
			c.url = a
		}
	}
	return c, nil
}

// curlRun is one run of curl: its options, streams and what -w reports.
type curlRun struct {
	in  *Instance
	o   shell.IO
	opt curlOptions

	start      time.Time
	connected  time.Duration
	code       int
	remote     netip.AddrPort
	local      netip.AddrPort
	downloaded int64
	effective  string
	redirects  int
	ctype      string
	method     string
}

// curl is curl for HTTP over the instance's own stack, so it reaches what
// the instance can reach (through a NAT gateway, say): -s -S -f -v -I -i -L
// -o FILE (into the instance's files) -X -H -d -A -m --connect-timeout -w.
// Host names are the lab's own; the host machine's resolver is never
// asked. Its connection is its process's (ss -p).
func (in *Instance) curl(ctx context.Context, o shell.IO, args []string) int {
	opt, err := parseCurl(args[1:])
	if err != nil {
		fmt.Fprintln(o.Stderr, err)
		return 2
	}
	if opt.url == "" {
		fmt.Fprintln(o.Stderr, "curl: no URL specified!\ncurl: try 'curl --help' for more information")
		return 2
	}
	r := &curlRun{in: in, o: o, opt: opt, start: time.Now()}
	if opt.maxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opt.maxTime)
		defer cancel()
	}
	status := r.run(ctx)
	if opt.writeOut != "" {
		io.WriteString(o.Stdout, r.writeOut(opt.writeOut))
	}
	return status
}

func (r *curlRun) fail(code int, format string, a ...any) int {
	msg := fmt.Sprintf(format, a...)
	if r.opt.verbose {
		fmt.Fprintf(r.o.Stderr, "* %s\n* Closing connection\n", msg)
	}
	if !r.opt.silent || r.opt.showErrors {
		fmt.Fprintf(r.o.Stderr, "curl: (%d) %s\n", code, msg)
	}
	return code
}

func (r *curlRun) ms() int64 { return time.Since(r.start).Milliseconds() }

func (r *curlRun) run(ctx context.Context) int {
	target := r.opt.url
	method := r.opt.method
	body := strings.Join(r.opt.data, "&")
	if len(r.opt.data) > 0 && strings.HasPrefix(r.opt.data[0], "@") && len(r.opt.data) == 1 {
		b, err := r.o.FS.ReadFile(r.o.Path(r.opt.data[0][1:]))
		if err != nil {
			fmt.Fprintf(r.o.Stderr, "Warning: Couldn't read data from file \"%s\", this makes an empty POST.\n", r.opt.data[0][1:])
		}
		body = strings.ReplaceAll(strings.ReplaceAll(string(b), "\r", ""), "\n", "")
	}
	switch {
	case method != "":
	case r.opt.head:
		method = http.MethodHead
	case r.opt.dataGiven:
		method = http.MethodPost
	default:
		method = http.MethodGet
	}
	for {
		if !strings.Contains(target, "://") {
			target = "http://" + target
		}
		u, err := url.Parse(target)
		if err != nil || u.Host == "" {
			return r.fail(3, "URL rejected: Malformed input to a URL function")
		}
		if u.Scheme != "http" {
			return r.fail(1, "Protocol \"%s\" not supported by this instance's curl (http only)", u.Scheme)
		}
		if u.Path == "" {
			u.Path = "/"
		}
		r.effective, r.method = u.String(), method
		loc, st, done := r.exchange(ctx, u, method, body)
		if done {
			return st
		}
		// -L: the next request, as curl makes it (a 303, and a 301 or
		// 302 after a POST, turn into GETs without the data).
		if r.redirects >= 50 {
			return r.fail(47, "Maximum (50) redirects followed")
		}
		r.redirects++
		next, err := u.Parse(loc)
		if err != nil {
			return r.fail(3, "URL rejected: Malformed input to a URL function")
		}
		if r.code == 303 || (r.code == 301 || r.code == 302) && method == http.MethodPost {
			method, body, r.opt.dataGiven = http.MethodGet, "", false
		}
		if r.opt.verbose {
			fmt.Fprintf(r.o.Stderr, "* Issue another request to this URL: '%s'\n", next)
		}
		target = next.String()
	}
}

// exchange makes one request. It returns the Location to follow with -L,
// or done and curl's status.
func (r *curlRun) exchange(ctx context.Context, u *url.URL, method, body string) (loc string, status int, done bool) {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return "", r.fail(3, "URL rejected: Port number was not a decimal number between 0 and 65535"), true
	}
	addr, ok := r.in.lookup(host)
	if !ok {
		return "", r.fail(6, "Could not resolve host: %s", host), true
	}
	dst := netip.AddrPortFrom(addr, uint16(p))
	if r.opt.verbose {
		fmt.Fprintf(r.o.Stderr, "*   Trying %s...\n", dst)
	}
	dctx := ctx
	if r.opt.connectTimeout > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, r.opt.connectTimeout)
		defer cancel()
	}
	conn, err := r.in.host.Dial(dctx, dst)
	if err != nil {
		switch {
		case dctx.Err() == context.DeadlineExceeded:
			return "", r.fail(28, "Connection timed out after %d milliseconds", r.ms()), true
		case ctx.Err() != nil:
			return "", 130, true
		case strings.Contains(err.Error(), "refused"):
			if r.opt.verbose {
				fmt.Fprintf(r.o.Stderr, "* connect to %s port %s failed: Connection refused\n", addr, port)
			}
			return "", r.fail(7, "Failed to connect to %s port %s after %d ms: Couldn't connect to server", host, port, r.ms()), true
		}
		return "", r.fail(7, "Failed to connect to %s port %s after %d ms: %v", host, port, r.ms(), err), true
	}
	r.connected = time.Since(r.start)
	conn = r.in.ownConn(r.o.PID, conn)
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	r.remote = dst
	r.local, _ = addrPortOf(conn.LocalAddr())
	if r.opt.verbose {
		fmt.Fprintf(r.o.Stderr, "* Connected to %s (%s) port %s\n", host, addr, port)
	}

	// The request, as curl writes it: its headers in curl's order, then
	// -H's (which replace curl's own; "Name:" removes one).
	hostHeader := u.Host
	hdrs := [][2]string{{"Host", hostHeader}, {"User-Agent", curlUserAgent}, {"Accept", "*/*"}}
	if r.opt.userAgent != "" {
		hdrs[1][1] = r.opt.userAgent
	}
	if r.opt.dataGiven {
		hdrs = append(hdrs, [2]string{"Content-Length", strconv.Itoa(len(body))}, [2]string{"Content-Type", "application/x-www-form-urlencoded"})
	}
	for _, h := range r.opt.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			continue // curl ignores a header without a colon
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		replaced := false
		for i := 0; i < len(hdrs); i++ {
			if strings.EqualFold(hdrs[i][0], name) {
				if value == "" {
					hdrs = append(hdrs[:i], hdrs[i+1:]...)
					i--
				} else {
					hdrs[i] = [2]string{name, value}
				}
				replaced = true
			}
		}
		if !replaced && value != "" {
			hdrs = append(hdrs, [2]string{name, value})
		}
	}
	var req bytes.Buffer
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\n", method, u.RequestURI())
	for _, h := range hdrs {
		fmt.Fprintf(&req, "%s: %s\r\n", h[0], h[1])
	}
	req.WriteString("\r\n")
	if r.opt.verbose {
		for _, ln := range strings.SplitAfter(strings.TrimSuffix(req.String(), "\r\n"), "\r\n") {
			fmt.Fprintf(r.o.Stderr, "> %s\n", strings.TrimSuffix(ln, "\r\n"))
		}
	}
	if r.opt.dataGiven {
		req.WriteString(body)
	}
	timedOut := func() (string, int, bool) {
		return "", r.fail(28, "Operation timed out after %d milliseconds with %d bytes received", r.ms(), r.downloaded), true
	}
	if _, err := conn.Write(req.Bytes()); err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return timedOut()
		}
		return "", r.fail(55, "Failed sending data to the peer"), true
	}

	// The response's head as the server sent it (curl prints it so), then
	// its body by net/http's reading of the framing.
	br := bufio.NewReader(conn)
	var head bytes.Buffer
	for {
		line, err := br.ReadString('\n')
		head.WriteString(line)
		if err != nil {
			if ctx.Err() == context.DeadlineExceeded {
				return timedOut()
			}
			if ctx.Err() != nil {
				return "", 130, true
			}
			return "", r.fail(52, "Empty reply from server"), true
		}
		if line == "\r\n" || line == "\n" {
			break
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(io.MultiReader(bytes.NewReader(head.Bytes()), br)), &http.Request{Method: method})
	if err != nil {
		return "", r.fail(8, "Weird server reply"), true
	}
	defer resp.Body.Close()
	r.code = resp.StatusCode
	r.ctype = resp.Header.Get("Content-Type")
	if r.opt.verbose {
		for _, ln := range strings.SplitAfter(strings.TrimSuffix(head.String(), "\r\n"), "\r\n") {
			fmt.Fprintf(r.o.Stderr, "< %s\n", strings.TrimSuffix(ln, "\r\n"))
		}
	}
	redirect := r.opt.follow && resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.Header.Get("Location") != ""
	if r.opt.fail && resp.StatusCode >= 400 {
		return "", r.fail(22, "The requested URL returned error: %d", resp.StatusCode), true
	}
	out, closeOut, st := r.outFile()
	if st != 0 {
		return "", st, true
	}
	defer closeOut()
	if r.opt.include || r.opt.head {
		io.WriteString(out, head.String())
	}
	if !r.opt.head {
		dst := out
		if redirect {
			dst = io.Discard // curl -L shows only the last response's body
		}
		n, err := io.Copy(dst, resp.Body)
		r.downloaded += n
		if err != nil {
			switch {
			case ctx.Err() == context.DeadlineExceeded:
				return timedOut()
			case ctx.Err() != nil:
				return "", 130, true
			case errors.Is(err, os.ErrClosed) || strings.Contains(err.Error(), "write"):
				return "", r.fail(23, "Failure writing output to destination"), true
			}
			return "", r.fail(18, "transfer closed with outstanding read data remaining"), true
		}
	}
	if redirect {
		return resp.Header.Get("Location"), 0, false
	}
	if r.opt.verbose {
		fmt.Fprintf(r.o.Stderr, "* Connection #0 to host %s left intact\n", host)
	}
	return "", 0, true
}

// outFile is where the body goes: stdout, or -o's file in the instance's
// filesystem (created 0664, as with the instance's umask).
func (r *curlRun) outFile() (io.Writer, func(), int) {
	if r.opt.output == "" || r.opt.output == "-" {
		return r.o.Stdout, func() {}, 0
	}
	f, err := r.o.FS.OpenFile(r.o.Path(r.opt.output), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o664)
	if err != nil {
		fmt.Fprintf(r.o.Stderr, "Warning: Failed to open the file %s: %s\n", r.opt.output, vfs.Strerror(err))
		return nil, nil, r.fail(23, "Failure writing output to destination")
	}
	return f, func() { f.Close() }, 0
}

// writeOut expands -w's format: %{variable} and \n, \r, \t.
func (r *curlRun) writeOut(format string) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		switch {
		case c == '\\' && i+1 < len(format):
			i++
			switch format[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '\\':
				b.WriteByte('\\')
			default:
				b.WriteByte('\\')
				b.WriteByte(format[i])
			}
		case c == '%' && strings.HasPrefix(format[i:], "%{"):
			end := strings.IndexByte(format[i:], '}')
			if end < 0 {
				b.WriteString(format[i:])
				return b.String()
			}
			name := format[i+2 : i+end]
			i += end
			v, ok := r.variable(name)
			if !ok {
				fmt.Fprintf(r.o.Stderr, "curl: unknown --write-out variable: '%s'\n", name)
			}
			b.WriteString(v)
		case c == '%' && i+1 < len(format) && format[i+1] == '%':
			b.WriteByte('%')
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (r *curlRun) variable(name string) (string, bool) {
	total := time.Since(r.start)
	switch name {
	case "http_code", "response_code":
		return fmt.Sprintf("%03d", r.code), true
	case "remote_ip":
		if !r.remote.IsValid() {
			return "", true
		}
		return r.remote.Addr().String(), true
	case "remote_port":
		if !r.remote.IsValid() {
			return "", true
		}
		return strconv.Itoa(int(r.remote.Port())), true
	case "local_ip":
		if !r.local.IsValid() {
			return "", true
		}
		return r.local.Addr().String(), true
	case "local_port":
		if !r.local.IsValid() {
			return "", true
		}
		return strconv.Itoa(int(r.local.Port())), true
	case "time_total":
		return fmt.Sprintf("%.6f", total.Seconds()), true
	case "time_connect":
		return fmt.Sprintf("%.6f", r.connected.Seconds()), true
	case "size_download":
		return strconv.FormatInt(r.downloaded, 10), true
	case "url_effective":
		return r.effective, true
	case "content_type":
		return r.ctype, true
	case "num_redirects":
		return strconv.Itoa(r.redirects), true
	case "method":
		return r.method, true
	}
	return "", false
}
