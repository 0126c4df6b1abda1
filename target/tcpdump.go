package target

import (
	"context"
	"fmt"

	"github.com/vlab-sim/vlab/target/shell"
	"github.com/vlab-sim/vlab/vnet/capture"
)

// tcpdump is the instance's tcpdump: it captures on the instance's own
// interface, as the fabric delivers and sends its packets, and prints
// tcpdump's text (see package capture). It stops after -c N packets, when
// the reader of its pipe goes away (| head), or when the session is
// interrupted.
func (in *Instance) tcpdump(ctx context.Context, o shell.IO, args []string) int {
	cfg, err := capture.ParseArgs(args[1:])
	if err != nil {
		fmt.Fprintln(o.Stderr, err)
		return 1
	}
	cfg.Legacy = in.image.TcpdumpLegacy
	net := in.host.Network()
	_, err = capture.Run(ctx, in.eni.CaptureSource(), cfg, net.NameOf, net.AddrOf, o.Stdout, o.Stderr)
	if err != nil {
		fmt.Fprintln(o.Stderr, err)
		return 1
	}
	return 0
}
