package main

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/vnet/flowlog"
)

// checkTimeScale refuses a --time-scale lab time cannot run at: NaN, the
// infinities, zero and below, and more than lab.MaxTimeScale.
func checkTimeScale(scale float64) error {
	if math.IsNaN(scale) || scale <= 0 || scale > lab.MaxTimeScale {
		return &usageError{fmt.Errorf("--time-scale %v: want a number more than 0 and at most %d (1 runs lab time at the wall clock's pace, 10 ten times faster)", scale, lab.MaxTimeScale)}
	}
	return nil
}

// checkTimeout refuses a --timeout that would give up before starting.
func checkTimeout(d time.Duration) error {
	if d <= 0 {
		return &usageError{fmt.Errorf("--timeout %v: want a duration more than 0 (10s, 1m30s)", d)}
	}
	return nil
}

// filterError is the usage error of a --filter that does not parse: the
// parser's message, then the pattern with a caret under the column at
// fault, as compilers show it.
func filterError(pattern string, err error) error {
	var pe *flowlog.PatternError
	if !errors.As(err, &pe) || pe.Column < 1 || pe.Column > len(pattern)+1 || strings.ContainsAny(pattern, "\n\t") {
		return &usageError{fmt.Errorf("--filter: %w", err)}
	}
	pad := strings.Repeat(" ", utf8.RuneCountInString(pattern[:pe.Column-1]))
	return &usageError{fmt.Errorf("--filter: %w\n  %s\n  %s^", err, pattern, pad)}
}

// shells are the shells cobra writes completion scripts for.
var shells = []string{"bash", "zsh", "fish", "powershell"}

// strictCompletion makes the completion command refuse what it cannot
// do, as a usage error: a shell it has no script for (cobra would print
// its help and exit 0), or no shell at all.
func strictCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		want := strings.Join(shells[:len(shells)-1], ", ") + " or " + shells[len(shells)-1]
		c.Args = func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{fmt.Errorf("completion: name a shell: %s (vlab completion bash)", want)}
			}
			return &usageError{fmt.Errorf("completion: no completion script for %q: vlab writes them for %s", args[0], want)}
		}
		c.RunE = func(*cobra.Command, []string) error { return nil } // Args refuses first
		for _, sh := range c.Commands() {
			sh.Args = noArgs
		}
	}
}
