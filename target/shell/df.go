package shell

import (
	"context"
	"fmt"
)

// cmdDf shows the instance's disk: its filesystem's cap and what its files
// hold (the 256 MiB a lab gives an instance, not an EBS volume's size).
func cmdDf(_ context.Context, o IO, args []string) int {
	human := false
	for _, a := range args[1:] {
		switch a {
		case "-h", "--human-readable":
			human = true
		case "-k", "-T", "-P", "/", "~", ".":
		default:
			if len(a) > 0 && a[0] == '-' {
				o.Errorf("df", "invalid option -- '%s'", a[1:])
				return 1
			}
		}
	}
	fs := o.FS.FS()
	size, used := fs.Limit(), fs.Used()
	avail := size - used
	pct := (used*100 + size - 1) / size
	// GNU df's columns: the name left-aligned, the figures right-aligned.
	if human {
		fmt.Fprintf(o.Stdout, "%-15s %4s %5s %5s %4s %s\n", "Filesystem", "Size", "Used", "Avail", "Use%", "Mounted on")
		fmt.Fprintf(o.Stdout, "%-15s %4s %5s %5s %3d%% %s\n", "/dev/nvme0n1p1", humanBytes(size), humanBytes(used), humanBytes(avail), pct, "/")
	} else {
		fmt.Fprintf(o.Stdout, "%-14s %9s %5s %9s %4s %s\n", "Filesystem", "1K-blocks", "Used", "Available", "Use%", "Mounted on")
		fmt.Fprintf(o.Stdout, "%-14s %9d %5d %9d %3d%% %s\n", "/dev/nvme0n1p1", size/1024, (used+1023)/1024, avail/1024, pct, "/")
	}
	return 0
}

// humanBytes is df -h's size: one decimal below 10, none above (1.5M, 256M).
func humanBytes(n int64) string {
	units := []string{"", "K", "M", "G", "T"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d", n)
	}
	if f < 10 {
		return fmt.Sprintf("%.1f%s", f, units[i])
	}
	return fmt.Sprintf("%.0f%s", f, units[i])
}
