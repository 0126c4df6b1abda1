package target

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vlab-sim/vlab/target/shell"
)

// ncVersions are the nmap-ncat versions the images ship as nc.
var ncVersions = map[string]string{
	"al2":    "Ncat: Version 7.50 ( https://nmap.org/ncat )",
	"al2023": "Ncat: Version 7.93 ( https://nmap.org/ncat )",
}

// ncOptions are nmap-ncat's options the instance's nc takes.
type ncOptions struct {
	listen, keep, zero, udp, sendOnly, recvOnly bool
	verbose                                     int
	wait                                        time.Duration // -w: connect timeout
	idle                                        time.Duration // -i: idle timeout
	port                                        string        // -p
	operands                                    []string
}

const ncUsage = "Ncat: usage: nc [-lkuzv] [-p PORT] [-w SECS] [-i SECS] [HOST] [PORT[-PORT]] (this instance's nc: nmap-ncat's options). QUITTING."

func parseNC(args []string) (ncOptions, error) {
	var o ncOptions
	secs := func(v string) (time.Duration, error) {
		f, err := strconv.ParseFloat(strings.TrimSuffix(v, "s"), 64)
		if err != nil || f <= 0 || f > 1e6 {
			return 0, fmt.Errorf("Ncat: Invalid wait time %q. QUITTING.", v)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch a {
		case "--listen":
			a = "-l"
		case "--keep-open":
			a = "-k"
		case "--udp":
			a = "-u"
		case "--verbose":
			a = "-v"
		case "--send-only":
			o.sendOnly = true
			continue
		case "--recv-only":
			o.recvOnly = true
			continue
		case "--":
			o.operands = append(o.operands, args[i+1:]...)
			return o, nil
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			o.operands = append(o.operands, a)
			continue
		}
		if strings.HasPrefix(a, "--") {
			return o, fmt.Errorf("Ncat: unrecognized option '%s'\n%s", a, ncUsage)
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			switch c {
			case 'l':
				o.listen = true
				continue
			case 'k':
				o.keep = true
				continue
			case 'z':
				o.zero = true
				continue
			case 'u':
				o.udp = true
				continue
			case 'v':
				o.verbose++
				continue
			case 'n', '4', 't':
				continue
			case 'w', 'i', 'p':
			default:
				return o, fmt.Errorf("Ncat: invalid option -- '%c'\n%s", c, ncUsage)
			}
			v := a[j+1:]
			if v == "" {
				if i+1 >= len(args) {
					return o, fmt.Errorf("Ncat: option requires an argument -- '%c'\n%s", c, ncUsage)
				}
				i++
				v = args[i]
			}
			var err error
			switch c {
			case 'w':
				o.wait, err = secs(v)
			case 'i':
				o.idle, err = secs(v)
			case 'p':
				o.port = v
			}
			if err != nil {
				return o, err
			}
			break
		}
	}
	return o, nil
}

// portRange reads PORT or LO-HI.
func portRange(s string) (lo, hi uint16, ok bool) {
	a, b, isRange := strings.Cut(s, "-")
	l, err1 := strconv.ParseUint(a, 10, 16)
	h := l
	var err2 error
	if isRange {
		h, err2 = strconv.ParseUint(b, 10, 16)
	}
	if err1 != nil || err2 != nil || l == 0 || h < l {
		return 0, 0, false
	}
	return uint16(l), uint16(h), true
}

// nc is nmap-ncat, which Amazon Linux ships as nc, over the instance's own
// stack: connect mode (stdin to the connection, the connection to stdout,
// until both have ended; stdin's end closes the connection's sending
// half), listen mode (-l, one connection; -k, every connection, stdin to
// all), port checks (-z, a range allowed) and UDP (-u). Its sockets are
// its process's (ss -p). It ends when interrupted or killed.
func (in *Instance) nc(ctx context.Context, o shell.IO, args []string) int {
	opt, err := parseNC(args[1:])
	if err != nil {
		fmt.Fprintln(o.Stderr, err)
		return 2
	}
	nc := &ncRun{in: in, o: o, opt: opt, pid: o.PID, version: ncVersions[in.image.ID]}
	if opt.listen {
		return nc.listen(ctx)
	}
	return nc.connect(ctx)
}

type ncRun struct {
	in      *Instance
	o       shell.IO
	opt     ncOptions
	pid     int
	version string
}

func (n *ncRun) verbosef(format string, a ...any) {
	if n.opt.verbose > 0 {
		fmt.Fprintf(n.o.Stderr, "Ncat: "+format+"\n", a...)
	}
}

// failure words a connection's error as ncat does.
func ncFailure(err error, ctx context.Context) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded:
		return "TIMEOUT."
	case strings.Contains(err.Error(), "refused"):
		return "Connection refused."
	case strings.Contains(err.Error(), "unreachable"), strings.Contains(err.Error(), "no route"):
		return "No route to host."
	case errors.Is(err, syscall.ECONNRESET) || strings.Contains(err.Error(), "reset"):
		return "Connection reset by peer."
	}
	return err.Error() + "."
}

