package target

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/vlab-sim/vlab/target/shell"
	"github.com/vlab-sim/vlab/vnet"
)

// lookup resolves a host name as the instance's commands do: an IPv4
// address, localhost (the instance's own address: its stack has no
// loopback interface), or a host of the lab; the host machine's resolver
// is never asked.
func (in *Instance) lookup(name string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(name); err == nil {
		return a.Unmap(), a.Unmap().Is4()
	}
	if name == "localhost" || name == "localhost.localdomain" || name == in.hostname {
		return in.Addr(), true
	}
	return in.host.Network().AddrOf(name)
}

// pingOptions are iputils ping's options the instance's ping takes.
type pingOptions struct {
	count    int           // -c: 0 for until interrupted
	interval time.Duration // -i
	wait     time.Duration // -W: how long a reply is waited for
	deadline time.Duration // -w: 0 for none
	size     int           // -s
	quiet    bool          // -q
	numeric  bool          // -n
	host     string
}

// parsePing reads ping's options, bundled or not, values attached or not
// (-c1, -c 1, -nc 3).
func parsePing(args []string, root bool) (pingOptions, error) {
	o := pingOptions{interval: time.Second, wait: 10 * time.Second, size: 56}
	seconds := func(flag byte, v string) (time.Duration, error) {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f > 1e6 {
			switch flag {
			case 'i':
				return 0, fmt.Errorf("ping: bad timing interval: %s", v)
			case 'W':
				return 0, fmt.Errorf("ping: bad linger time: %s", v)
			}
			return 0, fmt.Errorf("ping: bad wait time: %s", v)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			if o.host != "" {
				return o, fmt.Errorf("ping: only one destination: %s", a)
			}
			o.host = a
			continue
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			switch c {
			case 'q':
				o.quiet = true
				continue
			case 'n':
				o.numeric = true
				continue
			case '4', 'v', 'D', 'O':
				continue
			case 'c', 'i', 'W', 'w', 's', 't':
			default:
				return o, fmt.Errorf("ping: invalid option -- '%c'\nUsage: ping [-nq4] [-c count] [-i interval] [-W timeout] [-w deadline] [-s size] destination (this instance's ping)", c)
			}
			v := a[j+1:]
			if v == "" {
				if i+1 >= len(args) {
					return o, fmt.Errorf("ping: option requires an argument -- '%c'", c)
				}
				i++
				v = args[i]
			}
			var err error
			switch c {
			case 'c':
				n, e := strconv.Atoi(v)
				if e != nil || n <= 0 {
					return o, fmt.Errorf("ping: invalid argument: '%s': out of range: 1 <= value <= 9223372036854775807", v)
				}
				o.count = n
			case 'i':
				o.interval, err = seconds('i', v)
				if err == nil && o.interval < 200*time.Millisecond && !root {
					err = errors.New("ping: cannot flood; minimal interval allowed for user is 200ms")
				}
			case 'W':
				o.wait, err = seconds('W', v)
			case 'w':
				o.deadline, err = seconds('w', v)
			case 's':
				n, e := strconv.Atoi(v)
				if e != nil || n < 0 || n > 65507 {
					return o, fmt.Errorf("ping: invalid argument: '%s': out of range: 0 <= value <= 65507", v)
				}
				o.size = n
			case 't':
				// TTL: the fabric does not decrement it (README).
			}
			if err != nil {
				return o, err
			}
			break
		}
	}
	if o.host == "" {
		return o, errors.New("ping: usage error: Destination address required")
	}
	return o, nil
}

