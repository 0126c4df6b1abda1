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

// ssFlags are the letters ss and netstat take, bundled or not.
type ssFlags struct {
	numeric, listening, all, procs, noHeader, tcp, udp bool
}

func parseSSFlags(o IO, name string, args []string, allowed string) (ssFlags, bool) {
	var f ssFlags
	for _, a := range args {
		switch a {
		case "--numeric":
			a = "-n"
		case "--listening":
			a = "-l"
		case "--all":
			a = "-a"
		case "--processes", "--programs":
			a = "-p"
		case "--tcp":
			a = "-t"
		case "--udp":
			a = "-u"
		}
		if !strings.HasPrefix(a, "-") || a == "-" || strings.HasPrefix(a, "--") {
			if name == "ss" {
				fmt.Fprintf(o.Stderr, "ss: filters are not supported (%q); try ss -tn\n", a)
			} else {
				fmt.Fprintf(o.Stderr, "netstat: %s: this instance's netstat takes options only (try netstat -tlnp, -an)\n", a)
			}
			return f, false
		}
		for _, c := range a[1:] {
			if !strings.ContainsRune(allowed, c) {
				if name == "ss" {
					fmt.Fprintf(o.Stderr, "ss: option -%c is not supported (try ss -tn, -tlnp, -tanp)\n", c)
				} else {
					fmt.Fprintf(o.Stderr, "netstat: invalid option -- '%c' (this instance's netstat knows -t -u -n -l -a -p -4 -W)\n", c)
				}
				return f, false
			}
			switch c {
			case 'n':
				f.numeric = true
			case 'l':
				f.listening = true
			case 'a':
				f.all = true
			case 'p':
				f.procs = true
			case 'H':
				f.noHeader = true
			case 't':
				f.tcp = true
			case 'u':
				f.udp = true
			}
		}
	}
	return f, true
}

// visibleUsers are the processes of s the user may see: all for root,
// their own for others (ss and netstat read other users' /proc/PID/fd
// only as root).
func visibleUsers(o IO, s Socket) []SocketUser {
	user := o.Getenv("USER")
	var out []SocketUser
	for _, u := range s.Users {
		if user == "root" || u.User == user {
			out = append(out, u)
		}
	}
	return out
}

// ssUsers is ss -p's process column: users:(("sshd",pid=1843,fd=3)).
func ssUsers(us []SocketUser) string {
	if len(us) == 0 {
		return ""
	}
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = fmt.Sprintf("(%q,pid=%d,fd=%d)", u.Name, u.PID, u.FD)
	}
	return "users:(" + strings.Join(parts, ",") + ")"
}

