package lab_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vlab-sim/vlab/lab"
)

// A time scale lab time cannot run at is refused, naming the field, the
// value and the range (vnet's clock would otherwise run NaN or negative
// scales at 1 and 1e308 without bound).
func TestConfigRefusesABadTimeScale(t *testing.T) {
	for _, bad := range []float64{math.NaN(), -1, math.Inf(1), math.Inf(-1), 1e308, lab.MaxTimeScale + 0.5} {
		c := lab.Default()
		c.TimeScale = bad
		_, err := c.Spec()
		assert.ErrorContains(t, err, "TimeScale: ", bad)
		assert.ErrorContains(t, err, "is out of range: want more than 0 and at most 1000", bad)
	}
	for _, ok := range []float64{0, 0.001, 1, 60, lab.MaxTimeScale} {
		c := lab.Default()
		c.TimeScale = ok
		_, err := c.Spec()
		assert.NoError(t, err, ok)
	}
	c := lab.Default()
	c.TimeScale = math.NaN()
	_, err := lab.New(c)
	assert.EqualError(t, err, "TimeScale: NaN is out of range: want more than 0 and at most 1000 (or 0 for the wall clock's pace, 1)")
}
