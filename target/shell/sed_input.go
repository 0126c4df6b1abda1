package shell

import (
	"bufio"
	"context"
	"errors"
	"io"
)

// sedInput is the stream of lines sed reads, across its files (or one file
// with -s and -i); it reads a line ahead to know which is the last.
type sedInput struct {
	ctx    context.Context
	in     *inputs
	out    *bufio.Writer // flushed before each read: a failed write ends the run
	names  []string
	lr     *lineReader
	closer func()
	cur    string // the file being read
	next   []byte
	nextNL bool
	have   bool
	failed func(name string, err error)
	err    error // a failed read or write that ends the run
}

// fill reads the next line ahead, opening the next files as needed.
func (s *sedInput) fill() {
	for !s.have && s.err == nil {
		if s.lr == nil {
			if len(s.names) == 0 {
				return
			}
			name := s.names[0]
			s.names = s.names[1:]
			r, closeFile, err := s.in.open(name)
			if err != nil {
				s.failed(name, err)
				continue
			}
			s.lr, s.closer, s.cur = newLineReader(r, s.out), closeFile, name
		}
		line, err := s.lr.next()
		if err == io.EOF {
			s.closer()
			s.lr = nil
			continue
		}
		if err != nil {
			var we writeError
			if errors.As(err, &we) || interrupted(s.ctx, err) {
				s.err = err
				return
			}
			s.failed(s.cur, err)
			s.closer()
			s.lr = nil
			continue
		}
		body, nl := chomp(line)
		s.next, s.nextNL, s.have = append(s.next[:0], body...), nl, true
	}
}

// read returns the next line, and whether it ended with a newline.
func (s *sedInput) read(into []byte) ([]byte, bool, bool) {
	s.fill()
	if !s.have {
		return into, false, false
	}
	s.have = false
	return append(into, s.next...), s.nextNL, true
}

// last reports whether no line follows.
func (s *sedInput) last() bool {
	s.fill()
	return !s.have
}

func (s *sedInput) close() {
	if s.lr != nil {
		s.closer()
		s.lr = nil
	}
}
