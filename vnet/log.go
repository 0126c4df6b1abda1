package vnet

import "github.com/vlab-sim/vlab/vnet/netstack"

// SetStackLogger sends the hosts' TCP/IP stacks' own log lines (gVisor's
// warnings about odd packets) to f, for every lab of the process; nil, the
// default, discards them.
func SetStackLogger(f func(line string)) { netstack.SetLogger(f) }