func (n *ncRun) connect(ctx context.Context) int {
	ops := n.opt.operands
	if n.opt.port != "" {
		ops = append(ops, n.opt.port)
	}
	if len(ops) != 2 {
		fmt.Fprintln(n.o.Stderr, "Ncat: You must specify a host to connect to. QUITTING.")
		return 2
	}
	host, ports := ops[0], ops[1]
	lo, hi, ok := portRange(ports)
	if !ok || (lo != hi && !n.opt.zero) {
		fmt.Fprintf(n.o.Stderr, "Ncat: Invalid port number %q. QUITTING.\n", ports)
		return 2
	}
	addr, ok := n.in.lookup(host)
	if !ok {
		fmt.Fprintf(n.o.Stderr, "Ncat: Could not resolve hostname %q: Name or service not known. QUITTING.\n", host)
		return 2
	}
	if n.opt.verbose > 0 {
		fmt.Fprintln(n.o.Stderr, n.version)
	}
	if n.opt.udp {
		if n.opt.zero {
			fmt.Fprintln(n.o.Stderr, "Ncat: UDP mode does not support the -z option. QUITTING.")
			return 2
		}
		return n.connectUDP(ctx, netip.AddrPortFrom(addr, lo))
	}
	status := 1
	for port := int(lo); port <= int(hi); port++ {
		if ctx.Err() != nil {
			return 1
		}
		if n.connectTCP(ctx, netip.AddrPortFrom(addr, uint16(port))) == 0 {
			status = 0 // a port check succeeds when a port answered
		}
	}
	return status
}

func (n *ncRun) dial(ctx context.Context, dst netip.AddrPort) (net.Conn, error) {
	dctx := ctx
	if n.opt.wait > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, n.opt.wait)
		defer cancel()
	}
	c, err := n.in.host.Dial(dctx, dst)
	if err != nil {
		if dctx.Err() == context.DeadlineExceeded {
			err = context.DeadlineExceeded
		}
		return nil, err
	}
	return n.in.ownConn(n.pid, c), nil
}

func (n *ncRun) connectTCP(ctx context.Context, dst netip.AddrPort) int {
	start := time.Now()
	c, err := n.dial(ctx, dst)
	if err != nil {
		if ctx.Err() != nil {
			return 1
		}
		fmt.Fprintln(n.o.Stderr, "Ncat: "+ncFailure(err, ctx))
		return 1
	}
	n.verbosef("Connected to %s.", dst)
	if n.opt.zero {
		c.Close()
		n.verbosef("0 bytes sent, 0 bytes received in %.2f seconds.", time.Since(start).Seconds())
		return 0
	}
	sent, recvd := n.session(ctx, c)
	n.verbosef("%d bytes sent, %d bytes received in %.2f seconds.", sent, recvd, time.Since(start).Seconds())
	return 0
}

