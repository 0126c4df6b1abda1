package shell

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Pipeline stages once shared one variables map: about 16 assignments in a
// pipeline ended the whole process with "concurrent map writes".
func TestPipelineStagesDoNotShareVariables(t *testing.T) {
	var stages []string
	for i := range 64 {
		stages = append(stages, "V"+strings.Repeat("X", i%5)+string(rune('A'+i%26))+"=1")
	}
	line := strings.Join(stages, " | ") + " | env"
	for range 20 {
		out, errs, st := run(t, line)
		require.Equal(t, 0, st, errs)
		assert.NotContains(t, out, "VA=1", "an assignment in another stage is that stage's own")
		assert.Contains(t, out, "USER=ec2-user", "each stage starts with the shell's variables")
	}
}

func TestPipelineStageIsASubshell(t *testing.T) {
	// As in bash: a stage's assignment is its own, and the shell's
	// variables are unchanged after the pipeline.
	out, _, _ := run(t, "A=1 | env")
	assert.NotContains(t, out, "A=1")
	out, _, _ = run(t, "A=1 | true; echo x${A}x")
	assert.Equal(t, "xx\n", out)
	out, _, _ = run(t, "A=1; true | echo $A")
	assert.Equal(t, "1\n", out, "a stage sees the variables set before the pipeline")
	// exit in a stage ends only the subshell.
	out, _, st := run(t, "exit 3 | true; echo still here")
	assert.Equal(t, "still here\n", out)
	assert.Equal(t, 0, st)
}

func TestPanickingCommandEndsOnlyItself(t *testing.T) {
	s := newShell(t)
	s.Register("boom", func(context.Context, IO, []string) int { panic("kaboom") })
	var out, errb bytes.Buffer
	st := s.Run(context.Background(), "boom; echo after $?", nil, &out, &errb)
	assert.Equal(t, 0, st)
	assert.Equal(t, "after 70\n", out.String())
	assert.Contains(t, errb.String(), "boom: internal error: kaboom")

	errb.Reset()
	out.Reset()
	st = s.Run(context.Background(), "echo a | boom | cat", nil, &out, &errb)
	assert.Equal(t, 0, st, "the pipeline's status is its last stage's")
	assert.Contains(t, errb.String(), "internal error: kaboom")
	st = s.Run(context.Background(), "echo a | boom", nil, &out, &errb)
	assert.Equal(t, StatusInternalError, st)
}

// A pipeline closes the pipes it made, never the caller's stdin: the
// commands after it still read it.
func TestPipelineLeavesTheCallersStdinOpen(t *testing.T) {
	s := newShell(t)
	pr, pw := io.Pipe()
	go func() { io.WriteString(pw, "still here\n"); pw.Close() }()
	var out, errb bytes.Buffer
	st := s.Run(context.Background(), "true | true; cat", pr, &out, &errb)
	assert.Equal(t, 0, st, errb.String())
	assert.Equal(t, "still here\n", out.String())
}
