package capture

import (
	"fmt"
	"strconv"
	"strings"
)

// Config is a parsed tcpdump command line.
type Config struct {
	Options
	// Count stops after this many packets (-c); 0 for no limit.
	Count int
	// Interface is -i (eth0 when empty).
	Interface string
	// Expr is the filter expression.
	Expr string
}

// ParseArgs reads tcpdump's own flags as tcpdump does, clustered too (-nn,
// -vv, -nA, -c5, -c 5), followed by the filter expression.
func ParseArgs(args []string) (Config, error) {
	var c Config
	var expr []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			expr = append(expr, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			expr = append(expr, a)
			continue
		}
		for j := 1; j < len(a); j++ {
			switch f := a[j]; f {
			case 'n':
				c.Numeric++
			case 'v':
				c.Verbose++
			case 'A':
				c.ASCII = true
			case 'X':
				c.Hex = true
			case 'S':
				c.AbsoluteSeq = true
			case 'l', 'U', 'q', 'p':
				// line buffering and friends: the lab always flushes
			case 't':
				n := strings.Count(a[j:], "t")
				j += n - 1
				switch n {
				case 1:
					c.Time = "t"
				case 4:
					c.Time = "tttt"
				default:
					return c, fmt.Errorf("tcpdump: -%s is not supported (use -t or -tttt)", strings.Repeat("t", n))
				}
			case 'c', 'i', 's', 'w':
				v := a[j+1:]
				if v == "" {
					if i+1 >= len(args) {
						return c, fmt.Errorf("tcpdump: option requires an argument -- '%c'", f)
					}
					i++
					v = args[i]
				}
				j = len(a)
				switch f {
				case 'c':
					n, err := strconv.Atoi(v)
					if err != nil || n <= 0 {
						return c, fmt.Errorf("tcpdump: invalid packet count %s", v)
					}
					c.Count = n
				case 'i':
					c.Interface = v
				case 's':
					// snapshot length: the lab captures whole packets
				case 'w':
					return c, fmt.Errorf("tcpdump: -w is not supported here; vlab writes pcap files with --pcap DIR")
				}
			default:
				return c, fmt.Errorf("tcpdump: invalid option -- '%c' (the lab's tcpdump knows -n -nn -v -A -X -S -c N -i IF -t -tttt)", f)
			}
		}
	}
	c.Expr = strings.Join(expr, " ")
	return c, nil
}
