package lab_test

import (
	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/reference"
)

// scenario returns the reference scenario's switches of c, a config from
// lab.Default(), to change before the lab is built.
func scenario(c lab.Config) *reference.Config { return c.Topology.(*reference.Config) }
