package target

import "github.com/vlab-sim/vlab/target/shell"

// commands are the instance's commands that need more of it than the
// shell's System gives: its stack, its interface, its SSH server. Each
// session's shell gets them beside the shell's own.
func (in *Instance) commands() map[string]shell.Command {
	return map[string]shell.Command{
		"tcpdump": in.tcpdump,
		"curl":    in.curl,
		"ping":    in.ping,
		"nc":      in.nc,
		"ncat":    in.nc,
		"scp":     in.scp,
	}
}