// stdinPump reads stdin for the whole run and hands its chunks to whoever
// sends them: a connection, or every connection of -k.
type stdinPump struct {
	chunks chan []byte   // closed at stdin's end
	quit   chan struct{} // closed by stop
	once   sync.Once
}

func newStdinPump(r io.Reader) *stdinPump {
	p := &stdinPump{chunks: make(chan []byte), quit: make(chan struct{})}
	go func() {
		// It ends at stdin's end or after stop, once its read returns: a
		// line's stdin is closed when the line ends.
		defer close(p.chunks)
		for {
			buf := make([]byte, 32*1024)
			k, err := r.Read(buf)
			if k > 0 {
				select {
				case p.chunks <- buf[:k]:
				case <-p.quit:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return p
}

func (p *stdinPump) stop() { p.once.Do(func() { close(p.quit) }) }

// session copies stdin to c and c to stdout until both have ended: the
// peer's end of sending (EOF) and stdin's, which closes c's sending half.
// A failed read or write of c, or ctx's end, ends both at once.
func (n *ncRun) session(ctx context.Context, c net.Conn) (sent, recvd int64) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	var wg sync.WaitGroup
	failed := make(chan struct{}) // the connection failed: stop sending
	if !n.opt.recvOnly {
		pump := newStdinPump(n.o.Stdin)
		defer pump.stop()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case b, ok := <-pump.chunks:
					if !ok {
						closeWrite(c)
						return
					}
					k, err := c.Write(b)
					sent += int64(k)
					if err != nil {
						return
					}
				case <-failed:
					return
				}
			}
		}()
	} else {
		closeWrite(c)
	}
	if !n.opt.sendOnly {
		var err error
		recvd, err = io.Copy(n.o.Stdout, idleReader{c, n.opt.idle})
		if err != nil {
			close(failed)
		}
	}
	wg.Wait()
	return sent, recvd
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}

// idleReader is c whose reads fail after idle with no data (-i), when set.
type idleReader struct {
	c    net.Conn
	idle time.Duration
}

func (r idleReader) Read(p []byte) (int, error) {
	if r.idle > 0 {
		r.c.SetReadDeadline(time.Now().Add(r.idle))
	}
	return r.c.Read(p)
}

func (n *ncRun) connectUDP(ctx context.Context, dst netip.AddrPort) int {
	c, err := n.in.host.DialContext(ctx, "udp", dst.String())
	if err != nil {
		fmt.Fprintln(n.o.Stderr, "Ncat: "+ncFailure(err, ctx))
		return 1
	}
	defer c.Close()
	n.verbosef("Connected to %s.", dst)
	return n.udpSession(ctx, c, nil)
}

// udpSession sends stdin's chunks as datagrams and prints what comes back;
// after stdin's end it waits -w (or -i) for more, or ends at once.
func (n *ncRun) udpSession(ctx context.Context, c net.Conn, first []byte) int {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if first != nil {
		n.o.Stdout.Write(first)
	}
	recvDone := make(chan struct{})
	go func() {
		defer close(recvDone)
		buf := make([]byte, 65536)
		for {
			k, err := c.Read(buf)
			if k > 0 {
				n.o.Stdout.Write(buf[:k])
			}
			if err != nil && !errors.Is(err, syscall.ECONNREFUSED) {
				return
			}
		}
	}()
	pump := newStdinPump(n.o.Stdin)
	defer pump.stop()
	for b := range pump.chunks {
		if _, err := c.Write(b); err != nil {
			break
		}
	}
	linger := max(n.opt.wait, n.opt.idle)
	if linger > 0 {
		t := time.NewTimer(linger)
		select {
		case <-t.C:
		case <-ctx.Done():
		case <-recvDone:
		}
		t.Stop()
	} else if n.opt.listen {
		select {
		case <-ctx.Done():
		case <-recvDone:
		}
	}
	c.Close()
	<-recvDone
	return 0
}
