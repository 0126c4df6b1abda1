package topology_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab/topology"
)

// FuzzParse: any input gets a topology or problems, never a panic, and
// what Parse accepts, Validate accepts and Marshal writes back the same.
// The examples are large seeds: minimizing inputs derived from them takes
// the fuzzer long, so run it with
//
//	go test ./lab/topology -run '^$' -fuzz FuzzParse -fuzztime 60s -fuzzminimizetime 1x
func FuzzParse(f *testing.F) {
	f.Add([]byte(base))
	for _, data := range examples(f) {
		f.Add(data)
	}
	f.Add([]byte("Vpcs: [{Name: v, CidrBlock: 10.0.0.0/16, Subnets: [{Name: s, CidrBlock: 10.0.0.0/33}]}]"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		top, err := topology.Parse("fuzz.yaml", data)
		if err != nil {
			var ps topology.Problems
			require.ErrorAs(t, err, &ps)
			for _, p := range ps {
				assert.Positive(t, p.Line, p.String())
			}
			return
		}
		require.NoError(t, topology.Validate(top))
		out, err := topology.Marshal(top)
		require.NoError(t, err)
		again, err := topology.Parse("again.yaml", out)
		require.NoError(t, err, string(out))
		assert.Equal(t, top, again)
	})
}
