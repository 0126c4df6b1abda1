package shell

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"text/tabwriter"
)

// wellKnown names ports the way ss and tcpdump do without -n.
var wellKnown = map[uint16]string{
	21: "ftp", 22: "ssh", 23: "telnet", 25: "smtp", 53: "domain", 80: "http",
	110: "pop3", 123: "ntp", 143: "imap", 443: "https", 3306: "mysql", 5432: "postgresql",
	6379: "redis", 8080: "http-alt",
}

func hostPort(a netip.AddrPort, numeric bool) string {
	p := strconv.Itoa(int(a.Port()))
	if !numeric {
		if n, ok := wellKnown[a.Port()]; ok {
			p = n
		}
	}
	host := a.Addr().String()
	if a.Addr().IsUnspecified() {
		host = "0.0.0.0"
	}
	return host + ":" + p
}

func cmdSS(_ context.Context, o IO, args []string) int {
	numeric, listening, all := false, false, false
	for _, a := range args[1:] {
		if !strings.HasPrefix(a, "-") {
			fmt.Fprintf(o.Stderr, "ss: filters are not supported (%q); try ss -tn\n", a)
			return 1
		}
		for _, c := range a[1:] {
			switch c {
			case 'n':
				numeric = true
			case 'l':
				listening = true
			case 'a':
				all = true
			case 't', 'p', 'e', 'o', '4':
			default:
				fmt.Fprintf(o.Stderr, "ss: option -%c is not supported (try ss -tn, -tln, -tan)\n", c)
				return 1
			}
		}
	}
	tw := tabwriter.NewWriter(o.Stdout, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "State\tRecv-Q\tSend-Q\tLocal Address:Port\tPeer Address:Port\tProcess")
	for _, s := range o.Shell.Sys.Sockets() {
		isListen := s.State == "LISTEN"
		if !all && isListen != listening {
			continue
		}
		peer := hostPort(s.Peer, numeric)
		if isListen {
			peer = "0.0.0.0:*"
		}
		fmt.Fprintf(tw, "%s\t0\t0\t%s\t%s\t\n", s.State, hostPort(s.Local, numeric), peer)
	}
	tw.Flush()
	return 0
}

func cmdIP(_ context.Context, o IO, args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(o.Stderr, "Usage: ip [ addr | route ]  (this instance's ip knows these two)")
		return 255
	}
	switch obj := args[1]; {
	case strings.HasPrefix("address", obj):
		ipAddr(o.Stdout, o.Shell.Sys.Interfaces())
	case strings.HasPrefix("route", obj):
		ipRoute(o.Stdout, o.Shell.Sys.Routes())
	default:
		fmt.Fprintf(o.Stderr, "Object \"%s\" is unknown, try \"ip help\".\n", obj)
		return 255
	}
	return 0
}

func broadcast(p netip.Prefix) netip.Addr {
	a := p.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= (1 << (32 - p.Bits())) - 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func ipAddr(w io.Writer, ifs []Interface) {
	fmt.Fprint(w, `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
`)
	for i, f := range ifs {
		fmt.Fprintf(w, "%d: %s: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu %d qdisc mq state UP group default qlen 1000\n", i+2, f.Name, f.MTU)
		fmt.Fprintf(w, "    link/ether %s brd ff:ff:ff:ff:ff:ff\n", f.MAC)
		fmt.Fprintf(w, "    inet %s brd %s scope global dynamic %s\n", f.Addr, broadcast(f.Addr), f.Name)
		fmt.Fprintln(w, "       valid_lft 3600sec preferred_lft 3600sec")
	}
}

func ipRoute(w io.Writer, rs []Route) {
	for _, r := range rs {
		if r.Dst.Bits() == 0 {
			fmt.Fprintf(w, "default via %s dev %s \n", r.Gateway, r.Dev)
			continue
		}
		fmt.Fprintf(w, "%s dev %s proto kernel scope link src %s \n", r.Dst, r.Dev, r.Src)
	}
}