// ping is iputils' ping over the instance's own stack: ICMP echo requests
// from an unprivileged ping socket, through the fabric as any packet of the
// instance (its security groups, the subnets' ACLs, the route table, a NAT
// gateway), answered by the other end's stack. Intervals and waits are on
// the wall clock; -W is how long it waits after the last request for the
// replies still out (iputils' per-reply timeout), and Ctrl-C ends it with
// the statistics. It exits 0 when a reply came, 1 when none did, 2 on an
// error.
func (in *Instance) ping(ctx context.Context, o shell.IO, args []string) int {
	opt, err := parsePing(args[1:], o.Getenv("USER") == "root")
	if err != nil {
		fmt.Fprintln(o.Stderr, err)
		return 2
	}
	dst, ok := in.lookup(opt.host)
	if !ok {
		fmt.Fprintf(o.Stderr, "ping: %s: Name or service not known\n", opt.host)
		return 2
	}
	pc, err := in.host.DialPing(dst)
	if err != nil {
		fmt.Fprintln(o.Stderr, "ping: connect: Network is unreachable")
		return 2
	}
	defer pc.Close()

	// The peer as ping names it: the address, or the name given and the
	// address.
	named := opt.host != dst.String() && !opt.numeric
	from := dst.String()
	if named {
		from = fmt.Sprintf("%s (%s)", opt.host, dst)
	}
	fmt.Fprintf(o.Stdout, "PING %s (%s) %d(%d) bytes of data.\n", opt.host, dst, opt.size, opt.size+28)

	replies := make(chan vnet.EchoReply)
	rctx, stop := context.WithCancel(ctx)
	recvDone := make(chan struct{})
	go func() {
		defer close(recvDone)
		for {
			r, err := pc.Recv(rctx)
			if err != nil {
				return
			}
			select {
			case replies <- r:
			case <-rctx.Done():
				return
			}
		}
	}()
	defer func() { stop(); <-recvDone }()

	var (
		sent     = map[uint16]time.Time{}
		got      = map[uint16]bool{}
		rtts     []time.Duration
		ntx      int
		first    time.Time
		lastSend time.Time
		payload  = make([]byte, opt.size)
	)
	for i := range payload {
		payload[i] = byte(i) // iputils' pattern after its timestamp
	}
	var deadline <-chan time.Time
	if opt.deadline > 0 {
		t := time.NewTimer(opt.deadline)
		defer t.Stop()
		deadline = t.C
	}
	next := time.NewTimer(0)
	defer next.Stop()
	var linger <-chan time.Time
	var lingerTimer *time.Timer
	defer func() {
		if lingerTimer != nil {
			lingerTimer.Stop()
		}
	}()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-deadline:
			break loop
		case <-linger:
			break loop
		case <-next.C:
			seq := uint16(ntx + 1)
			now := time.Now()
			if err := pc.Send(seq, payload); err != nil {
				fmt.Fprintf(o.Stderr, "ping: %v\n", err)
			}
			if ntx == 0 {
				first = now
			}
			ntx++
			sent[seq], lastSend = now, now
			if opt.count == 0 || ntx < opt.count {
				next.Reset(opt.interval)
			} else {
				lingerTimer = time.NewTimer(opt.wait)
				linger = lingerTimer.C
			}
		case r := <-replies:
			at, ok := sent[r.Seq]
			if !ok {
				continue // not ours
			}
			rtt := max(r.At.Sub(at), time.Microsecond)
			dup := got[r.Seq]
			if !dup {
				got[r.Seq] = true
				rtts = append(rtts, rtt)
			}
			if !opt.quiet {
				d := ""
				if dup {
					d = " (DUP!)"
				}
				fmt.Fprintf(o.Stdout, "%d bytes from %s: icmp_seq=%d ttl=%d time=%s ms%s\n", r.Size, from, r.Seq, r.TTL, pingTime(rtt), d)
			}
			if opt.count > 0 && len(got) >= opt.count {
				break loop
			}
		}
	}
	fmt.Fprintf(o.Stdout, "\n--- %s ping statistics ---\n", opt.host)
	nrx := len(rtts)
	loss := 0.0
	if ntx > 0 {
		loss = float64(ntx-nrx) * 100 / float64(ntx)
	}
	// iputils' time is from the first request to the last.
	fmt.Fprintf(o.Stdout, "%d packets transmitted, %d received, %s%% packet loss, time %dms\n",
		ntx, nrx, strconv.FormatFloat(loss, 'g', 6, 64), lastSend.Sub(first).Milliseconds())
	if nrx > 0 {
		var sum, sum2 float64
		lo, hi := rtts[0], rtts[0]
		for _, d := range rtts {
			us := float64(d.Microseconds())
			sum += us
			sum2 += us * us
			lo, hi = min(lo, d), max(hi, d)
		}
		avg := sum / float64(nrx)
		mdev := math.Sqrt(max(sum2/float64(nrx)-avg*avg, 0))
		fmt.Fprintf(o.Stdout, "rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n",
			float64(lo.Microseconds())/1000, avg/1000, float64(hi.Microseconds())/1000, mdev/1000)
		return 0
	}
	return 1
}

// pingTime is a round trip as iputils prints it: three significant
// figures at most, from microseconds (0.123, 1.23, 12.3, 123).
func pingTime(d time.Duration) string {
	us := d.Microseconds()
	switch {
	case us >= 100000-50:
		return strconv.FormatInt((us+500)/1000, 10)
	case us >= 10000-5:
		return fmt.Sprintf("%d.%01d", (us+50)/1000, ((us+50)%1000)/100)
	case us >= 1000:
		return fmt.Sprintf("%d.%02d", (us+5)/1000, ((us+5)%1000)/10)
	}
	return fmt.Sprintf("%d.%03d", us/1000, us%1000)
}