func cmdSS(_ context.Context, o IO, args []string) int {
	f, ok := parseSSFlags(o, "ss", args[1:], "nlatpeo4uHx")
	if !ok {
		return 1
	}
	tw := tabwriter.NewWriter(o.Stdout, 0, 0, 1, ' ', 0)
	if !f.noHeader {
		fmt.Fprintln(tw, "State\tRecv-Q\tSend-Q\tLocal Address:Port\tPeer Address:Port\tProcess")
	}
	// The instance's UDP sockets are not listed (ss -u shows none).
	if f.tcp || !f.udp {
		for _, s := range o.Shell.Sys.Sockets() {
			isListen := s.State == "LISTEN"
			if !f.all && isListen != f.listening {
				continue
			}
			peer := hostPort(s.Peer, f.numeric)
			if isListen {
				peer = "0.0.0.0:*"
			}
			users := ""
			if f.procs {
				users = ssUsers(visibleUsers(o, s))
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", s.State, s.RecvQ, s.SendQ, hostPort(s.Local, f.numeric), peer, users)
		}
	}
	tw.Flush()
	return 0
}

// netstatStates are net-tools' names of TCP states, by ss's.
var netstatStates = map[string]string{
	"ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RECV", "FIN-WAIT-1": "FIN_WAIT1",
	"FIN-WAIT-2": "FIN_WAIT2", "TIME-WAIT": "TIME_WAIT", "UNCONN": "CLOSE", "CLOSE-WAIT": "CLOSE_WAIT",
	"LAST-ACK": "LAST_ACK", "LISTEN": "LISTEN", "CLOSING": "CLOSING",
}

// cmdNetstat is net-tools' netstat for TCP sockets: -t, -n, -l, -a, -p, as
// netstat.c prints them.
func cmdNetstat(_ context.Context, o IO, args []string) int {
	f, ok := parseSSFlags(o, "netstat", args[1:], "tunlap4W")
	if !ok {
		return 1
	}
	root := o.Getenv("USER") == "root"
	if f.procs && !root {
		fmt.Fprint(o.Stderr, "(Not all processes could be identified, non-owned process info\n will not be shown, you would have to be root to see it all.)\n")
	}
	which := "(w/o servers)"
	switch {
	case f.all:
		which = "(servers and established)"
	case f.listening:
		which = "(only servers)"
	}
	fmt.Fprintf(o.Stdout, "Active Internet connections %s\n", which)
	fmt.Fprint(o.Stdout, "Proto Recv-Q Send-Q Local Address           Foreign Address         State      ")
	if f.procs {
		fmt.Fprint(o.Stdout, " PID/Program name    ")
	}
	fmt.Fprintln(o.Stdout)
	if f.udp && !f.tcp {
		return 0 // the instance's UDP sockets are not listed
	}
	for _, s := range o.Shell.Sys.Sockets() {
		isListen := s.State == "LISTEN"
		if !f.all && isListen != f.listening {
			continue
		}
		local, peer := hostPort(s.Local, f.numeric), hostPort(s.Peer, f.numeric)
		recvQ, sendQ := s.RecvQ, s.SendQ
		if isListen {
			// /proc/net/tcp: a listener's rx_queue is its accept queue,
			// its tx_queue nothing.
			peer, sendQ = "0.0.0.0:*", 0
		}
		fmt.Fprintf(o.Stdout, "%-4s  %6d %6d %-*s %-*s %-11s", "tcp", recvQ, sendQ, max(23, len(local)), local, max(23, len(peer)), peer, netstatStates[s.State])
		if f.procs {
			prog := "-"
			if us := visibleUsers(o, s); len(us) > 0 {
				prog = fmt.Sprintf("%d/%s", us[0].PID, us[0].Name)
			}
			fmt.Fprintf(o.Stdout, " %-20s", prog)
		}
		fmt.Fprintln(o.Stdout)
	}
	return 0
}

func cmdIP(_ context.Context, o IO, args []string) int {
	brief := false
	args = args[1:]
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-br", "-brief", "--brief":
			brief = true
		case "-4", "-o", "-c", "-color", "--color":
		default:
			fmt.Fprintf(o.Stderr, "Option \"%s\" is unknown, try \"ip -help\".\n", args[0])
			return 255
		}
		args = args[1:]
	}
	if len(args) < 1 {
		fmt.Fprintln(o.Stderr, "Usage: ip [ -br ] { addr | link | route } [ show [ dev ] NAME ]  (this instance's ip knows these)")
		return 255
	}
	ifs := o.Shell.Sys.Interfaces()
	obj, rest := args[0], args[1:]
	if len(rest) > 0 && (rest[0] == "show" || rest[0] == "list" || rest[0] == "ls") {
		rest = rest[1:]
	}
	if len(rest) > 0 && rest[0] == "dev" {
		rest = rest[1:]
	}
	withLo := true
	if len(rest) > 0 && (strings.HasPrefix("address", obj) || strings.HasPrefix("link", obj)) {
		var keep []Interface
		for _, f := range ifs {
			if f.Name == rest[0] {
				keep = append(keep, f)
			}
		}
		if len(keep) == 0 && rest[0] != "lo" {
			fmt.Fprintf(o.Stderr, "Device \"%s\" does not exist.\n", rest[0])
			return 1
		}
		withLo, ifs = rest[0] == "lo", keep
	}
	switch {
	case strings.HasPrefix("address", obj):
		if brief {
			ipBrief(o.Stdout, ifs, withLo, false)
		} else {
			ipAddr(o.Stdout, ifs, withLo)
		}
	case strings.HasPrefix("link", obj):
		if brief {
			ipBrief(o.Stdout, ifs, withLo, true)
		} else {
			ipLink(o.Stdout, ifs, withLo)
		}
	case strings.HasPrefix("route", obj):
		ipRoute(o.Stdout, o.Shell.Sys.Routes())
	default:
		fmt.Fprintf(o.Stderr, "Object \"%s\" is unknown, try \"ip help\".\n", obj)
		return 255
	}
	return 0
}

const loopbackLink = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN %sgroup default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
`

// ipLink is ip link: the interfaces' flags, MTU and MAC addresses.
func ipLink(w io.Writer, ifs []Interface, withLo bool) {
	if withLo {
		fmt.Fprintf(w, loopbackLink, "mode DEFAULT ")
	}
	for i, f := range ifs {
		fmt.Fprintf(w, "%d: %s: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu %d qdisc mq state UP mode DEFAULT group default qlen 1000\n", i+2, f.Name, f.MTU)
		fmt.Fprintf(w, "    link/ether %s brd ff:ff:ff:ff:ff:ff\n", f.MAC)
	}
}

// ipBrief is ip -br addr and ip -br link.
func ipBrief(w io.Writer, ifs []Interface, withLo, link bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	if withLo {
		if link {
			fmt.Fprintln(tw, "lo\tUNKNOWN\t00:00:00:00:00:00\t<LOOPBACK,UP,LOWER_UP>")
		} else {
			fmt.Fprintln(tw, "lo\tUNKNOWN\t127.0.0.1/8")
		}
	}
	for _, f := range ifs {
		if link {
			fmt.Fprintf(tw, "%s\tUP\t%s\t<BROADCAST,MULTICAST,UP,LOWER_UP>\n", f.Name, f.MAC)
		} else {
			fmt.Fprintf(tw, "%s\tUP\t%s\n", f.Name, f.Addr)
		}
	}
	tw.Flush()
}

func broadcast(p netip.Prefix) netip.Addr {
	a := p.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= (1 << (32 - p.Bits())) - 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func ipAddr(w io.Writer, ifs []Interface, withLo bool) {
	if withLo {
		fmt.Fprintf(w, loopbackLink, "")
		fmt.Fprint(w, "    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n")
	}
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
