package lab_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
	"github.com/vlab-sim/vlab/lab/reference"
)

// Labs in one process share nothing: the same addresses, run at once, each
// with its own outcome, keys and resource ids.
func TestParallelLabsDoNotInterfere(t *testing.T) {
	for _, tc := range []struct {
		name   string
		c      lab.Config
		refuse bool
	}{
		{"open", lab.Config{Seed: 11}, false},
		{"refused", lab.Config{Seed: 12, Topology: reference.Config{NoSGClientRule: true}}, true},
		{"two-targets", lab.Config{Seed: 13, Topology: reference.Config{Targets: 2}, Target: "ec2-2"}, false},
		{"open-again", lab.Config{Seed: 11}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := labtest.New(t, tc.c)
			if tc.refuse {
				// The SYN is dropped: the session can only time out.
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				_, err := l.Run(ctx, "true")
				cancel()
				require.Error(t, err)
				assert.Positive(t, l.Net.DropCount(l.Target.ENI().ID(), "security-group"))
				return
			}
			for range 3 {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				r, err := l.Run(ctx, "hostname; echo $SSH_CLIENT")
				cancel()
				require.NoError(t, err)
				assert.Equal(t, l.Target.Hostname(), strings.SplitN(r.Stdout, "\n", 2)[0])
				assert.True(t, strings.Contains(r.Stdout, "\n203.0.113.10 "), r.Stdout)
			}
			assert.Empty(t, l.Net.Drops())
		})
	}
}
